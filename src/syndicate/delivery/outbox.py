"""The outbox: accepted dispatches and their post parts, written before any network call.

Accepting a dispatch writes, in one transaction, the dispatch with its plan,
one row per post part per account (each with its idempotency key and, for
Bluesky, a record key fixed now so that every retry reuses it), and the entry
as seen. `accept_feed` widens that transaction to a whole feed: its HTTP
validators, its baseline and every dispatch accepted from it commit together,
so a crash before the commit leaves the feed as if it had not been fetched.
After that commit the dispatch cannot be lost or posted twice by a crash:
delivery only ever moves rows forward (see `engine.py`); docs/outbox.md tells the whole story.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from syndicate.store import Store

if TYPE_CHECKING:
    from syndicate.model import DispatchPlan, Post, Receipt

# Part states. 'unknown': an attempt may or may not have landed and we could not tell: held, not resent.
PLANNED, SENDING, SENT, FAILED, DEFERRED, SKIPPED, UNKNOWN = (
    "planned", "sending", "sent", "failed", "deferred", "skipped", "unknown")
DONE_STATES = (SENT, FAILED, SKIPPED)
DUE_STATES = (PLANNED, SENDING, DEFERRED)

# What a row does (DESIGN: "a row is one intended change on one account"). A 'delete' row
# goes through the same states as a 'post' row; 'sent' means the post is gone.
POST, DELETE = "post", "delete"
RETRACTED = "retracted"  # the note on a part that will never be posted: its dispatch was retracted
# Corrections (docs/outbox.md): 'reply' posts `post` under the dispatch's first post; 'edit'
# replaces the first post's text with `post` (Mastodon). A correction row's `part` continues the
# dispatch's numbering on its platform (a thread of 4: corrections are 5, 6, …), so its delete
# row after a retraction has a key of its own; `basis` is the first post's text it brings about.
REPLY, EDIT = "reply", "edit"
CORRECTIONS = (REPLY, EDIT)
CORRECTIONS_OFF = "corrections off ([corrections] updates = \"off\"): shown, never sent"


@dataclass(frozen=True)
class Part:
    dispatch_id: str
    platform: str
    part: int
    of_parts: int
    state: str
    key: str
    rkey: str | None
    post: Post
    attempts: int
    not_before: float | None
    remote_id: str | None
    remote_url: str | None
    uri: str | None
    cid: str | None
    last_error: str | None
    deferred_since: float | None = None  # first transient deferral since queued (give_up_after counts from it)
    action: str = POST  # POST: publish `post`; DELETE: delete the post remote_id/uri names (None: look it up)
    basis: str | None = None  # correction rows: the first post's text after the change
    account: str = ""  # the account's name; "" (never stored): the platform's default account

    @property
    def account_name(self) -> str:
        return self.account or self.platform

    @property
    def correction(self) -> int:
        """A correction row's number among the dispatch's corrections on its account (1, 2, …)."""
        return self.part - self.of_parts


def part_key(dispatch_id: str, platform: str, part: int, account: str | None = None) -> str:
    """A deterministic idempotency key: the same part always gets the same key. The default
    accounts' keys are as before accounts existed (an upgrade reposts nothing); another
    account's key names it too."""
    seed = f"{dispatch_id}\x00{platform}\x00{part}"
    if account is not None and account != platform:
        seed = f"{dispatch_id}\x00{platform}\x00{account}\x00{part}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"syndicate-{digest[:40]}"


@dataclass(frozen=True)
class Accepted:
    """A dispatch to accept from a feed: the entry it came from and its plan."""

    entry_id: str
    plan: DispatchPlan
    held: bool = False
    accepted_at: float | None = None  # orders delivery (oldest first); default: now


@dataclass(frozen=True)
class Correction:
    """A correction to write for one changed dispatch on one platform."""

    platform: str
    action: str  # REPLY | EDIT
    post: Post  # REPLY: the reply; EDIT: the first post as it should now read
    basis: str  # the first post's text after the change (what the next change is compared with)
    off: bool = False  # [corrections] updates = "off": written skipped, shown by status and dry-run
    account: str = ""  # the account's name; "": the platform's default account

    @property
    def account_name(self) -> str:
        return self.account or self.platform


