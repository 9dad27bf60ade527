"""Delivery: move outbox parts to the platforms, exactly once, within the run's time budget.

For each enabled platform, dispatches go out in the order they were accepted;
a thread's part N+1 only after part N, replying to it. Before every network
write the part is marked `sending` (committed). A part with any earlier
attempt — left in `sending` by a crash or a kill, `deferred` after a timeout,
re-queued by `retry` — is first looked up on the platform (`Publisher.find`)
instead of being sent again: Mastodon forgets its Idempotency-Key after an
hour, and X has none.

What each error means here (see errors.py):
  Transient     retried with exponential backoff + jitter while the budget lasts,
                looking the post up before each retry; then deferred (1, 2, 4 … min).
                `[delivery] give_up_after` (24 h) after its first deferral the part fails
                (reported, exit 1; `retry` re-queues it) and the dispatches behind it go on.
  RateLimited   waited out in-process if the reset is within the budget, else the
                part is deferred to `not_before = reset`; the platform stops for this run.
  Duplicate     the platform already has it: recorded as sent (with the found post).
                Found nowhere: on a first attempt it is someone else's older post, so
                the part failed; after earlier attempts it is held as `unknown`.
  ReplyRefused  X refused a reply: the teaser stands alone, the rest is skipped, and we say so.
  Permanent     that part failed (and the thread's later parts are skipped); others go on.
  AuthError     that platform stops for this run, nothing is marked; other platforms go on.
                PaymentRequired (X out of credits, spend cap) is one: the same stop, its own line.
  Unknown       the part is held (`unknown`), and the rest of its thread behind it, rather
                than risk a duplicate; `status` shows it, `retry` looks again. A lookup that
                failed for a passing reason (5xx, timeout) is Transient, not Unknown.
  anything else a bug or an untranslated library error: that platform stops, the others go on.

Several hosts (a PostgreSQL state): an account is delivered to by one host at a time, the
one holding its claim (`Store.claim_account`, a row lock on a connection of its own, released
if the host dies); the others skip it for this run. Spacing and budgets read the shared parts
table, so they hold across hosts; with `[x] app_monthly_budget` every X account goes with one
claim, since AppBudget's reservations live in one process.

Pacing: when an answer says the quota is used up (remaining 0; X's 24-hour cap
too), the next part waits for the reset if it falls within the run's budget,
else it is deferred to it; so a burst does not run into a 429. No request starts
after the budget (`[delivery] max_run_seconds`) is spent.

An image that cannot be used never fails its post: the adapter posts without it
and the receipt names it (one line in the output). A platform with parts
deferred for over STALL_AFTER and nothing sent since gets one line per run
even without -v (cron mails it), with the latest error.

Retractions: a dispatch's 'delete' rows (outbox.retract) go through the same states, the
same error vocabulary and the same pacing, before the platform's posts in a run. A delete
that may have landed (any earlier attempt) looks the post up (`Publisher.exists`) before it
is sent again; a post already gone counts as deleted. A delete row without a target (its
post part was cut off mid-attempt) first finds the post (`Publisher.find`); nothing found,
nothing to delete. X bills a delete (budget.X_PRICE_DELETE): over `monthly_budget` the
deletes wait, queued, rather than being dropped. Deletes are not held by quiet hours (a
retraction should not wait for morning) nor spaced by min_spacing_seconds (nothing appears).

Corrections: a changed dispatch's 'reply' and 'edit' rows (outbox.add_correction) go after
the deletes and before new posts, once the first post they correct is sent (one whose first
post failed is skipped). A reply is a post under the first post: looked up before a resend
(`find`: text and parent, or Bluesky's record key), billed on X like a post. An edit (Mastodon)
replaces the first post's text, re-sending its media and content warning (`Publisher.edit`);
before a resend it reads the post's current text (`Publisher.source_text`) and counts an edit
that already reads so as done: Mastodon keeps a history entry per edit, so none is sent twice.
Corrections wait through quiet hours like posts.

No library sleeps on our behalf (tweepy's wait_on_rate_limit, Mastodon.py's "wait"):
every wait happens here, against one monotonic deadline for the whole run.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

from syndicate.delivery import outbox
from syndicate.delivery.budget import X_PRICE_DELETE, AppBudget, month_start, x_cost
from syndicate.delivery.report import QUIET_KINDS, Event
from syndicate.errors import (
    AuthError,
    Duplicate,
    PaymentRequired,
    Permanent,
    PlatformError,
    RateLimited,
    ReplyRefused,
    Transient,
    Unknown,
)
from syndicate.model import Receipt, ReplyTo, account_label
from syndicate.platforms.base import PartIdentity, Publisher
from syndicate.settings import Account, DeliverySettings, Settings, XSettings
from syndicate.store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS_PER_RUN = 4
WINDOW_MARGIN = 0.05  # seconds past a quota reset before the next request (resets are whole seconds)
DEFER_BASE = 60.0  # a platform that stays down: try again in 1, 2, 4 … minutes (capped at an hour)
STALL_AFTER = 3600.0  # parts deferred this long with nothing sent: say so without -v


@dataclass
class Clock:
    """Wall time for timestamps, monotonic time and sleep for waits; tests inject their own."""

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


class _Deadline(stop_base):
    """tenacity stop: no retry whose wait would end past the run's deadline (one budget per run)."""

    def __init__(self, monotonic: Callable[[], float], deadline: float) -> None:
        self.monotonic, self.deadline = monotonic, deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.monotonic() + (retry_state.upcoming_sleep or 0.0) >= self.deadline


