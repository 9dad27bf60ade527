"""The one pipeline `run` and `dry-run` share: watch → compose → outbox.

`dry-run` runs exactly this against a throw-away in-memory copy of the state
(`Store.open_readonly`), then renders what the outbox holds instead of
delivering it; so it cannot drift from what `run` would send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syndicate import outbox
from syndicate.errors import FeedError
from syndicate.model import Card, Dispatch, DispatchPlan, Limits
from syndicate.netguard import FetchPolicy, with_fetch_notes
from syndicate.settings import FeedSettings, Settings
from syndicate.store import Store
from syndicate.watch.poll import poll


@dataclass
class Prepared:
    accepted: list[DispatchPlan] = field(default_factory=list)
    errors: list[FeedError] = field(default_factory=list)
    baseline: int = 0


def platforms_for(feed: FeedSettings, settings: Settings) -> tuple[str, ...]:
    enabled = settings.enabled_platforms()
    if feed.platforms is None:
        return enabled
    return tuple(p for p in enabled if p in feed.platforms)


def cached_limits(settings: Settings, store: Store) -> dict[str, Limits]:
    """Limits the publishers stored on earlier runs (a Mastodon instance's own); no network here."""
    out: dict[str, Limits] = {}
    if settings.mastodon.instance:
        raw = store.load_limits("mastodon", settings.mastodon.instance)
        if raw:
            out["mastodon"] = Limits(**raw)
    return out


def plan_for(feed: FeedSettings, dispatch: Dispatch, settings: Settings, limits: dict[str, Limits], *,
             fetch_cards: bool = True) -> DispatchPlan:
    from syndicate.compose.plan import plan_dispatch

    platforms = platforms_for(feed, settings)
    card: Card | None = None
    # Content URLs reach a private address only on a configured feed's host or inside allow_private
    # (the same policy delivery fetches images with, so dry-run's notes agree with what run does).
    policy = FetchPolicy.for_feeds(settings.feed_urls(), settings.fetch.allow_private)
    notes: list[str] = []
    if fetch_cards and "bluesky" in platforms and settings.compose_for("bluesky").cards:
        from syndicate.watch.og import fetch_card

        card = fetch_card(dispatch.url, policy=policy, notes=notes)
    compose = {p: settings.compose_for(p) for p in platforms}
    spoilers = {"mastodon": settings.mastodon.spoiler_text} if settings.mastodon.spoiler_text else None
    plan = plan_dispatch(dispatch, platforms=platforms, compose=compose, limits=limits, card=card, hold=feed.hold,
                         spoilers=spoilers)
    return with_fetch_notes(plan, notes, policy if fetch_cards else None)


def prepare(settings: Settings, store: Store, *, ignore_state: bool = False, fetch_cards: bool = True) -> Prepared:
    """Poll every feed and accept each new dispatch into the outbox (plan written before any post)."""
    polled = poll(settings.feeds, store, ignore_state=ignore_state)
    prepared = Prepared(errors=polled.errors, baseline=polled.baseline)
    limits = cached_limits(settings, store)
    for feed, dispatch in polled.new:
        plan = plan_for(feed, dispatch, settings, limits, fetch_cards=fetch_cards)
        outbox.accept(store, plan, held=feed.hold)
        prepared.accepted.append(plan)
    return prepared


def accounts(settings: Settings) -> dict[str, dict[str, Any]]:
    """Display names for previews: handles from the config (`check` shows the real ones)."""
    return {
        "x": {"handle": settings.x.handle, "name": None},
        "bluesky": {"handle": settings.bluesky.handle, "name": None},
        "mastodon": {"handle": settings.mastodon.handle, "name": None},
    }