@dataclass(frozen=True)
class Revision:
    """A changed entry of an accepted dispatch: its new digest, and the corrections it needs
    (none: the change does not alter what was posted, e.g. a typo deep in the body)."""

    entry_id: str
    dispatch_id: str
    digest: str
    corrections: tuple[Correction, ...] = ()
    # Accounts where nothing was attempted yet (held, queued): their parts are planned afresh
    # from `plan` instead, so that the old text is never posted only to be corrected.
    replan: tuple[str, ...] = ()
    plan: DispatchPlan | None = None


@dataclass(frozen=True)
class FeedSchedule:
    """What a fetch says about the next one (see delivery/schedule.py)."""

    not_before: float | None = None  # the server asked for no fetch before this (unix time, capped)
    changed: bool = False  # the feed brought an entry not seen before
    ttl: float | None = None  # RSS <ttl>, seconds


def accept_feed(store: Store, *, feed_url: str, feed_name: str, validators: tuple[str | None, str | None] | None,
                baseline: list[tuple[str, str, str]], accepted: list[Accepted], read_in_full: bool = False,
                new_rkey: Callable[[], str] | None = None, now: float | None = None,
                schedule: FeedSchedule | None = None, revisions: tuple[Revision, ...] = ()) -> None:
    """One feed's intake in one transaction: its validators (ETag, Last-Modified; None: leave the feed
    unrecorded, so the next run refetches it in full — and finds it due), its schedule, its baseline
    entries (entry id, url, title) and its accepted dispatches with their parts. `read_in_full`: the
    feed answered with its entries (not a 304). `revisions`: changed entries of accepted dispatches,
    whose new digests and correction rows commit with the rest (a crash before the commit: the
    next run sees the same change again; after it: the change is recorded, never corrected twice)."""
    now = time.time() if now is None else now
    schedule = schedule or FeedSchedule()
    with store.transaction():
        if validators is not None:
            store.record_fetch(feed_url, feed_name, etag=validators[0], last_modified=validators[1], now=now,
                               not_before=schedule.not_before, changed=schedule.changed, ttl=schedule.ttl)
            if read_in_full:
                store.ids_per_feed_from_now(feed_url)
        store.mark_seen([(entry_id, url, feed_url, title) for entry_id, url, title in baseline], "baseline", now=now)
        for a in accepted:
            accept(store, a.plan, held=a.held, feed_url=feed_url, entry_id=a.entry_id, new_rkey=new_rkey,
                   now=a.accepted_at if a.accepted_at is not None else now)
        for r in revisions:
            store.set_digest(feed_url, r.entry_id, r.digest)
            if r.plan is not None and r.replan:
                replan(store, r.plan, r.replan, new_rkey=new_rkey, now=now)
            for correction in r.corrections:
                add_correction(store, r.dispatch_id, correction, new_rkey=new_rkey, now=now)


def accept(store: Store, plan: DispatchPlan, *, held: bool = False, feed_url: str | None = None,
           entry_id: str | None = None, new_rkey: Callable[[], str] | None = None, now: float | None = None) -> None:
    """Write the dispatch, its parts and the seen entry in one transaction. The entry is keyed by the
    configured feed URL (default: the one the dispatch was read from) and its id there (default: the
    dispatch id)."""
    from syndicate.delivery.poll import entry_digest
    from syndicate.jsonplan import dispatch_to_json, post_to_json  # not on an idle run's path (nothing accepted)

    now = time.time() if now is None else now
    d = plan.dispatch
    if new_rkey is None:
        from syndicate.platforms.tid import new_tid

        new_rkey = new_tid
    with store.transaction() as c:
        c.execute(
            "INSERT OR IGNORE INTO dispatches (id, feed, url, title, published, accepted_at, held, plan) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (d.id, d.feed, d.url, d.title, d.published.isoformat() if d.published else None, now,
             int(held or plan.blocked), json.dumps(dispatch_to_json(plan), ensure_ascii=False)),
        )
        for pp in plan.platforms:
            if pp.skipped:
                continue
            for i, post in enumerate(pp.posts, start=1):
                c.execute(
                    "INSERT OR IGNORE INTO parts (dispatch_id, account, platform, part, of_parts, key, rkey, post, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (d.id, pp.name, pp.platform, i, len(pp.posts), part_key(d.id, pp.platform, i, pp.name),
                     new_rkey() if pp.platform == "bluesky" else None,
                     json.dumps(post_to_json(post), ensure_ascii=False), now),
                )
        store.mark_queued(feed_url or d.feed_url, entry_id or d.id, d.url, d.title, d.id, now=now,
                          digest=entry_digest(d))