class _StopPlatform(Exception):
    """Nothing more goes to this platform in this run (deferred, rate-limited, auth, budget)."""


def deliver_due(settings: Settings, store: Store, *, publishers: Mapping[str, Publisher] | None = None,
                clock: Clock | None = None, posts: bool = True) -> list[Event]:
    """Carry out what is due: delete rows, then posts (`posts=False`: deletes only, for `retract`).

    Each account with work has its own worker thread and its own connection to the state file
    (outbox writes stay transactional), all under the one deadline: a slow or rate-limited account
    delays no other. Within an account, order is kept (a thread's parts in sequence). `publishers`
    (tests) are keyed by account name. Events come back grouped by account, in config order.
    """
    clock = clock or Clock()
    deadline = clock.monotonic() + settings.delivery.max_run_seconds
    app_budget = AppBudget(settings.x.app_monthly_budget)  # X bills the app: shared by every X worker
    with ExitStack() as claims:  # several hosts: one delivers to an account at a time (Store.claim_account)
        return _deliver(settings, store, publishers, clock, posts, deadline, app_budget, claims)


def claim_key(account: Account, settings: Settings) -> str:
    """What a host claims to deliver to `account`: the account; with `[x] app_monthly_budget`, every
    X account at once (X bills the app, and AppBudget counts one host's X workers only)."""
    if account.platform == "x" and settings.x.app_monthly_budget is not None:
        return "x accounts (app_monthly_budget)"
    return account.name


