"""Read engagement and replies from the networks, and store them as snapshots.

One reader per network (each platform package's `open_reader`), posts batched by that network's
own batch size (`Reader.batch`: 20 / 25 / 100). A network that fails is named in one line and
the others carry on. X is read only with `[x] stats = true`, and only as many posts as
`[x] monthly_budget` still covers at `[x] price_read` each: it stops before the budget would be
passed. Replies are read where the replies count went up since the last reading (or on a first
reading that shows some), from the thread's first post: one call per thread.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from syndicate.audience import snapshots
from syndicate.audience.snapshots import SentPost
from syndicate.errors import PlatformError, SyndicateError
from syndicate.settings import Settings
from syndicate.store import Store

if TYPE_CHECKING:
    from syndicate.platforms.base import Counts, Reader, ReaderOpener


@dataclass
class Outcome:
    """What one round of reading did."""

    snapshots: int = 0
    replies: int = 0  # new replies stored
    calls: dict[str, int] = field(default_factory=dict)  # API calls per network
    cost: float = 0.0  # billed (X)
    errors: list[str] = field(default_factory=list)  # one line each, naming the network
    notes: list[str] = field(default_factory=list)  # e.g. X skipped for its budget


def readable_platforms(settings: Settings) -> tuple[str, ...]:
    """Networks we read: the enabled ones, and X only when `[x] stats = true` (its reads are billed)."""
    return tuple(p for p in settings.enabled_platforms() if p != "x" or settings.x.stats)


def read(settings: Settings, store: Store, posts: Sequence[SentPost], *, now: float,
         readers: Mapping[str, Reader] | None = None, environ: Mapping[str, str] | None = None,
         deadline: Callable[[], bool] = lambda: False, want_replies: bool = True) -> Outcome:
    """Read the counts of `posts` (and new replies under them) and store one snapshot each at `now`.

    `readers` are for tests (readers on fakes); otherwise each network's own is opened.
    `deadline()` True: stop before the next network (the run's time budget)."""
    outcome = Outcome()
    env = os.environ if environ is None else environ
    allowed = readable_platforms(settings)
    by_platform: dict[str, list[SentPost]] = {}
    for post in posts:
        if post.platform in allowed:
            by_platform.setdefault(post.platform, []).append(post)
    for platform, group in by_platform.items():
        if deadline():
            outcome.notes.append(f"{platform}: engagement not read: the run's time is up (next run)")
            continue
        try:
            reader = readers[platform] if readers is not None else _opener(platform)(settings, env)
            _read_network(settings, store, reader, group, now=now, outcome=outcome, want_replies=want_replies,
                          deadline=deadline)
        except SyndicateError as exc:
            outcome.errors.append(f"{platform}: engagement not read: {exc}")
        except (ValueError, KeyError, TypeError) as exc:  # an answer not in the API's shape (SDK models)
            outcome.errors.append(f"{platform}: engagement not read: unexpected answer ({type(exc).__name__})")
    skipped = sorted({p.platform for p in posts} - set(allowed))
    if "x" in skipped and settings.x.enabled:
        outcome.notes.append("x: not read: set [x] stats = true to read X (each post read is billed)")
    return outcome


def _read_network(settings: Settings, store: Store, reader: Reader, posts: list[SentPost], *, now: float,
                  outcome: Outcome, want_replies: bool, deadline: Callable[[], bool]) -> None:
    platform = reader.name
    price = 0.0
    if platform == "x":
        price = settings.x.price_read
        affordable = _x_affordable(settings, store, now)
        if affordable < len(posts):
            outcome.notes.append(
                f"x: {len(posts) - affordable} of {len(posts)} posts not read: reading them "
                f"({settings.x.price_read:g} each) would pass [x] monthly_budget")
            posts = posts[:affordable]
        if not posts:
            return
    calls_before = reader.calls
    try:
        found = reader.read_counts([p.receipt() for p in posts])
    finally:
        outcome.calls[platform] = outcome.calls.get(platform, 0) + reader.calls - calls_before
    readings = [(p, found[p.remote_id], price) for p in posts if p.remote_id in found]
    snapshots.record_snapshots(store, readings, now)
    outcome.snapshots += len(readings)
    outcome.cost += price * len(readings)
    if want_replies and reader.replies_supported:
        _read_replies(store, reader, posts, readings, now=now, outcome=outcome, deadline=deadline)


def _read_replies(store: Store, reader: Reader, posts: list[SentPost], readings: list[tuple[SentPost, Counts, float]],
                  *, now: float, outcome: Outcome, deadline: Callable[[], bool]) -> None:
    grown = {p.dispatch_id for p, counts, _ in readings
             if counts.replies and counts.replies > (snapshots.previous_replies(store, p, now) or 0)}
    threads: dict[str, list[SentPost]] = {}
    for p in sorted(posts, key=lambda p: p.part):
        if p.dispatch_id in grown:
            threads.setdefault(p.dispatch_id, []).append(p)
    for thread in threads.values():
        if deadline():
            return
        ours = frozenset(k for p in thread for k in (p.remote_id, p.uri) if k)
        before = reader.calls
        try:
            replies = reader.read_replies(thread[0].receipt(), ours)
        except PlatformError as exc:
            outcome.errors.append(f"{reader.name}: replies to {thread[0].dispatch_id} not read: {exc}")
            continue
        finally:
            outcome.calls[reader.name] = outcome.calls.get(reader.name, 0) + reader.calls - before
        outcome.replies += snapshots.record_replies(store, thread, replies, now)


def _x_affordable(settings: Settings, store: Store, now: float) -> int:
    """How many X posts may still be read this month without passing the budget (no budget: all)."""
    if settings.x.monthly_budget is None:
        return 1 << 62
    from syndicate.delivery.budget import month_start
    from syndicate.delivery.outbox import month_spend

    left = settings.x.monthly_budget - month_spend(store, "x", month_start(now))
    if settings.x.price_read <= 0:
        return 1 << 62
    # A hair of tolerance so 0.1 / 0.005 is 20, not 19 (binary fractions).
    return max(0, math.floor(left / settings.x.price_read + 1e-9))


def _opener(platform: str) -> ReaderOpener:
    # Imported here, and only the one asked for (as delivery/publishers.py does for posting).
    if platform == "x":
        from syndicate.platforms.x import open_reader as x
        return x
    if platform == "bluesky":
        from syndicate.platforms.bluesky import open_reader as bluesky
        return bluesky
    if platform == "mastodon":
        from syndicate.platforms.mastodon import open_reader as mastodon
        return mastodon
    raise ValueError(f"unknown platform {platform!r}")


def take_due(settings: Settings, store: Store, *, now: float, readers: Mapping[str, Reader] | None = None,
             deadline: Callable[[], bool] = lambda: False) -> Outcome:
    """The snapshots due now (`[stats] after` each post's sent_at, within `window_days`): what `run` takes."""
    since = now - settings.stats.window_days * 86400
    posts = snapshots.sent_posts(store, since=since, platforms=readable_platforms(settings))
    due = snapshots.due(posts, settings.stats.after, now, snapshots.last_read(store))
    return read(settings, store, due, now=now, readers=readers, deadline=deadline)