# -- corrections: a 'reply' or 'edit' row per change per platform -------------------------------

def untouched_accounts(store: Store, dispatch_id: str) -> set[str]:
    """Accounts where no part of the dispatch was attempted yet: all planned, never sent."""
    rows = store.conn.execute(
        "SELECT account, SUM(state != ? OR attempts > 0) FROM parts WHERE dispatch_id = ? AND action = 'post' "
        "GROUP BY account", (PLANNED, dispatch_id)).fetchall()
    return {account for account, touched in rows if not touched}


def replan(store: Store, plan: DispatchPlan, accounts: tuple[str, ...], *,
           new_rkey: Callable[[], str] | None = None, now: float | None = None) -> None:
    """The changed dispatch's parts on `accounts` (none attempted: `untouched_accounts`) written
    afresh from `plan`, and its stored plan with them (what dry-run shows). Same keys per part
    number: nothing was ever sent with them."""
    from syndicate.jsonplan import dispatch_to_json, post_to_json

    now = time.time() if now is None else now
    if new_rkey is None:
        from syndicate.platforms.tid import new_tid

        new_rkey = new_tid
    d = plan.dispatch
    stored = dispatch_to_json(plan)
    with store.transaction() as c:
        for pp in plan.platforms:
            if pp.name not in accounts or pp.skipped or not pp.posts:
                continue
            old = c.execute("SELECT post FROM parts WHERE dispatch_id = ? AND account = ? AND action = 'post' "
                            "AND part = 1", (d.id, pp.name)).fetchone()
            # The link card fetched when the dispatch was accepted is kept (the replan fetches
            # none): it describes the article, which a new headline does not change.
            card = json.loads(old[0]).get("card") if old else None
            c.execute("DELETE FROM parts WHERE dispatch_id = ? AND account = ? AND action = 'post'",
                      (d.id, pp.name))
            for i, post in enumerate(pp.posts, start=1):
                encoded = post_to_json(post)
                if i == 1 and card and encoded.get("card"):
                    encoded["card"] = card
                    stored["platforms"][pp.name]["posts"][0]["card"] = card
                c.execute(
                    "INSERT INTO parts (dispatch_id, account, platform, part, of_parts, key, rkey, post, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (d.id, pp.name, pp.platform, i, len(pp.posts), part_key(d.id, pp.platform, i, pp.name),
                     new_rkey() if pp.platform == "bluesky" else None, json.dumps(encoded, ensure_ascii=False), now))
        c.execute("UPDATE dispatches SET title = ?, url = ?, plan = ? WHERE id = ?",
                  (d.title, d.url, json.dumps(stored, ensure_ascii=False), d.id))


def correction_bases(store: Store, dispatch_id: str) -> dict[str, str]:
    """account → the text the dispatch's first post has (or will have) there: the latest
    correction's basis, else the first part as planned. Platforms where the first post failed or
    was skipped are left out (nothing stands there to correct)."""
    out: dict[str, str] = {}
    for account, state, post, last_basis in store.conn.execute(
            "SELECT p.account, p.state, p.post, (SELECT c.basis FROM parts c WHERE c.dispatch_id = p.dispatch_id "
            "AND c.account = p.account AND c.action IN ('reply', 'edit') ORDER BY c.part DESC LIMIT 1) "
            "FROM parts p WHERE p.dispatch_id = ? AND p.action = 'post' AND p.part = 1", (dispatch_id,)):
        if state in (FAILED, SKIPPED):
            continue
        out[account] = last_basis if last_basis is not None else json.loads(post)["text"]
    return out


