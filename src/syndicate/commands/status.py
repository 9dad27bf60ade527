"""`syndicate status`, `release` and `retry`: read and nudge the state file."""

from __future__ import annotations

from datetime import UTC, datetime

from syndicate.delivery import outbox
from syndicate.delivery.budget import month_start
from syndicate.delivery.schedule import due_at
from syndicate.errors import SyndicateError
from syndicate.model import account_label
from syndicate.settings import FeedSettings, Settings
from syndicate.store import FeedState, Store, open_state


class UnknownDispatch(SyndicateError):
    """`release`/`retry` named a dispatch that is not there (a typo), or there is no state file
    (a mistyped [state] path): a usage error, exit 2."""


def open_existing(settings: Settings, command: str) -> Store:
    """The state file, which must already exist: a mistyped [state] path must not leave a new one behind."""
    if not settings.state_url and not settings.state_path.exists():
        where = f" (from {settings.path})" if settings.path else ""
        raise UnknownDispatch(f"no state file at {settings.state_path}{where}: nothing to {command} "
                              "(has `syndicate run` used this config yet? check [state] path)")
    return open_state(settings)


def _require_dispatch(store: Store, dispatch_id: str) -> None:
    if not store.dispatch_exists(dispatch_id):
        raise UnknownDispatch(f"no dispatch with id {dispatch_id!r} in {store.where} (see `syndicate status`)")


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"


def _next_due(feed: FeedSettings | None, settings: Settings, state: FeedState | None, now: float) -> str:
    if feed is None:
        return "not in the config (not fetched)"
    when = due_at(feed, settings.fetch, state)
    return "next due now" if when is None or when <= now else f"next due {_when_exact(when)}"


