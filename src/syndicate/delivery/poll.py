"""One pass over the configured feeds: fetch them all, find what is new — and write nothing.

"New" means neither the entry's id in its feed nor its canonical URL (in any
feed) was seen before, so a feed that rewrites GUIDs or adds tracking
parameters does not repost, an edited entry (same id) is not a new dispatch,
the same article in two feeds posts once, and two feeds that both number their
entries "1" both post. The first time a feed is seen, only its `backfill`
newest entries count as new; the rest become the baseline (never a flood).

Nothing is recorded here except a feed's *error*: the pipeline composes the new
entries (fetching link cards) and then commits each feed's validators, baseline
and accepted dispatches in one transaction (`outbox.accept_feed`). A run killed
before that commit leaves the feed as if it had not been fetched: the next run
sends no validators, gets a 200 and finds the same entries new.

Only feeds that are due are fetched (`schedule.py`); a feed that is not due costs no request.
Hosts sharing a PostgreSQL state claim the due feeds first (`Store.claim_feeds`): a feed
another host is fetching, or fetched since we read its state, counts as not due.
What a fetch says about the next one (the server's caching headers, `<ttl>`, `Retry-After`)
travels in `FeedIntake` to that same commit; an error records its own (a 429's Retry-After) here.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from syndicate.delivery.schedule import is_due, server_floor
from syndicate.errors import FeedError
from syndicate.settings import FeedSettings, FetchSettings
from syndicate.store import FeedState, Store
from syndicate.watch.fetch import FeedRequest, FeedThrottled, FetchResult, fetch_many

if TYPE_CHECKING:  # the model (its dataclasses cost an idle run ~13 ms) loads with the parser, on a 200
    from syndicate.model import Dispatch

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Fresh:
    """A new entry: its id in its feed, and the dispatch made of it (`dispatch.id` is the dispatch id)."""

    entry_id: str
    dispatch: Dispatch


@dataclass(frozen=True)
class Revised:
    """An entry seen before, whose accepted dispatch was made from different content: a candidate
    correction (intake recomposes it and compares the first posts)."""

    entry_id: str
    dispatch: Dispatch  # as the feed has it now, with the accepted dispatch's id
    digest: str  # entry_digest of it now
    had_digest: bool  # False: accepted before digests were kept (migration 8): record, never correct


def entry_digest(d: Dispatch) -> str:
    """What the composer reads of an entry, hashed: equal digests compose equal posts, so an
    unchanged entry of a re-read feed is not recomposed. The id and feed are left out (fixed)."""
    import json

    fields = [d.url, d.title, d.summary, d.text, list(d.tags), d.language, d.author,
              [d.image.url, d.image.alt] if d.image else None]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


@dataclass
class FeedIntake:
    """What one feed brought in this pass, to be committed in one transaction after composing."""

    feed: FeedSettings
    etag: str | None
    last_modified: str | None
    unchanged: bool  # answered 304 (or nothing to parse)
    baseline: list[Dispatch] = field(default_factory=list)  # first sight: seen, never posted
    fresh: list[Fresh] = field(default_factory=list)
    not_before: float | None = None  # the server asked for no fetch before this (schedule.server_floor)
    ttl: float | None = None  # RSS <ttl> in seconds (kept from the last full read on a 304)
    revised: list[Revised] = field(default_factory=list)  # accepted entries whose content changed

    @property
    def changed(self) -> bool:
        """It brought an entry not seen before: the backoff starts over (schedule.py)."""
        return bool(self.fresh or self.baseline)


@dataclass
class PollResult:
    feeds: list[FeedIntake] = field(default_factory=list)  # the feeds fetched fine, in config order
    errors: list[FeedError] = field(default_factory=list)
    not_due: list[FeedSettings] = field(default_factory=list)  # not fetched: their time has not come

    def oldest_first(self) -> list[tuple[FeedIntake, Fresh]]:
        """Every new entry of the pass, oldest first across feeds (the order they are accepted in)."""
        pairs = [(fi, f) for fi in self.feeds for f in fi.fresh]
        return sorted(pairs, key=lambda pair: pair[1].dispatch.published or _EPOCH)

    @property
    def new(self) -> list[tuple[FeedSettings, Dispatch]]:
        """Every new entry of the pass with its feed, oldest first (tests/core/test_poll.py reads it)."""
        return [(fi.feed, f.dispatch) for fi, f in self.oldest_first()]

    @property
    def baseline(self) -> int:
        return sum(len(fi.baseline) for fi in self.feeds)


def dispatch_id(entry_id: str, feed_url: str, taken: set[str], store: Store | None) -> str:
    """The entry id itself — what every dispatch had before ids were per feed, short and familiar —
    unless another feed's dispatch already holds it; then the entry id plus a short, fixed tag of
    this feed's URL ("1~3f2a9c"). Decided once, when the dispatch is accepted, and stored: the
    outbox's idempotency keys derive from it, so it never changes afterwards."""
    if entry_id not in taken and not (store and store.dispatch_exists(entry_id)):
        return entry_id
    digest = hashlib.sha256(feed_url.encode()).hexdigest()
    for width in (6, 16, 64):  # a longer tag only if a shorter one is somehow taken too
        candidate = f"{entry_id}~{digest[:width]}"
        if candidate not in taken and not (store and store.dispatch_exists(candidate)):
            return candidate
    return f"{entry_id}~{digest}"