def add_correction(store: Store, dispatch_id: str, correction: Correction, *,
                   new_rkey: Callable[[], str] | None = None, now: float | None = None) -> None:
    """One correction row, numbered after every earlier row of the dispatch on that platform."""
    from syndicate.jsonplan import post_to_json

    now = time.time() if now is None else now
    if new_rkey is None:
        from syndicate.platforms.tid import new_tid

        new_rkey = new_tid
    with store.transaction() as c:
        last, of_parts = c.execute(
            "SELECT MAX(part), MAX(CASE WHEN action = 'post' THEN of_parts END) FROM parts "
            "WHERE dispatch_id = ? AND account = ? AND action != 'delete'",
            (dispatch_id, correction.account_name)).fetchone()
        part = int(last) + 1
        c.execute(
            "INSERT INTO parts (dispatch_id, account, platform, action, part, of_parts, key, rkey, post, basis, "
            "state, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (dispatch_id, correction.account_name, correction.platform, correction.action, part, int(of_parts),
             part_key(dispatch_id, correction.platform, part, correction.account_name),
             new_rkey() if correction.platform == "bluesky" and correction.action == REPLY else None,
             json.dumps(post_to_json(correction.post), ensure_ascii=False), correction.basis,
             SKIPPED if correction.off else PLANNED, CORRECTIONS_OFF if correction.off else None, now))


