"""The one pipeline `run` and `dry-run` share: watch → compose → outbox.

`dry-run` runs exactly this against a throw-away in-memory copy of the state
(`Store.open_readonly`), then renders what the outbox holds instead of
delivering it; so it cannot drift from what `run` would send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from syndicate.delivery import outbox
from syndicate.delivery.poll import poll
from syndicate.errors import FeedError
from syndicate.netguard import FetchPolicy, with_fetch_notes
from syndicate.settings import FeedSettings, Settings
from syndicate.store import Store

if TYPE_CHECKING:  # an idle run (every feed 304) composes nothing: the model and the pool load only for news
    from concurrent.futures import Future

    from syndicate.delivery.poll import FeedIntake
    from syndicate.model import Card, Dispatch, DispatchPlan, Limits, Post

# Dispatches planned at once, i.e. article pages fetched at once for link cards: enough to hide a
# slow site behind the others, few enough to be polite to one journalist's own server (most cards
# of a pass come from it).
CARD_CONCURRENCY = 8
CARD_TIMEOUT = 10.0  # seconds per article page, at most (less when the run's budget is nearly spent)


@dataclass
class Prepared:
    accepted: list[DispatchPlan] = field(default_factory=list)  # oldest first
    errors: list[FeedError] = field(default_factory=list)
    baseline: int = 0
    unposted: list[str] = field(default_factory=list)  # one line per feed whose new entries go nowhere
    not_due: int = 0  # feeds not fetched this pass: not due yet
    revisions: list[outbox.Revision] = field(default_factory=list)  # changed entries of accepted dispatches
    gone: list[str] = field(default_factory=list)  # one line per dispatch retracted: its article answers 410


def platforms_for(feed: FeedSettings, settings: Settings) -> tuple[str, ...]:
    enabled = settings.enabled_platforms()
    if feed.platforms is None:
        return enabled
    return tuple(p for p in enabled if p in feed.platforms)


def cached_limits(settings: Settings, store: Store) -> dict[str, Limits]:
    """Limits the publishers stored on earlier runs (a Mastodon instance's own); no network here."""
    from syndicate.model import Limits

    out: dict[str, Limits] = {}
    if settings.mastodon.instance:
        raw = store.load_limits("mastodon", settings.mastodon.instance)
        if raw:
            out["mastodon"] = Limits(**raw)
    return out


def plan_for(feed: FeedSettings, dispatch: Dispatch, settings: Settings, limits: dict[str, Limits], *,
             fetch_cards: bool = True, card_timeout: float = CARD_TIMEOUT) -> DispatchPlan:
    from syndicate.compose.plan import plan_dispatch

    platforms = platforms_for(feed, settings)
    card: Card | None = None
    # Content URLs reach a private address only on a configured feed's host or inside allow_private
    # (the same policy delivery fetches images with, so dry-run's notes agree with what run does).
    policy = FetchPolicy.for_feeds(settings.feed_urls(), settings.fetch.allow_private)
    notes: list[str] = []
    if fetch_cards and "bluesky" in platforms and settings.compose_for("bluesky").cards:
        from syndicate.watch.og import fetch_card

        card = fetch_card(dispatch.url, timeout=card_timeout, policy=policy, notes=notes)
    compose = {p: settings.compose_for(p) for p in platforms}
    spoilers = {"mastodon": settings.mastodon.spoiler_text} if settings.mastodon.spoiler_text else None
    plan = plan_dispatch(dispatch, platforms=platforms, compose=compose, limits=limits, card=card, hold=feed.hold,
                         spoilers=spoilers)
    return with_fetch_notes(plan, notes, policy if fetch_cards else None)


def prepare(settings: Settings, store: Store, *, ignore_state: bool = False, fetch_cards: bool = True,
            monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> Prepared:
    """Poll every feed, compose what is new, and commit each feed's intake in one transaction.

    A feed's validators, baseline and accepted dispatches are written together, after its cards are
    fetched and its dispatches composed (`outbox.accept_feed`): a run killed before that commit
    leaves the feed as if it had not been fetched, so nothing between the feed and the outbox is
    lost. The pass's dispatches are planned at once on a bounded pool (the card fetch is the slow
    part); no card fetch starts after the run's budget (`[delivery] max_run_seconds`, from the
    start of this call) is spent: the composer then builds the card from the feed's own fields.
    Feeds commit in config order, each as soon as its own plans are in. Only due feeds are
    fetched (`schedule.py`; `ignore_state` fetches all); `wall` is the clock that schedule reads.
    """
    deadline = monotonic() + settings.delivery.max_run_seconds
    now = wall()
    polled = poll(settings.feeds, store, ignore_state=ignore_state, fetch=settings.fetch, now=now)
    prepared = Prepared(errors=polled.errors, not_due=len(polled.not_due))
    to_plan = [(fi, f) for fi in polled.feeds if platforms_for(fi.feed, settings) for f in fi.fresh]
    limits = cached_limits(settings, store) if to_plan or any(fi.revised for fi in polled.feeds) else {}

    def plan(feed: FeedSettings, dispatch: Dispatch) -> DispatchPlan:
        remaining = deadline - monotonic()  # read when the fetch would start, not when it was queued
        return plan_for(feed, dispatch, settings, limits, fetch_cards=fetch_cards and remaining > 0,
                        card_timeout=min(CARD_TIMEOUT, max(remaining, 0.0)))

    # Delivery order is acceptance order: oldest first across the whole pass, though feeds commit one by one.
    rank = {(fi.feed.url, f.entry_id): i for i, (fi, f) in enumerate(polled.oldest_first())}
    accepted: list[tuple[int, DispatchPlan]] = []
    with ExitStack() as stack:
        plans: dict[tuple[str, str], Future[DispatchPlan]] = {}
        if to_plan:  # a pass with nothing new (every feed 304) never loads the pool
            from concurrent.futures import ThreadPoolExecutor

            pool = stack.enter_context(ThreadPoolExecutor(max_workers=CARD_CONCURRENCY, thread_name_prefix="plan"))
            plans = {(fi.feed.url, f.entry_id): pool.submit(plan, fi.feed, f.dispatch) for fi, f in to_plan}
        for fi in polled.feeds:
            feed = fi.feed
            baseline = [(d.id, d.url, d.title) for d in fi.baseline]
            prepared.baseline += len(baseline)
            if fi.fresh and not platforms_for(feed, settings):
                # Posting nowhere must consume nothing: leave the entries unseen and the feed unrecorded
                # (no validators: the next run reads it in full), so enabling a network posts them.
                prepared.unposted.append(_unposted_line(feed, settings, len(fi.fresh)))
                outbox.accept_feed(store, feed_url=feed.url, feed_name=feed.name, validators=None,
                                   baseline=baseline, accepted=[], now=now)
                continue
            batch = []
            for f in fi.fresh:
                key = (feed.url, f.entry_id)
                dispatch_plan = plans[key].result()
                batch.append(outbox.Accepted(f.entry_id, dispatch_plan, held=feed.hold,
                                             accepted_at=now + rank[key] * 1e-6))
                accepted.append((rank[key], dispatch_plan))
            revisions = _revisions(fi, store, settings, limits)
            prepared.revisions += revisions
            outbox.accept_feed(store, feed_url=feed.url, feed_name=feed.name, validators=(fi.etag, fi.last_modified),
                               baseline=baseline, accepted=batch, read_in_full=not fi.unchanged, now=now,
                               schedule=outbox.FeedSchedule(fi.not_before, fi.changed, fi.ttl),
                               revisions=tuple(revisions))
    prepared.accepted = [p for _, p in sorted(accepted, key=lambda rp: rp[0])]
    if settings.retract_when_gone and not ignore_state and monotonic() < deadline:
        from syndicate.delivery.gone import retract_gone

        prepared.gone = retract_gone(settings, store, now=now)
    return prepared


def _revisions(fi: FeedIntake, store: Store, settings: Settings,
               limits: dict[str, Limits]) -> list[outbox.Revision]:
    """The corrections each changed entry of an accepted dispatch needs: its first post recomposed
    per platform (the same compose path as a new dispatch), against the text that stands (or will).

    No link card is fetched: the card is the Bluesky post's embed, not its text, so it cannot
    make a first post read differently; refetching every changed article each run would cost a
    request per entry for nothing. Platforms whose first post failed or was skipped get nothing;
    an entry from before digests were kept only records its digest (see store migration 7)."""
    out = []
    for r in fi.revised:
        bases = outbox.correction_bases(store, r.dispatch.id) if r.had_digest else {}
        untouched = outbox.untouched_platforms(store, r.dispatch.id) if r.had_digest else set()
        wanted = [p for p in platforms_for(fi.feed, settings) if p in bases and p not in untouched]
        replan = tuple(p for p in platforms_for(fi.feed, settings) if p in untouched)
        corrections: list[outbox.Correction] = []
        plan = None
        if wanted or replan:
            # A replanned Bluesky post keeps the card fetched at acceptance (outbox.replan).
            plan = plan_for(fi.feed, r.dispatch, settings, limits, fetch_cards=False)
            for platform in wanted:
                pp = plan.platform(platform)
                if pp is None or not pp.posts or pp.posts[0].text == bases[platform]:
                    continue  # the post would read the same (a typo deep in the body): nothing to say
                first = pp.posts[0]
                cs = settings.corrections_for(platform)
                if cs.updates == "edit" and platform == "mastodon":  # the only network that edits (README)
                    corrections.append(outbox.Correction(platform, outbox.EDIT, first, first.text))
                    continue
                reply = correction_reply(r.dispatch, platform, settings, limits.get(platform), first)
                if reply is not None:
                    corrections.append(outbox.Correction(platform, outbox.REPLY, reply, first.text,
                                                         off=cs.updates == "off"))
        out.append(outbox.Revision(r.entry_id, r.dispatch.id, r.digest, tuple(corrections), replan, plan))
    return out


def correction_reply(dispatch: Dispatch, platform: str, settings: Settings, limits: Limits | None,
                     first: Post) -> Post | None:
    """The reply a correction posts: `[corrections] template`, fitted by the platform's own rule
    as a teaser is (fields shortened in the same order), with the first post's link and language."""
    from dataclasses import replace

    from syndicate.compose.facets import detect_facets
    from syndicate.compose.length import measure
    from syndicate.compose.plan import add_utm
    from syndicate.compose.sentences import one_line
    from syndicate.compose.teaser import Fields, fit_teaser

    compose = settings.compose_for(platform)
    link = add_utm(dispatch.url, platform) if compose.utm else dispatch.url
    spoiler = first.spoiler_text

    def fits(text: str) -> bool:
        return measure(platform, text, limits=limits, spoiler_text=spoiler).valid

    fields = Fields(title=one_line(dispatch.title), summary=one_line(dispatch.summary), url=link,
                    author=one_line(dispatch.author or ""), feed=one_line(dispatch.feed))
    text = fit_teaser(settings.corrections_for(platform).template, fields, fits, language=dispatch.language)
    if text is None:
        return None
    m = measure(platform, text, limits=limits, spoiler_text=spoiler)
    return replace(first, text=text, length=m.length, limit=m.limit, card=None, images=(),
                   facets=detect_facets(text, [(link, link)]) if platform == "bluesky" else ())


def _unposted_line(feed: FeedSettings, settings: Settings, n: int) -> str:
    wanted = ", ".join(feed.platforms or ())
    return (f"feed {feed.name}: {n} new entr{'y' if n == 1 else 'ies'} not posted: its platforms = [{wanted}] "
            f"are not enabled (enabled: {', '.join(settings.enabled_platforms()) or 'none'}); "
            "they stay unseen until one is")


def accounts(settings: Settings) -> dict[str, dict[str, Any]]:
    """Display names for previews: handles from the config (`check` shows the real ones)."""
    return {
        "x": {"handle": settings.x.handle, "name": None},
        "bluesky": {"handle": settings.bluesky.handle, "name": None},
        "mastodon": {"handle": settings.mastodon.handle, "name": None},
    }