def _when_exact(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_status(settings: Settings, *, limit: int = 20, now: float | None = None) -> str:
    """`now`: wall time for the feeds' next due times (tests pass a virtual one)."""
    if not settings.state_url and not settings.state_path.exists():
        return f"State file: {settings.state_path} (not created yet: no run so far)\n"
    store = open_state(settings, readonly=True)
    try:
        out = [f"State file: {store.where}" if not settings.state_url else f"State database: {store.where}"]
        counts = store.conn.execute("SELECT state, COUNT(*) FROM parts WHERE action = 'post' "
                                    "GROUP BY state ORDER BY state").fetchall()
        out.append("Outbox: " + (", ".join(f"{n} {s}" for s, n in counts) if counts else "empty"))
        deletes = store.conn.execute("SELECT state, COUNT(*) FROM parts WHERE action = 'delete' "
                                     "GROUP BY state ORDER BY state").fetchall()
        if deletes:
            out.append("Deletes (retractions): " + ", ".join(f"{n} {s}" for s, n in deletes))
        held = store.conn.execute("SELECT COUNT(*) FROM dispatches WHERE held = 1").fetchone()[0]
        if held:
            out.append(f"Held for review: {held} (release with `syndicate release ID`)")
        since = month_start(datetime.now(UTC).timestamp())
        x_accounts = [a for a in settings.enabled_accounts() if a.platform == "x"]
        for account in x_accounts:  # per account: each has its own monthly_budget
            spent = outbox.month_spend(store, account.name, since)
            budget = getattr(account.settings, "monthly_budget", None)
            out.append(f"{account_label(account.name, 'x')} spend this month: {spent:.3f}"
                       + (f" of {budget:.3f}" if budget is not None else ""))
        app_budget = settings.x.app_monthly_budget
        if x_accounts and (len(x_accounts) > 1 or app_budget is not None):  # X bills the app: all accounts
            spent = outbox.month_spend(store, "", since, platform="x")
            out.append(f"X app spend this month (every X account): {spent:.3f}"
                       + (f" of {app_budget:.3f}" if app_budget is not None else ""))
        out.append("")
        out.append("Feeds:")
        configured = {feed.url: feed for feed in settings.feeds}
        now = datetime.now(UTC).timestamp() if now is None else now
        for f in store.feeds():
            state = f"error: {f['last_error']}" if f["last_error"] else "ok"
            out.append(f"  {f['name']}: last fetch {_when(f['last_fetch_at'])}, {state}, "
                       f"{_next_due(configured.get(f['url']), settings, store.feed_state(f['url']), now)}")
        out.append("")
        out.append("Recent dispatches:")
        rows = store.conn.execute(
            "SELECT id, title, url, held, accepted_at FROM dispatches ORDER BY accepted_at DESC, rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        if not rows:
            out.append("  (none yet)")
        for dispatch_id, title, url, is_held, accepted in rows:
            retraction = outbox.retraction(store, dispatch_id)
            flag = " [HELD]" if is_held else ""
            flag += " [RETRACTED]" if retraction.retracted_at else ""
            out.append(f"  {title}{flag}")
            out.append(f"    id {dispatch_id} · {url} · accepted {_when(accepted)}")
            corrections = outbox.corrections_of(store, dispatch_id)
            if corrections:
                out.append("    " + _corrections_line(corrections))
                for c in corrections:
                    if c.state in (outbox.FAILED, outbox.UNKNOWN, outbox.DEFERRED):
                        out.append(f"    {account_label(c.account_name, c.platform):8} correction {c.correction} "
                                   f"{c.action} {c.state} — {c.last_error or ''}")
            if retraction.retracted_at:
                out.append("    " + _retraction_line(retraction))
                for p in outbox.parts_of(store, dispatch_id, action=outbox.DELETE):
                    if p.state in (outbox.FAILED, outbox.UNKNOWN, outbox.DEFERRED):
                        out.append(f"    {account_label(p.account_name, p.platform):8} delete {p.part}/{p.of_parts} "
                                   f"{p.state} — {p.last_error or ''}")
            for p in outbox.parts_of(store, dispatch_id):
                line = f"    {account_label(p.account_name, p.platform):8} {p.part}/{p.of_parts} {p.state}"
                if p.remote_url:
                    line += f" {p.remote_url}"
                if p.state == outbox.DEFERRED and p.not_before:
                    line += f" (next attempt {_when(p.not_before)})"
                if p.last_error and p.state != outbox.SENT:
                    line += f" — {p.last_error}"
                out.append(line)
        return "\n".join(out) + "\n"
    finally:
        store.close()


def _to_accounts(store: Store, dispatch_id: str) -> str:
    """ " to x, ana-bsky": the accounts a dispatch's unsent posts go to."""
    rows = store.conn.execute("SELECT DISTINCT account FROM parts WHERE dispatch_id = ? AND action = 'post' AND "
                              "state IN ('planned', 'deferred', 'sending') ORDER BY account", (dispatch_id,)).fetchall()
    return f" to {', '.join(r[0] for r in rows)}" if rows else ""


def _retraction_line(r: outbox.Retraction) -> str:
    """E.g. "retracted 2026-11-30 12:00 UTC: deleted 6 of 8, 2 pending, 0 failed; 1 part cancelled"."""
    done, failed = r.deletes.get(outbox.SENT, 0), r.deletes.get(outbox.FAILED, 0)
    held = r.deletes.get(outbox.UNKNOWN, 0)
    pending = r.total - done - failed - held
    line = f"retracted {_when(r.retracted_at)}: deleted {done} of {r.total}, {pending} pending, {failed} failed"
    if held:
        line += f", {held} held (`syndicate retry` looks again)"
    if r.cancelled:
        line += f"; {r.cancelled} part(s) cancelled, never posted"
    return line


def _corrections_line(rows: list[outbox.Part]) -> str:
    """E.g. "changed 2 times: corrections 3 sent, 1 pending, 0 failed; not sent (updates = off): 2"."""
    changes = len({c.correction for c in rows})
    by_state: dict[str, int] = {}
    for c in rows:
        key = "off" if c.last_error == outbox.CORRECTIONS_OFF else (
            "pending" if c.state in outbox.DUE_STATES else c.state)
        by_state[key] = by_state.get(key, 0) + 1
    line = (f"changed {changes} time{'s' if changes != 1 else ''}: corrections {by_state.get(outbox.SENT, 0)} sent, "
            f"{by_state.get('pending', 0)} pending, {by_state.get(outbox.FAILED, 0)} failed")
    for state in (outbox.UNKNOWN, outbox.SKIPPED):
        if by_state.get(state):
            line += f", {by_state[state]} {state}"
    if by_state.get("off"):
        latest = {c.account_name: c for c in rows if c.last_error == outbox.CORRECTIONS_OFF}
        sample = next(iter(latest.values()))
        line += (f"; not sent ([corrections] updates = \"off\"): {by_state['off']}, e.g. "
                 f"{account_label(sample.account_name, sample.platform)}: {sample.post.text!r}")
    return line


def release_dispatch(settings: Settings, dispatch_id: str) -> str:
    store = open_existing(settings, "release")
    try:
        _require_dispatch(store, dispatch_id)
        cur = store.conn.execute("UPDATE dispatches SET held = 0 WHERE id = ? AND held = 1", (dispatch_id,))
        if cur.rowcount:
            return f"Released {dispatch_id}: the next run posts it{_to_accounts(store, dispatch_id)}."
        return f"{dispatch_id} was not held."
    finally:
        store.close()


# A row `retry` may touch: any delete, or a post of a dispatch that is not retracted.
_NOT_RETRACTED = ("(action = 'delete' OR dispatch_id NOT IN "
                  "(SELECT id FROM dispatches WHERE retracted_at IS NOT NULL))")


def retry_dispatch(settings: Settings, dispatch_id: str) -> str:
    """Failed, skipped (not budget) and unknown parts go back to planned. A retracted
    dispatch's posts are never re-queued: only its deletes are.

    An `unknown` part may already be live: `retry` first looks it up (the part is
    re-queued as `sending`, which makes delivery call `find` before posting).
    """
    store = open_existing(settings, "retry")
    try:
        _require_dispatch(store, dispatch_id)
        with store.transaction() as c:
            # The accounts whose rows this re-queues, for the message (read inside the same transaction).
            accounts = [r[0] for r in c.execute(
                "SELECT DISTINCT account FROM parts WHERE dispatch_id = ? AND " + _NOT_RETRACTED +
                " AND (state IN ('failed', 'deferred', 'unknown') OR (state = 'skipped' AND last_error NOT LIKE "
                "'budget:%')) ORDER BY account", (dispatch_id,))]
            failed = c.execute(
                "UPDATE parts SET state = 'planned', not_before = NULL WHERE dispatch_id = ? AND " + _NOT_RETRACTED +
                " AND (state = 'failed' OR (state = 'skipped' AND last_error NOT LIKE 'budget:%' "
                "AND last_error IS NOT ?) "
                "OR (state = 'deferred'))", (dispatch_id, outbox.CORRECTIONS_OFF)).rowcount
            unknown = c.execute(
                "UPDATE parts SET state = 'sending' WHERE dispatch_id = ? AND " + _NOT_RETRACTED +
                " AND state = 'unknown'", (dispatch_id,)).rowcount
        n = failed + unknown
        if not n:
            return f"Nothing to retry for {dispatch_id!r}."
        return f"Re-queued {n} part(s) of {dispatch_id} (on {', '.join(accounts)})."
    finally:
        store.close()