def due_corrections(store: Store, account: str) -> list[Part]:
    """Correction rows still to carry out on `account`, oldest dispatch first, each dispatch's
    in order; none of a held or retracted dispatch."""
    cur = store.conn.execute(
        "SELECT p.* FROM parts p JOIN dispatches d ON d.id = p.dispatch_id WHERE p.account = ? "
        "AND p.action IN ('reply', 'edit') AND p.state IN (?, ?, ?) AND d.held = 0 AND d.retracted_at IS NULL "
        "ORDER BY d.accepted_at, d.rowid, p.part", (account, *DUE_STATES))
    names = [c[0] for c in cur.description]
    return [_part(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def corrections_of(store: Store, dispatch_id: str) -> list[Part]:
    cur = store.conn.execute("SELECT * FROM parts WHERE dispatch_id = ? AND action IN ('reply', 'edit') "
                             "ORDER BY platform, part", (dispatch_id,))
    names = [c[0] for c in cur.description]
    return [_part(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def pending_corrections(store: Store, *, noted_since: float | None = None) -> list[dict[str, Any]]:
    """Corrections still to send, and those noted (not sent: updates = "off") since `noted_since`
    (what dry-run shows), oldest dispatch first: {"id", "title", "url", "corrections": [{"platform",
    "action", "number", "text", "state"}]}."""
    rows = store.conn.execute(
        "SELECT d.id, d.title, d.url, p.platform, p.account, p.action, p.part - p.of_parts, p.post, p.state "
        "FROM parts p JOIN dispatches d ON d.id = p.dispatch_id WHERE p.action IN ('reply', 'edit') "
        "AND d.retracted_at IS NULL AND (p.state IN (?, ?, ?) OR (p.state = ? AND p.last_error = ? "
        "AND p.updated_at >= ?)) ORDER BY d.accepted_at, d.rowid, p.platform, p.account, p.part",
        (*DUE_STATES, SKIPPED, CORRECTIONS_OFF, noted_since if noted_since is not None else float("inf"))).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for dispatch_id, title, url, platform, account, action, number, post, state in rows:
        entry = out.setdefault(dispatch_id, {"id": dispatch_id, "title": title, "url": url, "corrections": []})
        entry["corrections"].append({"platform": platform, "account": account, "action": action, "number": number,
                                     "text": json.loads(post)["text"],
                                     "state": "off" if state == SKIPPED else state})
    return list(out.values())


def pending_plans(store: Store) -> list[dict[str, Any]]:
    """The stored plans of dispatches with parts still to send, oldest first (what dry-run shows)."""
    rows = store.conn.execute(
        "SELECT plan FROM dispatches d WHERE EXISTS (SELECT 1 FROM parts p WHERE p.dispatch_id = d.id "
        f"AND p.action = 'post' AND p.state NOT IN ({','.join('?' * len(DONE_STATES))})) "
        "AND d.retracted_at IS NULL ORDER BY accepted_at, rowid",
        DONE_STATES,
    ).fetchall()
    return [json.loads(r[0]) for r in rows]


def parts_of(store: Store, dispatch_id: str, account: str | None = None, action: str = POST) -> list[Part]:
    """The dispatch's rows (of one account: its name; the default accounts are named like their platform)."""
    sql = "SELECT * FROM parts WHERE dispatch_id = ? AND action = ?"
    args: list[Any] = [dispatch_id, action]
    if account:
        sql += " AND account = ?"
        args.append(account)
    cur = store.conn.execute(sql + " ORDER BY platform, account, part", args)
    return [_part(dict(zip([c[0] for c in cur.description], row, strict=True))) for row in cur.fetchall()]


def _part(row: dict[str, Any]) -> Part:
    from syndicate.jsonplan import post_from_json

    return Part(
        dispatch_id=row["dispatch_id"], platform=row["platform"], part=row["part"], of_parts=row["of_parts"],
        state=row["state"], key=row["key"], rkey=row["rkey"], post=post_from_json(json.loads(row["post"])),
        attempts=row["attempts"], not_before=row["not_before"], remote_id=row["remote_id"],
        remote_url=row["remote_url"], uri=row["uri"], cid=row["cid"], last_error=row["last_error"],
        deferred_since=row.get("deferred_since"), action=row.get("action", POST), basis=row.get("basis"),
        account=row.get("account") or row["platform"],
    )


# -- transitions: each commits before the next network call ----------------------------------

def _update(store: Store, part: Part, now: float | None = None, **values: Any) -> None:
    values["updated_at"] = time.time() if now is None else now
    cols = ", ".join(f"{k} = ?" for k in values)
    store.conn.execute(
        f"UPDATE parts SET {cols} WHERE dispatch_id = ? AND account = ? AND action = ? AND part = ?",
        (*values.values(), part.dispatch_id, part.account_name, part.action, part.part),
    )


# `now` comes from the delivery clock, so that spacing and the month's X spend, which read
# these timestamps back, agree with the clock delivery decides by.

def mark_sending(store: Store, part: Part, *, now: float | None = None) -> None:
    if part.state == PLANNED:  # queued afresh (first time, or by `retry`): give_up_after starts over
        _update(store, part, now, state=SENDING, attempts=part.attempts + 1, deferred_since=None)
    else:
        _update(store, part, now, state=SENDING, attempts=part.attempts + 1)


def mark_deferred(store: Store, part: Part, reason: str, *, not_before: float, since: float, now: float) -> None:
    """Deferred after a passing failure; `since`: its first such deferral since it was queued."""
    _update(store, part, now, state=DEFERRED, last_error=reason, not_before=not_before, deferred_since=since)


def mark_sent(store: Store, part: Part, *, remote_id: str | None, remote_url: str | None, uri: str | None = None,
              cid: str | None = None, cost: float = 0.0, note: str | None = None, now: float | None = None) -> None:
    now = time.time() if now is None else now
    _update(store, part, now, state=SENT, remote_id=remote_id, remote_url=remote_url, uri=uri, cid=cid, cost=cost,
            sent_at=now, not_before=None, last_error=note)


def set_target(store: Store, part: Part, target: Receipt, *, now: float | None = None) -> None:
    """A delete row's post, once found: a later attempt looks it up by id instead of searching."""
    _update(store, part, now, remote_id=target.id, remote_url=target.url, uri=target.uri, cid=target.cid)


def mark(store: Store, part: Part, state: str, reason: str | None, *, not_before: float | None = None,
         now: float | None = None) -> None:
    _update(store, part, now, state=state, last_error=reason, not_before=not_before)


def due_dispatches(store: Store, account: str) -> list[str]:
    """Dispatch ids with parts still to send on `account`, in the order they were accepted.
    A retracted dispatch is never among them (its unsent parts are skipped when it is retracted;
    this holds even if a part were re-queued by hand)."""
    rows = store.conn.execute(
        "SELECT d.id FROM dispatches d WHERE d.held = 0 AND d.retracted_at IS NULL AND EXISTS (SELECT 1 "
        "FROM parts p WHERE p.dispatch_id = d.id AND p.account = ? AND p.action = 'post' "
        "AND p.state IN (?, ?, ?)) ORDER BY d.accepted_at, d.rowid",
        (account, PLANNED, SENDING, DEFERRED),
    ).fetchall()
    return [r[0] for r in rows]


def anything_due(store: Store, accounts: tuple[str, ...]) -> bool:
    """Whether any of `accounts` (names) has a part `due_dispatches` would return: one cheap query, so
    an idle run decides "nothing to deliver" without loading the delivery engine."""
    if not accounts:
        return False
    marks = ", ".join("?" * len(accounts))
    row = store.conn.execute(
        "SELECT EXISTS (SELECT 1 FROM parts p JOIN dispatches d ON d.id = p.dispatch_id WHERE "
        "((p.action != 'delete' AND d.held = 0 AND d.retracted_at IS NULL) OR p.action = 'delete') "
        f"AND p.account IN ({marks}) AND p.state IN (?, ?, ?))",
        (*accounts, PLANNED, SENDING, DEFERRED),
    ).fetchone()
    return bool(row[0])


def month_spend(store: Store, account: str, month_start: float, *, platform: str | None = None) -> float:
    """What `account` billed since `month_start`: posts and deletes alike (X bills both), and the
    engagement readings (X bills each post read; the `snapshots` table, issue 12). With `platform`
    (and account ""): every account of that network together (X bills the app)."""
    column, value = ("platform", platform) if platform else ("account", account)
    row = store.conn.execute(
        f"SELECT (SELECT COALESCE(SUM(cost), 0) FROM parts WHERE {column} = ? AND state = ? AND sent_at >= ?) "
        f"+ (SELECT COALESCE(SUM(cost), 0) FROM snapshots WHERE {column} = ? AND read_at >= ?)",
        (value, SENT, month_start, value, month_start),
    ).fetchone()
    return float(row[0])


def last_sent_at(store: Store, account: str) -> float | None:
    # Posts only: min_spacing_seconds keeps a timeline from filling in a burst; a delete adds nothing to it.
    row = store.conn.execute("SELECT MAX(sent_at) FROM parts WHERE account = ? AND action = 'post'",
                             (account,)).fetchone()
    return float(row[0]) if row[0] is not None else None


def dispatch_title(store: Store, dispatch_id: str) -> str:
    row = store.conn.execute("SELECT title FROM dispatches WHERE id = ?", (dispatch_id,)).fetchone()
    return row[0] if row else dispatch_id


def stalled(store: Store, account: str, *, older_than: float) -> tuple[int, float, str | None] | None:
    """(parts due, first deferred at, the latest error) when `account` has had parts deferred
    since before `older_than` and sent nothing since then; None otherwise."""
    last = last_sent_at(store, account)
    if last is not None and last >= older_than:
        return None
    row = store.conn.execute(
        # A `planned` part's deferred_since is from before a `retry` (reset when it is next sent).
        "SELECT COUNT(*), MIN(CASE WHEN p.state != 'planned' THEN p.deferred_since END) "
        "FROM parts p JOIN dispatches d ON d.id = p.dispatch_id "
        "WHERE p.account = ? AND d.held = 0 AND p.state IN (?, ?, ?)",
        (account, PLANNED, SENDING, DEFERRED)).fetchone()
    if not row or row[1] is None or row[1] >= older_than:
        return None
    error = store.conn.execute(
        "SELECT last_error FROM parts WHERE account = ? AND state = ? AND last_error IS NOT NULL "
        "ORDER BY updated_at DESC LIMIT 1", (account, DEFERRED)).fetchone()
    return int(row[0]), float(row[1]), error[0] if error else None


# -- retractions: one 'delete' row per post that is (or may be) out there ----------------------

@dataclass(frozen=True)
class Retraction:
    """How a dispatch's retraction stands: delete rows by state, and the parts it cancelled."""

    retracted_at: float | None
    deletes: dict[str, int]  # state → count of delete rows
    cancelled: int  # post parts skipped because of the retraction (never posted)

    @property
    def total(self) -> int:
        return sum(self.deletes.values())


def find_dispatch(store: Store, id_or_url: str) -> str | None:
    """The dispatch a user named: its id, its article URL, or an entry id or URL it was accepted from."""
    row = store.conn.execute(
        "SELECT id FROM dispatches WHERE id = ? OR url = ? ORDER BY accepted_at LIMIT 1", (id_or_url, id_or_url)
    ).fetchone()
    if row is None:
        row = store.conn.execute(
            "SELECT dispatch_id FROM entries WHERE dispatch_id IS NOT NULL AND (entry_id = ? OR url = ?) LIMIT 1",
            (id_or_url, id_or_url)).fetchone()
    return str(row[0]) if row else None


def retract(store: Store, dispatch_id: str, *, now: float | None = None) -> Retraction:
    """Mark the dispatch retracted and write, in one transaction, a delete row for every post
    part and correction reply that is out there or may be (an attempt was made); every other
    row (parts, corrections) is skipped, so it is never sent. An edit needs no delete of its own:
    it changed a post that is deleted. Idempotent: a second call adds nothing (rows are keyed by part)."""
    now = time.time() if now is None else now
    with store.transaction() as c:
        c.execute("UPDATE dispatches SET retracted_at = ? WHERE id = ? AND retracted_at IS NULL", (now, dispatch_id))
        # Copied in SQL, the post as stored: a delete row concerns exactly the post its part made.
        # A part that may have landed gets a delete with no target: delivery looks it up first.
        c.execute(
            "INSERT OR IGNORE INTO parts (dispatch_id, account, platform, action, part, of_parts, key, rkey, post, "
            "remote_id, remote_url, uri, cid, updated_at) "
            "SELECT dispatch_id, account, platform, ?, part, of_parts, key, rkey, post, "
            "CASE WHEN state = ? THEN remote_id END, CASE WHEN state = ? THEN remote_url END, "
            "CASE WHEN state = ? THEN uri END, CASE WHEN state = ? THEN cid END, ? "
            "FROM parts WHERE dispatch_id = ? AND action IN (?, ?) AND (state IN (?, ?, ?) OR attempts > 0)",
            (DELETE, SENT, SENT, SENT, SENT, now, dispatch_id, POST, REPLY, SENT, SENDING, UNKNOWN))
        c.execute(
            "UPDATE parts SET state = ?, last_error = ?, not_before = NULL, updated_at = ? WHERE dispatch_id = ? "
            "AND action != ? AND state != ? AND NOT (state = ? AND last_error IS ?)",
            (SKIPPED, RETRACTED, now, dispatch_id, DELETE, SENT, SKIPPED, RETRACTED))
    return retraction(store, dispatch_id)


def retraction(store: Store, dispatch_id: str) -> Retraction:
    row = store.conn.execute("SELECT retracted_at FROM dispatches WHERE id = ?", (dispatch_id,)).fetchone()
    deletes = dict(store.conn.execute(
        "SELECT state, COUNT(*) FROM parts WHERE dispatch_id = ? AND action = 'delete' GROUP BY state",
        (dispatch_id,)).fetchall())
    cancelled = store.conn.execute(
        "SELECT COUNT(*) FROM parts WHERE dispatch_id = ? AND action = 'post' AND state = ? AND last_error = ?",
        (dispatch_id, SKIPPED, RETRACTED)).fetchone()[0]
    return Retraction(row[0] if row else None, deletes, int(cancelled))


def due_deletes(store: Store, account: str) -> list[Part]:
    """Delete rows still to carry out on `account`: oldest retraction first, and within a thread
    the last part first, so that no reply is left hanging under a deleted root while we work."""
    cur = store.conn.execute(
        "SELECT p.* FROM parts p JOIN dispatches d ON d.id = p.dispatch_id WHERE p.account = ? "
        "AND p.action = 'delete' AND p.state IN (?, ?, ?) ORDER BY d.retracted_at, d.rowid, p.part DESC",
        (account, *DUE_STATES))
    names = [c[0] for c in cur.description]
    return [_part(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def pending_retractions(store: Store) -> list[dict[str, Any]]:
    """Retracted dispatches with deletes still to carry out (what dry-run shows), oldest first:
    {"id", "title", "url", "deletes": {account: [part numbers]}} (default accounts: named like their platform)."""
    rows = store.conn.execute(
        "SELECT d.id, d.title, d.url, p.account, p.part FROM parts p JOIN dispatches d ON d.id = p.dispatch_id "
        f"WHERE p.action = 'delete' AND p.state IN ({','.join('?' * len(DUE_STATES))}) "
        "ORDER BY d.retracted_at, d.rowid, p.platform, p.account, p.part", DUE_STATES).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for dispatch_id, title, url, platform, part in rows:
        entry = out.setdefault(dispatch_id, {"id": dispatch_id, "title": title, "url": url, "deletes": {}})
        entry["deletes"].setdefault(platform, []).append(part)
    return list(out.values())
