"""Read engagement and replies from the networks, and store them as snapshots.

One reader per account (each platform package's `open_reader`, with that account's settings and
secrets: an account's posts are read as that account), posts batched by that network's own batch
size (`Reader.batch`: 20 / 25 / 100). An account that fails is named in one line and the others
carry on. A disabled or removed account's posts are not read (no error: there is nothing to read
them with). X is read only where the account says `stats = true`, and only as many posts as both
its `monthly_budget` and `[x] app_monthly_budget` still cover at its `price_read` each: it stops
before either budget would be passed. Replies are read where the replies count went up since the
last reading (or on a first reading that shows some), from the thread's first post: one call per
thread.
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
from syndicate.settings import Account, Settings, XSettings
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
    errors: list[str] = field(default_factory=list)  # one line each, naming the account
    notes: list[str] = field(default_factory=list)  # e.g. X skipped for its budget


def readable_accounts(settings: Settings) -> tuple[Account, ...]:
    """Accounts we read: the enabled ones, and an X account only with `stats = true` (its reads are billed)."""
    return tuple(a for a in settings.enabled_accounts()
                 if not isinstance(a.settings, XSettings) or a.settings.stats)


def read(settings: Settings, store: Store, posts: Sequence[SentPost], *, now: float,
         readers: Mapping[str, Reader] | None = None, environ: Mapping[str, str] | None = None,
         deadline: Callable[[], bool] = lambda: False, want_replies: bool = True) -> Outcome:
    """Read the counts of `posts` (and new replies under them) and store one snapshot each at `now`.

    `readers` (by account name) are for tests (readers on fakes); otherwise each account's own is
    opened. `deadline()` True: stop before the next account (the run's time budget)."""
    outcome = Outcome()
    env = os.environ if environ is None else environ
    allowed = {a.name: a for a in readable_accounts(settings)}
    by_account: dict[str, list[SentPost]] = {}
    for post in posts:
        if post.account in allowed:
            by_account.setdefault(post.account, []).append(post)
    policy = None
    for name, group in by_account.items():
        account = allowed[name]
        if deadline():
            outcome.notes.append(f"{name}: engagement not read: the run's time is up (next run)")
            continue
        try:
            if readers is not None:
                reader = readers[name]
            else:
                if policy is None:
                    from syndicate.netguard import FetchPolicy

                    policy = FetchPolicy.for_feeds(settings.feed_urls(), settings.fetch.allow_private)
                from syndicate.platforms import network

                open_reader: ReaderOpener = network(account.platform).open_reader
                reader = open_reader(account, env, store, policy)
            _read_account(settings, store, account, reader, group, now=now, outcome=outcome,
                          want_replies=want_replies, deadline=deadline)
        except SyndicateError as exc:
            outcome.errors.append(f"{name}: engagement not read: {exc}")
        except (ValueError, KeyError, TypeError) as exc:  # an answer not in the API's shape (SDK models)
            outcome.errors.append(f"{name}: engagement not read: unexpected answer ({type(exc).__name__})")
    off = sorted({p.account for p in posts if p.platform == "x"} - set(allowed))
    for name in off:
        found = settings.account(name)
        if found is not None and found.enabled:  # disabled or removed: skipped without a word
            where = "[x] stats = true" if found.is_default else f"stats = true in the [[accounts]] table of {name}"
            outcome.notes.append(f"{name}: not read: set {where} to read X (each post read is billed)")
    return outcome


def _read_account(settings: Settings, store: Store, account: Account, reader: Reader, posts: list[SentPost], *,
                  now: float, outcome: Outcome, want_replies: bool, deadline: Callable[[], bool]) -> None:
    platform = reader.name
    price = 0.0
    if isinstance(account.settings, XSettings):
        price = account.settings.price_read
        affordable, budget = _x_affordable(settings, account, store, now)
        if affordable < len(posts):
            outcome.notes.append(
                f"{account.name}: {len(posts) - affordable} of {len(posts)} posts not read: reading them "
                f"({price:g} each) would pass {budget}")
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


def _x_affordable(settings: Settings, account: Account, store: Store, now: float) -> tuple[int, str]:
    """How many posts the X `account` may still read this month without passing its own
    `monthly_budget` or the app-wide `[x] app_monthly_budget` (X bills the app), and the budget
    that binds (named as the config names it). No budget: all. Accounts are read one after
    another, so each sees what the others' readings spent."""
    from syndicate.delivery.budget import month_start
    from syndicate.delivery.outbox import month_spend

    assert isinstance(account.settings, XSettings)
    price = account.settings.price_read
    since = month_start(now)
    left: list[tuple[float, str]] = []
    if account.settings.monthly_budget is not None:
        own = "[x] monthly_budget" if account.is_default else f"monthly_budget of account {account.name}"
        left.append((account.settings.monthly_budget - month_spend(store, account.name, since), own))
    if settings.x.app_monthly_budget is not None:
        left.append((settings.x.app_monthly_budget - month_spend(store, "", since, platform="x"),
                     "[x] app_monthly_budget"))
    if not left or price <= 0:
        return 1 << 62, ""
    money, budget = min(left, key=lambda b: b[0])  # a tie names the account's own
    # A hair of tolerance so 0.1 / 0.005 is 20, not 19 (binary fractions).
    return max(0, math.floor(money / price + 1e-9)), budget


def take_due(settings: Settings, store: Store, *, now: float, readers: Mapping[str, Reader] | None = None,
             deadline: Callable[[], bool] = lambda: False) -> Outcome:
    """The snapshots due now (`[stats] after` each post's sent_at, within `window_days`): what `run` takes."""
    since = now - settings.stats.window_days * 86400
    posts = snapshots.sent_posts(store, since=since, accounts=[a.name for a in readable_accounts(settings)])
    due = snapshots.due(posts, settings.stats.after, now, snapshots.last_read(store))
    return read(settings, store, due, now=now, readers=readers, deadline=deadline)