def _deliver(settings: Settings, store: Store, publishers: Mapping[str, Publisher] | None, clock: Clock, posts: bool,
             deadline: float, app_budget: AppBudget, claims: ExitStack) -> list[Event]:
    work: list[tuple[Account, list[str], list[outbox.Part], list[outbox.Part]]] = []
    held: dict[str, bool] = {}
    for account in settings.enabled_accounts():
        key = claim_key(account, settings)
        if key not in held:
            held[key] = claims.enter_context(store.claim_account(key))
        if not held[key]:
            continue  # another host is delivering to it now: order, pacing and budget stay its business
        # Quiet hours (the account's, else [delivery]'s) delay posts, queued, never dropped; deletes go on.
        account_posts = posts and not in_quiet_hours(account.delivery, clock.wall())
        due = outbox.due_dispatches(store, account.name) if account_posts else []
        deletes = outbox.due_deletes(store, account.name)
        corrections = outbox.due_corrections(store, account.name) if account_posts else []
        if due or deletes or corrections:
            work.append((account, due, deletes, corrections))
    results: list[list[Event]] = [[] for _ in work]
    side_by_side = len(work) > 1 and not store.readonly and (store.path is not None or bool(store.url))
    # Each worker's store connection and publisher are opened here, one after another: opening a
    # publisher imports its SDK, and imports racing in threads can fail on SDKs' circular imports.
    stores = [(store.reopen() or store) if side_by_side else store for _ in work]
    opened: list[Publisher | None] = []
    for (account, _, _, _), own, events in zip(work, stores, results, strict=True):
        try:
            opened.append(publishers[account.name] if publishers is not None else _open(account, settings, own))
        except AuthError as exc:
            events.append(_auth_event(account, exc))
            opened.append(None)

    def deliver(i: int) -> None:
        account, due, deletes, corrections = work[i]
        pub = opened[i]
        if pub is not None:
            _deliver_account(account, pub, due, deletes, settings, stores[i], clock, deadline, app_budget, results[i],
                             corrections)

    try:
        if not side_by_side:
            for i in range(len(work)):
                deliver(i)
        else:
            import threading

            threads = [threading.Thread(target=deliver, args=(i,), name=f"deliver-{work[i][0].name}")
                       for i in range(len(work))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        for own in stores:
            if own is not store:
                own.close()
    return [e for events in results for e in events]


def _deliver_account(account: Account, pub: Publisher, due: list[str], deletes: list[outbox.Part],
                     settings: Settings, store: Store, clock: Clock, deadline: float, app_budget: AppBudget,
                     events: list[Event], corrections: list[outbox.Part] | None = None) -> None:
    """One account's worker: carry out its deletes, corrections and posts, then report a stall."""
    label = account_label(account.name, account.platform)
    try:
        _Platform(account, pub, settings, store, clock, deadline, events, app_budget).run(due, deletes,
                                                                                           corrections)
    except Exception as exc:  # a bug or an untranslated library error: the other accounts carry on
        if os.environ.get("SYNDICATE_RAISE_ERRORS"):
            import threading
            import traceback

            if threading.current_thread() is threading.main_thread():
                raise
            traceback.print_exc()  # a worker thread: show it, and let the run report the rest
        log.debug("%s: unexpected error", account.name, exc_info=True)
        # Only the type: an untranslated error's text may quote a request. A part that was in
        # flight stays `sending`, so the next run looks it up before sending anything.
        events.append(Event("failed", f"{label}: stopped by an unexpected error "
                            f"({type(exc).__name__}); everything stays queued. SYNDICATE_RAISE_ERRORS=1 "
                            "shows the traceback", platform=account.name))
    if not any(e.kind not in QUIET_KINDS for e in events):
        events.extend(_stalled(account, store, clock.wall()))


def _stalled(account: Account, store: Store, now: float) -> list[Event]:
    """One line when `account` has had parts due for over STALL_AFTER and sent nothing since:
    deferrals alone are quiet (cron mails any output), but a network stuck for hours needs a person."""
    found = outbox.stalled(store, account.name, older_than=now - STALL_AFTER)
    if found is None:
        return []
    count, since, error = found
    hours = (now - since) / 3600
    cause = f"; last error: {error}" if error else ""
    label = account_label(account.name, account.platform)
    return [Event("stalled", f"{label}: nothing delivered for {hours:.0f} h; {count} part(s) waiting{cause}",
                  platform=account.name)]


def _open(account: Account, settings: Settings, store: Store) -> Publisher:
    from syndicate.delivery.publishers import open_publisher

    return open_publisher(account, settings, store)


def in_quiet_hours(settings: Settings | DeliverySettings, now: float) -> bool:
    """Whether `now` falls in the quiet hours of [delivery] (Settings) or of one account (its DeliverySettings)."""
    delivery = settings.delivery if isinstance(settings, Settings) else settings
    quiet = delivery.quiet_hours
    if not quiet:
        return False
    from zoneinfo import ZoneInfo

    local = datetime.fromtimestamp(now, ZoneInfo(delivery.timezone))
    minutes = local.hour * 60 + local.minute
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in quiet)
    return start <= minutes < end if start <= end else (minutes >= start or minutes < end)


def _auth_event(account: Account, exc: AuthError) -> Event:
    label = account_label(account.name, account.platform)
    if isinstance(exc, PaymentRequired):  # not the credentials: say what to do instead
        return Event("auth", f"{label}: stopped for this run, out of credits or over the spend cap: "
                     f"{exc.reason}", platform=account.name, data={"cause": "payment"})
    fix = f" (check {exc.variable})" if exc.variable else ""
    return Event("auth", f"{label}: credentials refused: {exc.reason}{fix}; nothing posted there, "
                 "everything stays queued", platform=account.name)


