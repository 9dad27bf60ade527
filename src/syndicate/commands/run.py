"""`syndicate run`: one cron pass — lock, poll, accept into the outbox, deliver, report.

Only one run works on a state file at a time: an exclusive lock on
`<state>.lock` (flock, released by the OS even when a run is killed). A second
run that finds the lock taken waits up to LOCK_WAIT seconds, then exits 0
without doing anything (it says so with -v): the run in progress will post
everything, and cron will start another one soon.

A PostgreSQL state ([state] url) is shared by several hosts, so no lock file can
keep them apart: runs go ahead side by side and divide the work through the
database instead — each due feed is claimed by one run (`Store.claim_feeds`),
each account by one run at a time (`Store.claim_account`).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.delivery import intake, outbox
from syndicate.delivery.report import Event, RunReport
from syndicate.errors import ConfigError, FeedError
from syndicate.settings import Settings, XSettings
from syndicate.store import Store, open_state

if TYPE_CHECKING:
    from syndicate.delivery.engine import Clock
    from syndicate.platforms.base import Publisher, Reader

LOCK_WAIT = 5.0


@contextmanager
def run_lock(state_path: Path, wait: float = LOCK_WAIT) -> Iterator[bool]:
    """Yields True when we hold the lock, False when another run does."""
    state_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = state_path.with_name(state_path.name + ".lock")
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def state_lock(settings: Settings) -> AbstractContextManager[bool]:
    """The SQLite file's run lock; none for a PostgreSQL state (hosts divide the work through claims)."""
    return nullcontext(True) if settings.state_url else run_lock(settings.state_path)


def run_once(settings: Settings, *, deliver: bool = True, clock: Clock | None = None,
             publishers: Mapping[str, Publisher] | None = None,
             readers: Mapping[str, Reader] | None = None) -> RunReport:
    """One cron pass. `clock`, `publishers` and `readers` are for tests (virtual time, fakes)."""
    require_a_network(settings)
    report = RunReport()
    monotonic = clock.monotonic if clock else time.monotonic
    with state_lock(settings) as locked:
        if not locked:
            report.locked_out = True
            return report
        store = open_state(settings)
        try:
            started = monotonic()
            prepared = intake.prepare(settings, store, monotonic=monotonic, wall=clock.wall if clock else time.time)
            report.baseline = prepared.baseline
            report.accepted = len(prepared.accepted)
            report.not_due = prepared.not_due
            for err in prepared.errors:
                report.events.append(_feed_event(err))
            for line in prepared.unposted:
                report.events.append(Event("unposted", line))
            for line in prepared.gone:
                report.events.append(Event("retracted", line))
            for plan in prepared.accepted:
                report.events.append(Event("queued", f"queued: {plan.dispatch.title} <{plan.dispatch.url}>",
                                           dispatch_id=plan.dispatch.id, url=plan.dispatch.url))
            # Nothing due (the usual cron run) never loads the engine, tenacity or an adapter.
            if deliver and outbox.anything_due(store, tuple(a.name for a in settings.enabled_accounts())):
                from syndicate.delivery.engine import deliver_due

                # Card fetches spent part of the run's one budget: delivery gets what is left of it.
                left = max(settings.delivery.max_run_seconds - (monotonic() - started), 0.0)
                budget = replace(settings, delivery=replace(settings.delivery, max_run_seconds=left))
                report.events.extend(deliver_due(budget, store, publishers=publishers, clock=clock))
            if deliver:
                _take_snapshots(settings, store, report, started=started, monotonic=monotonic,
                                wall=clock.wall if clock else time.time, readers=readers)
        finally:
            store.close()
    return report


def _take_snapshots(settings: Settings, store: Store, report: RunReport, *, started: float,
                    monotonic: Callable[[], float], wall: Callable[[], float],
                    readers: Mapping[str, Reader] | None) -> None:
    """Engagement snapshots that are due ([stats] after each post), after delivery and within what
    is left of the run's time. Nothing due (the usual run) costs one query and loads nothing."""
    if not settings.stats.enabled or not _snapshots_due(settings, store, wall()):
        return
    from syndicate.audience.collect import take_due

    limit = settings.delivery.max_run_seconds
    outcome = take_due(settings, store, now=wall(), readers=readers,
                       deadline=lambda: monotonic() - started >= limit)
    for line in outcome.errors + outcome.notes:  # quiet (-v): the snapshot stays due for the next run
        report.events.append(Event("deferred", line))


def _snapshots_due(settings: Settings, store: Store, now: float) -> bool:
    """Is any sent post's snapshot due? The rule of `audience.snapshots.due` (the latest mark
    `sent_at + after` that has passed is later than the last reading), asked in SQL here so that
    a run with nothing due imports nothing more than it did before snapshots existed."""
    # The accounts `audience.collect.readable_accounts` reads (not imported: the idle run loads no
    # syndicate.audience): every enabled account, an X one only with its own `stats = true`.
    accounts = [a.name for a in settings.enabled_accounts()
                if not isinstance(a.settings, XSettings) or a.settings.stats]
    if not accounts:
        return False
    # The latest mark that has passed, as one CASE over the marks (latest first): no subquery per post.
    after = sorted(settings.stats.after, reverse=True)
    latest_mark = "CASE " + " ".join("WHEN p.sent_at + ? <= ? THEN p.sent_at + ?" for _ in after) + " END"
    row = store.conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM parts p JOIN dispatches d ON d.id = p.dispatch_id "
        # Every enabled account's posts (a disabled or removed account's are not read: not due).
        f"WHERE p.state = 'sent' AND p.account IN ({','.join('?' * len(accounts))}) AND p.action = 'post' "
        f"AND p.remote_id IS NOT NULL AND d.retracted_at IS NULL AND p.sent_at >= ? AND p.sent_at + ? <= ? "
        # `+s.platform`: look the post's readings up by the primary key (dispatch first), not through
        # the (platform, read_at) index, which would scan a network's every reading for each post.
        f"AND {latest_mark} > COALESCE((SELECT MAX(s.read_at) FROM snapshots s WHERE s.dispatch_id = p.dispatch_id "
        f"AND +s.platform = p.platform AND s.account = p.account AND s.part = p.part), -1))",
        (*accounts, now - settings.stats.window_days * 86400, after[-1], now,
         *(v for a in after for v in (a, now, a))),
    ).fetchone()
    return bool(row[0])


def require_a_network(settings: Settings) -> None:
    """A run that can post nowhere must consume nothing: refuse it before the state file is touched."""
    if settings.enabled_accounts():
        return
    raise ConfigError(
        "no network is enabled, so nothing would be posted (and nothing is fetched or marked seen): set "
        "`enabled = true` under [x], [bluesky] or [mastodon] (with its handle/instance and credentials; "
        "`syndicate check` verifies them), or add an [[accounts]] table",
        path=str(settings.path) if settings.path else None,
    )


def _feed_event(err: FeedError) -> Event:
    return Event("feed-error", f"feed {err.url}: {err.reason}", url=err.url)