def poll(feeds: tuple[FeedSettings, ...], store: Store, *, ignore_state: bool = False,
         fetch: FetchSettings | None = None, now: float | None = None) -> PollResult:
    """Fetch every due feed, at most `fetch.concurrency` at once; return what each brought and one
    error per broken feed. `ignore_state` fetches every feed, due or not, as if never seen.
    `now`: wall time (tests pass a virtual one).

    Only feed errors are written to `store`; everything else waits for `outbox.accept_feed`.
    """
    fetch = fetch or FetchSettings()
    now = time.time() if now is None else now
    result = PollResult()
    states = {feed.url: None if ignore_state else store.feed_state(feed.url) for feed in feeds}
    due = []
    for feed in feeds:
        if ignore_state or is_due(feed, fetch, states[feed.url], now):
            due.append(feed)
        else:
            result.not_due.append(feed)
    if not ignore_state and due:
        # Several hosts on one state: each due feed is fetched by one of them in this pass.
        seen = {url: state.last_fetch_at if state else None for url, state in states.items()}
        mine = store.claim_feeds({f.url: (f.name, seen[f.url]) for f in due}, now=now)
        result.not_due += [feed for feed in due if feed.url not in mine]
        due = [feed for feed in due if feed.url in mine]
    requests = []
    for feed in due:
        state = states[feed.url]
        requests.append(FeedRequest(feed.url, etag=state.etag if state else None,
                                    last_modified=state.last_modified if state else None))
    fetched = fetch_many(requests, concurrency=fetch.concurrency, allow_private=fetch.allow_private)
    pass_ = _Pass()
    for feed, outcome in zip(due, fetched, strict=True):
        if isinstance(outcome, FeedError):
            asked = outcome.retry_after if isinstance(outcome, FeedThrottled) else None
            store.record_fetch(feed.url, feed.name, error=outcome.reason, not_before=server_floor(now, asked), now=now)
            result.errors.append(outcome)
            continue
        try:
            result.feeds.append(_intake(feed, outcome, states[feed.url], store, pass_, ignore_state=ignore_state,
                                        now=now))
        except FeedError as exc:
            store.record_fetch(feed.url, feed.name, error=exc.reason, now=now)
            result.errors.append(exc)
    return result


@dataclass
class _Pass:
    """What earlier feeds of this pass took: one article in two feeds of a pass is taken once."""

    urls: set[str] = field(default_factory=set)
    dispatch_ids: set[str] = field(default_factory=set)


def _intake(feed: FeedSettings, fetched: FetchResult, state: FeedState | None, store: Store, pass_: _Pass, *,
            ignore_state: bool, now: float) -> FeedIntake:
    if fetched.status == 304 or fetched.content is None:
        ttl = state.ttl if state else None  # a 304 is the body we read last time: its <ttl> still holds
        return FeedIntake(feed, etag=fetched.etag or (state.etag if state else None),
                          last_modified=fetched.last_modified or (state.last_modified if state else None),
                          unchanged=True, not_before=server_floor(now, fetched.fresh_for, ttl), ttl=ttl)
    from syndicate.watch.parse import (
        parse_feed,  # feedparser loads only when a feed changed (not on 304)
    )

    parsed = parse_feed(fetched.content, url=fetched.final_url or feed.url, feed_name=feed.name,
                        content_type=fetched.content_type)
    intake = FeedIntake(feed, etag=fetched.etag, last_modified=fetched.last_modified, unchanged=False,
                        not_before=server_floor(now, fetched.fresh_for, parsed.ttl), ttl=parsed.ttl)
    fresh: list[Dispatch] = []
    for d in parsed.dispatches:
        if not ignore_state and (d.url in pass_.urls or store.seen(feed.url, d.id, d.url)):
            _revision(intake, d, store)
            continue
        if not ignore_state and _seen_before_upgrade(d, state, store):
            intake.baseline.append(d)  # the global-id rule of schema 1 already swallowed it: keep it swallowed
            continue
        pass_.urls.add(d.url)
        fresh.append(d)
    first_sight = state is None or state.last_ok_at is None
    if first_sight and not ignore_state:
        newest_first = sorted(fresh, key=lambda d: d.published or _EPOCH, reverse=True)
        intake.baseline += newest_first[feed.backfill:]
        fresh = newest_first[: feed.backfill]
    for d in sorted(fresh, key=lambda d: d.published or _EPOCH):
        did = dispatch_id(d.id, feed.url, pass_.dispatch_ids, None if ignore_state else store)
        pass_.dispatch_ids.add(did)
        intake.fresh.append(Fresh(d.id, d if did == d.id else replace(d, id=did)))
    return intake


def _revision(intake: FeedIntake, d: Dispatch, store: Store) -> None:
    """A seen entry: if a dispatch was accepted from it (not retracted) and its content changed
    since, note it (one indexed lookup and a hash per seen entry; only a 200 gets here)."""
    accepted = store.accepted_entry(intake.feed.url, d.id)
    if accepted is None:
        return
    dispatch_id, digest = accepted
    now = entry_digest(d)
    if now != digest:
        intake.revised.append(Revised(d.id, d if d.id == dispatch_id else replace(d, id=dispatch_id), now,
                                      had_digest=digest is not None))


def _seen_before_upgrade(d: Dispatch, state: FeedState | None, store: Store) -> bool:
    """Until a feed known before migration 2 has been read in full once since, an entry whose id
    another feed had is treated as seen, as schema 1 did: an upgrade must not post old entries
    the global key swallowed. After that first full read, ids are per feed (`outbox.accept_feed`)."""
    if state is None or state.ids_global_until is None:
        return False
    return store.id_seen_in_any_feed(d.id)