class _Platform:
    """Delivery to one account for one run (its own worker: see `deliver_due`)."""

    def __init__(self, account: Account, pub: Publisher, settings: Settings, store: Store, clock: Clock,
                 deadline: float, events: list[Event], app_budget: AppBudget | None = None) -> None:
        self.account, self.name, self.platform = account, account.name, account.platform
        self.label = account_label(account.name, account.platform)
        self.pub, self.settings, self.store = pub, settings, store
        self.clock, self.deadline, self.events = clock, deadline, events
        self.app_budget = app_budget or AppBudget(None)
        self.app_held = 0.0  # held against the app's budget for the dispatch (or delete) in hand
        self.blocked_until: float | None = None  # the account's quota is used up until then
        self.billed = False  # the last attempt sent a request the platform bills (an X delete)

    @property
    def _x(self) -> XSettings:
        assert isinstance(self.account.settings, XSettings)
        return self.account.settings

    def run(self, due: list[str], deletes: list[outbox.Part] | None = None,
            corrections: list[outbox.Part] | None = None) -> None:
        try:
            for row in deletes or []:
                try:
                    self._delete(row)
                finally:
                    self._release_app()  # what it held but did not spend (a failure, a deferral)
        except _StopPlatform:
            pass  # deletes wait (their own quota, or X's budget); posts have their own limits and checks
        except AuthError as exc:
            self.events.append(_auth_event(self.account, exc))
            return
        # A delete's quota (Mastodon's 30 / 30 min, X's DELETE window) is not the posts': posts pace
        # by what their own answers report, and a shared limit still answers 429 (RateLimited).
        self.blocked_until = None
        try:
            for row in corrections or []:
                try:
                    self._correct(row)
                finally:
                    self._release_app()  # what it held but did not spend (a failure, a deferral)
        except _StopPlatform:
            return  # a correction waits (a quota, an outage): posts, which share its limits, wait too
        except AuthError as exc:
            self.events.append(_auth_event(self.account, exc))
            return
        started = 0
        for dispatch_id in due:
            if started >= self.account.delivery.max_posts_per_run or self.clock.monotonic() >= self.deadline:
                break
            try:
                if self._dispatch(dispatch_id):
                    started += 1
            except _StopPlatform:
                return
            except AuthError as exc:
                self.events.append(_auth_event(self.account, exc))
                return
            finally:
                self._release_app()

    # -- one dispatch ------------------------------------------------------------------------

    def _dispatch(self, dispatch_id: str) -> bool:
        """Send the dispatch's remaining parts on this platform. True when something was sent."""
        parts = outbox.parts_of(self.store, dispatch_id, self.name)
        if any(p.state == outbox.UNKNOWN for p in parts):
            return False  # held until `syndicate retry`: its later parts wait behind it, not skipped
        pending = [p for p in parts if p.state in (outbox.PLANNED, outbox.SENDING, outbox.DEFERRED)]
        if not pending:
            return False
        now = self.clock.wall()
        first = pending[0]
        if first.state == outbox.DEFERRED and first.not_before and first.not_before > now:
            if first.deferred_since is not None and now - first.deferred_since >= self._give_up_after:
                self._give_up(first, first.last_error or "unavailable", first.deferred_since)
                return False  # the dispatches behind it go on
            raise _StopPlatform  # keep order: nothing after it goes first
        if first.part == 1:
            self._space()
            if self.platform == "x" and not self._within_budget(dispatch_id, pending):
                return False
        title = outbox.dispatch_title(self.store, dispatch_id)
        sent_any = False
        for part in pending:
            if self.clock.monotonic() >= self.deadline:
                raise _StopPlatform  # the run's time is up; the rest of the thread goes next run
            reply_to = self._reply_to(outbox.parts_of(self.store, dispatch_id, self.name), part.part)
            if part.part > 1 and reply_to is None:
                outbox.mark(self.store, part, outbox.SKIPPED, "an earlier part of the thread was not posted",
                            now=self.clock.wall())
                continue
            self._window(part)
            try:
                receipt = self._send(part, reply_to)
            except ReplyRefused as exc:
                self._refused_replies(dispatch_id, part, exc, title)
                return True
            except Permanent as exc:
                outbox.mark(self.store, part, outbox.FAILED, exc.reason, now=self.clock.wall())
                self.events.append(Event("failed", f"{self.label}: failed {part.part}/{part.of_parts} "
                                         f"{title!r}: {exc.reason}", self.name, dispatch_id))
                continue  # later parts are skipped above: they cannot reply to a failed part
            if receipt is None:
                continue
            sent_any = True
            label = f" {part.part}/{part.of_parts}" if part.of_parts > 1 else ""
            self.events.append(Event("posted", f"{self.label}: posted{label} {title!r} {receipt.url}",
                                     self.name, dispatch_id, receipt.url))
            for line in receipt.dropped:  # the post went; the picture could not (see media.prepare_image)
                self.events.append(Event("dropped", f"{self.label}: posted{label} {title!r} without {line}",
                                         self.name, dispatch_id, receipt.url))
        return sent_any

    # -- one delete row (a retraction) ----------------------------------------------------------

    def _delete(self, row: outbox.Part) -> None:
        if self.clock.monotonic() >= self.deadline:
            raise _StopPlatform
        if row.state == outbox.DEFERRED and row.not_before and row.not_before > self.clock.wall():
            raise _StopPlatform  # the platform asked us to wait (rate limit, outage)
        if self.platform == "x" and not self._delete_within_budget(row):
            raise _StopPlatform
        self._window(row)
        title = outbox.dispatch_title(self.store, row.dispatch_id)
        label = f" {row.part}/{row.of_parts}" if row.of_parts > 1 else ""
        try:
            receipt = self._send(row, None)
        except Permanent as exc:
            outbox.mark(self.store, row, outbox.FAILED, exc.reason, now=self.clock.wall())
            self.events.append(Event("failed", f"{self.label}: could not delete{label} {title!r}: {exc.reason}; "
                                     f"`syndicate retry {row.dispatch_id}` tries again", self.name, row.dispatch_id))
            return
        if receipt is None:
            return
        what = f"deleted{label} {title!r} {receipt.url}" if receipt.id else f"nothing to delete for{label} {title!r}"
        self.events.append(Event("deleted", f"{self.label}: {what}", self.name, row.dispatch_id,
                                 receipt.url or None))

    # -- one correction row (a changed dispatch) ------------------------------------------------

    def _correct(self, row: outbox.Part) -> None:
        if self.clock.monotonic() >= self.deadline:
            raise _StopPlatform
        first = next((p for p in outbox.parts_of(self.store, row.dispatch_id, self.name) if p.part == 1), None)
        if first is None or first.state in (outbox.FAILED, outbox.SKIPPED):
            outbox.mark(self.store, row, outbox.SKIPPED, "the post it corrects was not posted", now=self.clock.wall())
            return
        if first.state != outbox.SENT or not first.remote_id:
            return  # it waits for the first post (sent with the dispatch, in order)
        if row.state == outbox.DEFERRED and row.not_before and row.not_before > self.clock.wall():
            raise _StopPlatform
        title = outbox.dispatch_title(self.store, row.dispatch_id)
        if self.platform == "x" and not self._within_budget(row.dispatch_id, [row]):
            return
        self._window(row)
        target = _receipt(self.platform, first)
        try:
            receipt = self._send(row, ReplyTo(root=target, parent=target) if row.action == outbox.REPLY else None)
        except (Permanent, ReplyRefused) as exc:
            outbox.mark(self.store, row, outbox.FAILED, exc.reason, now=self.clock.wall())
            self.events.append(Event("failed", f"{self.label}: correction {row.correction} of {title!r} "
                                     f"failed: {exc.reason}", self.name, row.dispatch_id))
            return
        if receipt is None:
            return
        what = "edited" if row.action == outbox.EDIT else "replied with"
        self.events.append(Event("corrected", f"{self.label}: {what} correction {row.correction} of "
                                 f"{title!r} {receipt.url}", self.name, row.dispatch_id, receipt.url or None))

    def _carry_out_edit(self, row: outbox.Part, look: bool) -> Receipt:
        """One attempt at an edit row: when an earlier attempt may have landed, the post's current
        text first (the same text: done, no second history entry); then the edit."""
        first = next(p for p in outbox.parts_of(self.store, row.dispatch_id, self.name) if p.part == 1)
        target = _receipt(self.platform, first)
        if look:
            current = self.pub.source_text(target)
            if current is None:
                raise Permanent(self.platform, "the post to edit is gone")
            if current == row.post.text:
                return target
        return self.pub.edit(target, row.post)

    def _delete_within_budget(self, row: outbox.Part) -> bool:
        problem = self._over_budget(X_PRICE_DELETE)
        if problem is None:
            return True
        # A retraction is never dropped: the deletes stay queued until the budget allows them.
        self.events.append(Event("deferred", f"{self.label}: deleting {row.dispatch_id} waits: {problem}",
                                 self.name, row.dispatch_id))
        return False

    def _over_budget(self, cost: float) -> str | None:
        """Why `cost` more would pass the account's monthly_budget or the app's app_monthly_budget
        (None: it fits, and is held against the app's budget until `_release_app`)."""
        budget = self._x.monthly_budget
        since = month_start(self.clock.wall())
        if budget is not None:
            spent = outbox.month_spend(self.store, self.name, since)
            if spent + cost > budget + 1e-9:
                return (f"{self.label} spend this month {spent:.3f} + {cost:.3f} would pass "
                        f"monthly_budget {budget:.3f}")
        app = self.app_budget
        refused = app.reserve(cost, lambda: outbox.month_spend(self.store, "", since, platform="x"))
        if refused is not None:
            return (f"X app spend this month (every X account) {refused:.3f} + {cost:.3f} would pass "
                    f"app_monthly_budget {app.limit:.3f}")
        self.app_held += cost if app.limit is not None else 0.0
        return None

    def _release_app(self) -> None:
        self.app_budget.release(self.app_held)
        self.app_held = 0.0

    def _carry_out_delete(self, row: outbox.Part, look: bool) -> Receipt:
        """One attempt at a delete row: its target (found first when unknown), looked up first
        when an earlier attempt may have landed; then deleted. A receipt with no id: nothing was there."""
        if row.remote_id:
            target = _receipt(self.platform, row)
            if look and not self._still_there(target):
                return target  # an earlier attempt landed (or someone deleted it by hand)
        else:
            post_parts = outbox.parts_of(self.store, row.dispatch_id, self.name)
            identity = PartIdentity(row.dispatch_id, row.part, row.key, row.rkey)
            # A correction reply (numbered past the thread) hangs under the first post.
            reply_to = self._reply_to(post_parts, 2 if row.part > row.of_parts else row.part)
            found = self._look(row, identity, reply_to)
            if found is None:
                return Receipt(self.platform, "", "")  # the post never landed: nothing to delete
            target = found
            outbox.set_target(self.store, row, target, now=self.clock.wall())
        self.pub.delete(target)
        self.billed = True
        return target

    def _still_there(self, target: Receipt) -> bool:
        """`exists`, where a lookup that failed for a passing reason is Transient (as in `_look`)."""
        try:
            return self.pub.exists(target)
        except Unknown as exc:
            if isinstance(exc.__cause__, Transient):
                raise Transient(self.platform, f"could not look the post up yet: {exc.reason}",
                                status=exc.status) from exc
            raise

    def _reply_to(self, parts: list[outbox.Part], number: int) -> ReplyTo | None:
        if number == 1:
            return None
        by_number = {p.part: p for p in parts}
        root, parent = by_number.get(1), by_number.get(number - 1)
        if not root or not parent or root.state != outbox.SENT or parent.state != outbox.SENT:
            return None
        if not root.remote_id or not parent.remote_id:
            return None
        return ReplyTo(root=_receipt(self.platform, root), parent=_receipt(self.platform, parent))

    def _space(self) -> None:
        """Keep `min_spacing_seconds` since this platform's last post (this run's or an earlier one's)."""
        spacing = self.account.delivery.min_spacing_seconds
        if spacing <= 0:
            return
        last = outbox.last_sent_at(self.store, self.name)
        if last is None:
            return
        wait = last + spacing - self.clock.wall()
        if wait <= 0:
            return
        if self.clock.monotonic() + wait > self.deadline:
            raise _StopPlatform  # the next run will be later anyway
        self.clock.sleep(wait)

    def _within_budget(self, dispatch_id: str, pending: list[outbox.Part]) -> bool:
        cost = sum(x_cost(p.post.text, self._x) for p in pending)
        problem = self._over_budget(cost)
        if problem is None:
            return True
        reason = f"budget: {problem}"
        for p in pending:
            outbox.mark(self.store, p, outbox.SKIPPED, reason, now=self.clock.wall())
        title = outbox.dispatch_title(self.store, dispatch_id)
        self.events.append(Event("skipped", f"{self.label}: skipped {title!r}: {reason}", self.name, dispatch_id))
        return False

    def _refused_replies(self, dispatch_id: str, part: outbox.Part, exc: ReplyRefused, title: str) -> None:
        note = f"X refused the reply ({exc.reason}); the teaser stands alone on X"
        for p in outbox.parts_of(self.store, dispatch_id, self.name):
            if p.part >= part.part and p.state != outbox.SENT:
                outbox.mark(self.store, p, outbox.SKIPPED, note, now=self.clock.wall())
        self.events.append(Event("skipped", f"{self.label}: {title!r}: {note}", self.name, dispatch_id))

    # -- one part ------------------------------------------------------------------------------

    def _send(self, part: outbox.Part, reply_to: ReplyTo | None) -> Receipt | None:
        """Send one part with retries. Returns the receipt, or None when the part was deferred/held."""
        identity = PartIdentity(part.dispatch_id, part.part, part.key, part.rkey)
        # Any earlier attempt (a crash in `sending`, a timeout that ended `deferred`, a held
        # `unknown` re-queued by `retry`) may have landed: look before sending. Mastodon's
        # Idempotency-Key alone is not enough, it is forgotten after an hour.
        look_first = part.attempts > 0 or part.state == outbox.SENDING
        outbox.mark_sending(self.store, part, now=self.clock.wall())

        attempts = 0

        self.billed = False

        def attempt() -> Receipt:
            nonlocal attempts
            attempts += 1
            if part.action == outbox.DELETE:
                return self._carry_out_delete(part, look_first or attempts > 1)
            if part.action == outbox.EDIT:
                return self._carry_out_edit(part, look_first or attempts > 1)
            if look_first or attempts > 1:
                found = self._look(part, identity, reply_to)
                if found is not None:
                    return found
            return self.pub.publish(part.post, identity=identity, reply_to=reply_to)

        retrying = Retrying(
            retry=retry_if_exception(self._retryable),
            wait=self._wait,
            stop=stop_after_attempt(MAX_ATTEMPTS_PER_RUN) | _Deadline(self.clock.monotonic, self.deadline),
            sleep=self.clock.sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        try:
            receipt = retrying(attempt)
        except Duplicate as exc:
            found = exc.existing or self._find_quietly(part, identity, reply_to)
            if found is None and not look_first and attempts == 1:
                # Nothing was ever sent for this part: the duplicate is some older post, not
                # ours. Calling it sent would lose this part silently.
                raise Permanent(self.platform, f"refused as a duplicate of an earlier post ({exc.reason})") from exc
            if found is None:  # an earlier attempt of ours may be it, but it cannot be found
                self._hold(part, f"the platform says it is a duplicate ({exc.reason}), but it was not found")
                raise _StopPlatform from None
            receipt = found
        except RateLimited as exc:
            when = datetime.fromtimestamp(exc.until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            outbox.mark(self.store, part, outbox.DEFERRED, f"rate limited until {when}", not_before=exc.until,
                        now=self.clock.wall())
            self.events.append(Event("deferred", f"{self.label}: rate limited until {when}; "
                                     f"{part.part}/{part.of_parts} of {part.dispatch_id} deferred",
                                     self.name, part.dispatch_id, data={"not_before": exc.until}))
            raise _StopPlatform from None
        except Transient as exc:
            now = self.clock.wall()
            # Counted from the first deferral since the part was queued (`retry` queues it afresh).
            since = now if part.state == outbox.PLANNED or part.deferred_since is None else part.deferred_since
            if now - since >= self._give_up_after:
                self._give_up(part, exc.reason, since)
                return None  # the rest of its thread is skipped; later dispatches go on
            delay = min(DEFER_BASE * 2 ** min(part.attempts, 6), 3600.0)
            # The last try falls on the bound itself, not up to an hour past it.
            outbox.mark_deferred(self.store, part, f"{exc.reason} (will retry)",
                                 not_before=min(now + delay, since + self._give_up_after), since=since, now=now)
            self.events.append(Event("deferred", f"{self.label}: unavailable ({exc.reason}); "
                                     f"{part.dispatch_id} stays queued", self.name, part.dispatch_id))
            raise _StopPlatform from None
        except Unknown as exc:
            self._hold(part, exc.reason)
            raise _StopPlatform from None
        except AuthError as exc:
            # As it was (nothing is this part's fault); the note is what `status` shows.
            note = exc.reason if isinstance(exc, PaymentRequired) else "credentials refused"
            outbox.mark(self.store, part, part.state, note, now=self.clock.wall())
            raise
        gone = part.action == outbox.DELETE and not receipt.id
        cost = self._cost(part)
        with self.app_budget.lock:  # recorded and no longer held in one step: other X workers count it once
            outbox.mark_sent(self.store, part, remote_id=receipt.id or None, remote_url=receipt.url or None,
                             uri=receipt.uri, cid=receipt.cid, cost=cost,
                             note="nothing to delete: the post never landed" if gone else None, now=self.clock.wall())
            settled = min(cost, self.app_held)
            self.app_budget.settle(settled)
            self.app_held -= settled
        self._pace()
        return receipt

    def _cost(self, part: outbox.Part) -> float:
        if self.platform != "x":
            return 0.0
        if part.action == outbox.DELETE:
            return X_PRICE_DELETE if self.billed else 0.0  # a post found gone was never deleted by us
        return x_cost(part.post.text, self._x)

    @property
    def _give_up_after(self) -> float:
        return self.account.delivery.give_up_after

    def _give_up(self, part: outbox.Part, reason: str, since: float) -> None:
        """Deferred for `give_up_after`: the part fails, so that it holds nothing else back."""
        reason = reason.removesuffix(" (will retry)")
        hours = (self.clock.wall() - since) / 3600
        why = f"gave up after {hours:.0f} h of retries (give_up_after): {reason}"
        outbox.mark(self.store, part, outbox.FAILED, why, now=self.clock.wall())
        title = outbox.dispatch_title(self.store, part.dispatch_id)
        self.events.append(Event("failed", f"{self.label}: failed {part.part}/{part.of_parts} {title!r}: {why}; "
                                 f"`syndicate retry {part.dispatch_id}` queues it again", self.name, part.dispatch_id))

    def _hold(self, part: outbox.Part, reason: str) -> None:
        """The outcome cannot be told: hold the part (`unknown`) rather than risk a duplicate."""
        outbox.mark(self.store, part, outbox.UNKNOWN, reason, now=self.clock.wall())
        self.events.append(Event("unknown", f"{self.label}: held {part.dispatch_id} part {part.part}: "
                                 f"{reason} (see `syndicate status`; `syndicate retry` looks again, then resends)",
                                 self.name, part.dispatch_id))

    def _look(self, part: outbox.Part, identity: PartIdentity, reply_to: ReplyTo | None) -> Receipt | None:
        """`find`, where a lookup that failed for a passing reason (5xx, timeout) is Transient:
        retried, then deferred and looked up again next run. Only a lookup that cannot ever
        answer stays Unknown (the part is then held)."""
        try:
            return self.pub.find(part.post, identity=identity, reply_to=reply_to)
        except Unknown as exc:
            if isinstance(exc.__cause__, Transient):
                raise Transient(self.platform, f"could not look for an earlier attempt yet: {exc.reason}",
                                status=exc.status) from exc
            raise

    def _find_quietly(self, part: outbox.Part, identity: PartIdentity, reply_to: ReplyTo | None) -> Receipt | None:
        try:
            return self.pub.find(part.post, identity=identity, reply_to=reply_to)
        except PlatformError:
            return None

    def _retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, Transient):
            return True
        if isinstance(exc, RateLimited):
            return self.clock.monotonic() + max(exc.until - self.clock.wall(), 0) < self.deadline
        return False

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited):
            return max(exc.until - self.clock.wall(), 0.0) + random.uniform(0, 1)
        return min(2.0 ** (state.attempt_number - 1), 30.0) + random.uniform(0, 1)

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info("%s: retrying in %.1f s after %s", self.name, state.upcoming_sleep, exc)

    def _pace(self) -> None:
        """Read the quota the platform reported with its last answer. When it is used up, the
        next part waits for the reset (see `_window`) instead of running into a 429."""
        rate = self.pub.last_rate
        if rate is None:
            return
        now = self.clock.wall()
        # The window, then X's 24-hour cap (None elsewhere): whichever is used up blocks until its reset.
        for remaining, reset in ((rate.remaining, rate.reset), (rate.day_remaining, rate.day_reset)):
            if remaining is not None and remaining <= 0 and reset is not None and reset > now:
                self.blocked_until = max(self.blocked_until or 0.0, reset)

    def _window(self, part: outbox.Part) -> None:
        """Before sending: wait out a used-up quota window if it resets within the run's budget;
        otherwise defer this part to the reset (the platform stops for this run)."""
        until = self.blocked_until
        if until is None:
            return
        wait = until - self.clock.wall()
        if wait > 0 and self.clock.monotonic() + wait + WINDOW_MARGIN >= self.deadline:
            when = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            outbox.mark(self.store, part, outbox.DEFERRED, f"rate limit used up until {when}", not_before=until,
                        now=self.clock.wall())
            self.events.append(Event("deferred", f"{self.label}: rate limit used up until {when}; "
                                     f"{part.part}/{part.of_parts} of {part.dispatch_id} deferred",
                                     self.name, part.dispatch_id, data={"not_before": until}))
            raise _StopPlatform
        if wait > 0:
            self.clock.sleep(wait + WINDOW_MARGIN)
        self.blocked_until = None


def _receipt(platform: str, part: outbox.Part) -> Receipt:
    return Receipt(platform, part.remote_id or "", part.remote_url or "", part.uri, part.cid)
