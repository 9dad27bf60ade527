"""The one pipeline `run` and `dry-run` share: watch → compose → outbox.

`dry-run` runs exactly this against a throw-away in-memory copy of the state
(`Store.open_readonly`), then renders what the outbox holds instead of
delivering it; so it cannot drift from what `run` would send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from syndicate.delivery import outbox
from syndicate.delivery.poll import poll
from syndicate.errors import FeedError
from syndicate.netguard import FetchPolicy, with_fetch_notes
from syndicate.settings import Account, FeedSettings, Settings
from syndicate.store import Store

if TYPE_CHECKING:  # an idle run (every feed 304) composes nothing: the model and the pool load only for news
    from concurrent.futures import Future

    from syndicate.delivery.poll import FeedIntake
    from syndicate.model import Card, Dispatch, DispatchPlan, Limits, Lint, PlatformPlan, Post

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


def accounts_for(feed: FeedSettings, settings: Settings) -> tuple[Account, ...]:
    """The enabled accounts a feed posts to: those its `accounts` names, else the default accounts
    ([x] [bluesky] [mastodon]) as before accounts existed; `platforms` selects among them."""
    enabled = settings.enabled_accounts()
    chosen = [a for a in enabled if (a.is_default if feed.accounts is None else a.name in feed.accounts)]
    if feed.platforms is not None:
        chosen = [a for a in chosen if a.platform in feed.platforms]
    return tuple(chosen)


def platforms_for(feed: FeedSettings, settings: Settings) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.platform for a in accounts_for(feed, settings)))


def cached_limits(settings: Settings, store: Store) -> dict[str, Limits]:
    """Limits the publishers stored on earlier runs (a Mastodon instance's own), per account name; no network here."""
    from syndicate.model import Limits

    out: dict[str, Limits] = {}
    for account in settings.enabled_accounts():
        instance = getattr(account.settings, "instance", None)
        if account.platform == "mastodon" and instance:
            raw = store.load_limits("mastodon", instance)
            if raw:
                out[account.name] = Limits(**raw)
    return out


def plan_for(feed: FeedSettings, dispatch: Dispatch, settings: Settings, limits: dict[str, Limits], *,
             fetch_cards: bool = True, card_timeout: float = CARD_TIMEOUT) -> DispatchPlan:
    from syndicate.compose.plan import plan_dispatch
    from syndicate.model import DispatchPlan

    accounts = accounts_for(feed, settings)
    card: Card | None = None
    # Content URLs reach a private address only on a configured feed's host or inside allow_private
    # (the same policy delivery fetches images with, so dry-run's notes agree with what run does).
    policy = FetchPolicy.for_feeds(settings.feed_urls(), settings.fetch.allow_private)
    notes: list[str] = []
    if fetch_cards and any(a.platform == "bluesky" and a.compose.cards for a in accounts):
        from syndicate.watch.og import fetch_card

        card = fetch_card(dispatch.url, timeout=card_timeout, policy=policy, notes=notes)
    # Accounts that would get the same posts (same network, compose settings, limits, content
    # warning) share one composition; each composition call covers one such group per network.
    groups: dict[tuple[str, Any, Any, str | None], list[Account]] = {}
    for a in accounts:
        lim = limits.get(a.name)
        spoiler = getattr(a.settings, "spoiler_text", None) or None
        groups.setdefault((a.platform, a.compose, repr(lim) if lim else None, spoiler), []).append(a)
    rounds: list[list[tuple[str, Any, Any, str | None]]] = []
    per_platform: dict[str, int] = {}
    for key in groups:
        n = per_platform[key[0]] = per_platform.get(key[0], -1) + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(key)
    by_account: dict[str, PlatformPlan] = {}
    warnings: dict[tuple[str, str], Lint] = {}
    for keys in rounds:
        platforms = [k[0] for k in keys]
        compose = {k[0]: k[1] for k in keys}
        lims = {k[0]: limits[groups[k][0].name] for k in keys if k[2] is not None}
        spoilers = {k[0]: k[3] for k in keys if k[3]} or None
        plan = plan_dispatch(dispatch, platforms=platforms, compose=compose, limits=lims, card=card,
                             hold=feed.hold, spoilers=spoilers)
        for w in plan.warnings:
            warnings.setdefault((w.code, w.message), w)
        for key in keys:
            pp = plan.platform(key[0])
            for a in groups[key]:
                if pp is not None:
                    by_account[a.name] = replace(pp, account=None if a.is_default else a.name)
    plan = DispatchPlan(dispatch, tuple(by_account[a.name] for a in accounts if a.name in by_account),
                        tuple(warnings.values()))
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
    to_plan = [(fi, f) for fi in polled.feeds if accounts_for(fi.feed, settings) for f in fi.fresh]
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
            if fi.fresh and not accounts_for(feed, settings):
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
    per account (the same compose path as a new dispatch), against the text that stands (or will).

    No link card is fetched: the card is the Bluesky post's embed, not its text, so it cannot
    make a first post read differently; refetching every changed article each run would cost a
    request per entry for nothing. Accounts whose first post failed or was skipped get nothing;
    an entry from before digests were kept only records its digest (see store migration 8)."""
    out = []
    for r in fi.revised:
        bases = outbox.correction_bases(store, r.dispatch.id) if r.had_digest else {}
        untouched = outbox.untouched_accounts(store, r.dispatch.id) if r.had_digest else set()
        accounts = accounts_for(fi.feed, settings)
        wanted = [a for a in accounts if a.name in bases and a.name not in untouched]
        replan = tuple(a.name for a in accounts if a.name in untouched)
        corrections: list[outbox.Correction] = []
        plan = None
        if wanted or replan:
            # A replanned Bluesky post keeps the card fetched at acceptance (outbox.replan).
            plan = plan_for(fi.feed, r.dispatch, settings, limits, fetch_cards=False)
            by_account = {pp.name: pp for pp in plan.platforms}
            for a in wanted:
                pp = by_account.get(a.name)
                if pp is None or not pp.posts or pp.posts[0].text == bases[a.name]:
                    continue  # the post would read the same (a typo deep in the body): nothing to say
                first = pp.posts[0]
                cs = a.corrections  # [corrections], per network, per account: resolved by config
                if cs.updates == "edit" and a.platform == "mastodon":  # the only network that edits (README)
                    corrections.append(outbox.Correction(a.platform, outbox.EDIT, first, first.text, account=a.name))
                    continue
                reply = correction_reply(r.dispatch, a, limits.get(a.name), first)
                if reply is not None:
                    corrections.append(outbox.Correction(a.platform, outbox.REPLY, reply, first.text,
                                                         off=cs.updates == "off", account=a.name))
        out.append(outbox.Revision(r.entry_id, r.dispatch.id, r.digest, tuple(corrections), replan, plan))
    return out


def correction_reply(dispatch: Dispatch, account: Account, limits: Limits | None, first: Post) -> Post | None:
    """The reply a correction posts: the account's `[corrections] template`, fitted by the platform's own rule
    as a teaser is (fields shortened in the same order), with the first post's link and language."""
    from dataclasses import replace

    from syndicate.compose.facets import detect_facets
    from syndicate.compose.length import measure
    from syndicate.compose.plan import add_utm
    from syndicate.compose.sentences import one_line
    from syndicate.compose.teaser import Fields, fit_teaser

    platform = account.platform
    link = add_utm(dispatch.url, platform) if account.compose.utm else dispatch.url
    spoiler = first.spoiler_text

    def fits(text: str) -> bool:
        return measure(platform, text, limits=limits, spoiler_text=spoiler).valid

    fields = Fields(title=one_line(dispatch.title), summary=one_line(dispatch.summary), url=link,
                    author=one_line(dispatch.author or ""), feed=one_line(dispatch.feed))
    text = fit_teaser(account.corrections.template, fields, fits, language=dispatch.language)
    if text is None:
        return None
    m = measure(platform, text, limits=limits, spoiler_text=spoiler)
    return replace(first, text=text, length=m.length, limit=m.limit, card=None, images=(),
                   facets=detect_facets(text, [(link, link)]) if platform == "bluesky" else ())


def _unposted_line(feed: FeedSettings, settings: Settings, n: int) -> str:
    enabled = ", ".join(a.name for a in settings.enabled_accounts()) or "none"
    what = f"its platforms = [{', '.join(feed.platforms or ())}]" if feed.platforms is not None else ""
    if feed.accounts is not None:
        what = f"its accounts = [{', '.join(feed.accounts)}]" + (f" and {what}" if what else "")
    elif not what:
        what = "it names no accounts and the default accounts [x] [bluesky] [mastodon]"
    return (f"feed {feed.name}: {n} new entr{'y' if n == 1 else 'ies'} not posted: {what} "
            f"are not enabled (enabled: {enabled}); they stay unseen until one is")


def accounts(settings: Settings) -> dict[str, dict[str, Any]]:
    """Display names for previews, per account name: handles from the config (`check` shows the real ones)."""
    return {a.name: {"handle": a.settings.handle, "name": None, "platform": a.platform}
            for a in settings.all_accounts() if a.is_default or a.enabled}
