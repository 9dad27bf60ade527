"""One pass over the configured feeds: fetch them all, keep what is new.

"New" means neither the entry's id nor its canonical URL was seen before, so a
feed that rewrites GUIDs or adds tracking parameters does not repost, and an
edited entry (same id) is not a new dispatch. The first time a feed is seen,
only its `backfill` newest entries count as new; the rest become the baseline
(never a flood). Everything is recorded through the store, which for dry-run
is a throw-away in-memory copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from syndicate.errors import FeedError
from syndicate.model import Dispatch
from syndicate.settings import FeedSettings
from syndicate.store import Store
from syndicate.watch.fetch import FeedRequest, FetchResult, fetch_many

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class PollResult:
    new: list[tuple[FeedSettings, Dispatch]] = field(default_factory=list)  # oldest first
    errors: list[FeedError] = field(default_factory=list)
    baseline: int = 0  # entries marked seen without posting (first sight of a feed)
    unchanged: int = 0  # feeds that answered 304


def poll(feeds: tuple[FeedSettings, ...], store: Store, *, ignore_state: bool = False,
         concurrency: int = 16) -> PollResult:
    """Fetch every feed concurrently; return the new dispatches and one error per broken feed."""
    result = PollResult()
    requests = []
    for feed in feeds:
        state = None if ignore_state else store.feed_state(feed.url)
        requests.append(FeedRequest(feed.url, etag=state.etag if state else None,
                                    last_modified=state.last_modified if state else None))
    fetched = fetch_many(requests, concurrency=concurrency)
    taken: tuple[set[str], set[str]] = (set(), set())  # ids and URLs taken in this pass, across feeds
    for feed, outcome in zip(feeds, fetched):
        if isinstance(outcome, FeedError):
            store.record_fetch(feed.url, feed.name, error=outcome.reason)
            result.errors.append(outcome)
            continue
        try:
            _accept(feed, outcome, store, result, taken, ignore_state=ignore_state)
        except FeedError as exc:
            store.record_fetch(feed.url, feed.name, error=exc.reason)
            result.errors.append(exc)
    result.new.sort(key=lambda fd: (fd[1].published or _EPOCH))
    return result


def _accept(feed: FeedSettings, fetched: FetchResult, store: Store, result: PollResult,
            taken: tuple[set[str], set[str]], *, ignore_state: bool) -> None:
    state = store.feed_state(feed.url)
    first_sight = state is None or state.last_ok_at is None
    if fetched.status == 304 or fetched.content is None:
        store.record_fetch(feed.url, feed.name, etag=fetched.etag or (state.etag if state else None),
                           last_modified=fetched.last_modified or (state.last_modified if state else None))
        result.unchanged += 1
        return
    from syndicate.watch.parse import parse_feed  # feedparser loads only when a feed changed (not on 304)

    parsed = parse_feed(fetched.content, url=fetched.final_url or feed.url, feed_name=feed.name,
                        content_type=fetched.content_type)
    entries = list(parsed.dispatches)
    if ignore_state:
        fresh = entries
    else:
        fresh = []
        seen_ids, seen_urls = taken
        for d in entries:  # one article listed twice, or in two feeds: take it once
            if d.id in seen_ids or d.url in seen_urls or store.seen(d.id, d.url):
                continue
            seen_ids.add(d.id)
            seen_urls.add(d.url)
            fresh.append(d)
    if first_sight and not ignore_state:
        newest_first = sorted(fresh, key=lambda d: d.published or _EPOCH, reverse=True)
        keep = newest_first[: feed.backfill]
        baseline = newest_first[feed.backfill:]
        store.mark_seen([(d.id, d.url, feed.url, d.title) for d in baseline], "baseline")
        result.baseline += len(baseline)
        fresh = keep
    store.record_fetch(feed.url, feed.name, etag=fetched.etag, last_modified=fetched.last_modified)
    result.new.extend((feed, d) for d in fresh)
