"""`syndicate retract ID_OR_URL`: take a dispatch down on every network, through the outbox.

The command writes, in one transaction, one 'delete' row per post of the dispatch (thread
parts and correction replies) that is out there (or may be: an attempt was made) and marks
the dispatch retracted; its unsent parts are skipped, and it is never posted again, even
when the feed still lists it (its entry stays seen). Then it carries the deletes out at once, through the same engine as
`run` (paced, budgeted, looked up before any resend), so the story comes down now rather
than at the next cron run. Whatever it could not finish (a rate limit, an outage, a kill)
stays queued: the next `run` carries it out. It holds the run lock, so that no run is
halfway through posting the dispatch while its deletes are written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from syndicate.commands.run import state_lock
from syndicate.commands.status import UnknownDispatch, open_existing
from syndicate.delivery import outbox
from syndicate.delivery.report import Event, RunReport
from syndicate.errors import SyndicateError
from syndicate.model import PLATFORM_NAMES as NAMES
from syndicate.settings import Settings
from syndicate.store import Store, open_state

if TYPE_CHECKING:
    from syndicate.delivery.engine import Clock
    from syndicate.platforms.base import Publisher


class Refused(SyndicateError):
    """The user did not confirm (or could not be asked: `unasked`, a usage error): nothing written."""

    def __init__(self, message: str, *, unasked: bool = False) -> None:
        super().__init__(message)
        self.unasked = unasked


class LockedOut(SyndicateError):
    """A run holds the state file: nothing written (the next try will find it free)."""


@dataclass
class Target:
    """What `retract` is about to take down (for the question asked before it)."""

    dispatch_id: str
    title: str
    url: str
    posts: dict[str, int] = field(default_factory=dict)  # account → posts out there (or maybe)
    unsent: int = 0  # parts that would never be posted

    def describe(self) -> str:
        where = ", ".join(f"{n} on {NAMES.get(p, p)}" for p, n in sorted(self.posts.items())) or "nothing posted yet"
        line = f"Retract {self.title!r} <{self.url}> (id {self.dispatch_id}): delete {where}"
        if self.unsent:
            line += f"; cancel {self.unsent} part(s) not yet posted"
        return line


def find_target(settings: Settings, id_or_url: str) -> Target:
    store = open_existing(settings, "retract")
    try:
        return _target(store, id_or_url)
    finally:
        store.close()


def _target(store: Store, id_or_url: str) -> Target:
    dispatch_id = outbox.find_dispatch(store, id_or_url)
    if dispatch_id is None:
        raise UnknownDispatch(f"no dispatch with id or URL {id_or_url!r} in {store.where} (see `syndicate status`)")
    row = store.conn.execute("SELECT title, url FROM dispatches WHERE id = ?", (dispatch_id,)).fetchone()
    target = Target(dispatch_id, row[0], row[1])
    # The thread's parts and its correction replies (an edit changed a post counted here already).
    for p in outbox.parts_of(store, dispatch_id) + outbox.parts_of(store, dispatch_id, action=outbox.REPLY):
        if p.state == outbox.SENT or p.attempts > 0 or p.state in (outbox.SENDING, outbox.UNKNOWN):
            target.posts[p.account_name] = target.posts.get(p.account_name, 0) + 1
        elif p.state not in (outbox.SKIPPED, outbox.FAILED):
            target.unsent += 1
    return target


def retract(settings: Settings, target: Target, *, publishers: Mapping[str, Publisher] | None = None,
            clock: Clock | None = None) -> RunReport:
    """Write the delete rows, then carry them out (deletes only: nothing new is posted)."""
    report = RunReport()
    with state_lock(settings) as locked:
        if not locked:
            raise LockedOut("a run is in progress on this state file; nothing retracted yet, try again when it "
                            "ends")
        store = open_state(settings)
        try:
            outbox.retract(store, target.dispatch_id)
            if outbox.anything_due(store, tuple(a.name for a in settings.enabled_accounts())):
                from syndicate.delivery.engine import deliver_due

                report.events.extend(deliver_due(settings, store, publishers=publishers, clock=clock, posts=False))
            report.events.extend(_summary(store, settings, target))
        finally:
            store.close()
    return report


def _summary(store: Store, settings: Settings, target: Target) -> list[Event]:
    r = outbox.retraction(store, target.dispatch_id)
    done = r.deletes.get(outbox.SENT, 0)
    left = r.total - done - r.deletes.get(outbox.FAILED, 0)
    line = f"retracted {target.title!r}: {done} of {r.total} post(s) deleted"
    if left:
        line += f", {left} still queued (the next `syndicate run` carries them out)"
    off = sorted({p.account_name for p in outbox.parts_of(store, target.dispatch_id, action=outbox.DELETE)
                  if p.state in outbox.DUE_STATES} - {a.name for a in settings.enabled_accounts()})
    if off:
        line += f"; {', '.join(NAMES.get(p, p) for p in off)} not enabled: those deletes wait until it is"
    return [Event("retracted", line, dispatch_id=target.dispatch_id, url=target.url)]


def confirm_or_refuse(target: Target, *, yes: bool, interactive: bool, ask: Callable[[str], bool]) -> None:
    """Ask on a terminal unless --yes; with no terminal and no --yes, refuse (a cron job or a
    pipe must say --yes: deleting posts is not undone)."""
    if yes:
        return
    if not interactive:
        raise Refused(f"{target.describe()}? Not asked: stdin is not a terminal; pass --yes to retract "
                      "without asking", unasked=True)
    if not ask(f"{target.describe()}?"):
        raise Refused("not retracted; nothing changed")
