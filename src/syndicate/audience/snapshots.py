"""Snapshots and replies in the state store, and the stats as the spec's JSON shape.

A snapshot is one reading of one sent post (dispatch, account, part): never overwritten, so a
post's rows are its curve. A reply is stored once, by its id on its network.

Accounts: snapshots and replies are keyed by the part's own `account` (the outbox's column: the
account name in the config), and the output is keyed by account name, with its `platform`. The
default accounts are named like their network (x, bluesky, mastodon), so their keys are as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syndicate.store import Store

if TYPE_CHECKING:
    from syndicate.model import Receipt
    from syndicate.platforms.base import Counts, RemoteReply

FIGURES = ("likes", "reposts", "replies", "quotes")


@dataclass(frozen=True)
class SentPost:
    """One post we made, as the outbox recorded it."""

    dispatch_id: str
    account: str  # the account that made it (its name in the config)
    platform: str
    part: int
    of_parts: int
    sent_at: float
    remote_id: str
    remote_url: str | None
    uri: str | None
    cid: str | None

    def receipt(self) -> Receipt:
        from syndicate.model import Receipt

        return Receipt(platform=self.platform, id=self.remote_id, url=self.remote_url or "", uri=self.uri,
                       cid=self.cid)


def sent_posts(store: Store, *, since: float | None = None, dispatch_id: str | None = None,
               accounts: Sequence[str] | None = None) -> list[SentPost]:
    """Posts that went out (post rows in state 'sent', with a remote id), newest dispatch first;
    with `accounts`, only those accounts' posts. Retracted dispatches are left out: their posts are gone."""
    sql = ("SELECT p.dispatch_id, p.account, p.platform, p.part, p.of_parts, p.sent_at, p.remote_id, p.remote_url, "
           "p.uri, p.cid FROM parts p JOIN dispatches d ON d.id = p.dispatch_id WHERE p.action = 'post' "
           "AND p.state = 'sent' AND p.remote_id IS NOT NULL AND p.sent_at IS NOT NULL AND d.retracted_at IS NULL")
    args: list[Any] = []
    if since is not None:
        sql += " AND p.sent_at >= ?"
        args.append(since)
    if dispatch_id is not None:
        sql += " AND p.dispatch_id = ?"
        args.append(dispatch_id)
    if accounts is not None:
        if not accounts:
            return []
        sql += f" AND p.account IN ({','.join('?' * len(accounts))})"
        args.extend(accounts)
    sql += " ORDER BY d.accepted_at DESC, d.rowid DESC, p.platform, p.account, p.part"
    return [SentPost(*row) for row in store.conn.execute(sql, args)]


def last_read(store: Store) -> dict[tuple[str, str, str, int], float]:
    """(dispatch, platform, account, part) → when it was last read."""
    rows = store.conn.execute(
        "SELECT dispatch_id, platform, account, part, MAX(read_at) FROM snapshots GROUP BY 1, 2, 3, 4")
    return {(d, p, a, n): t for d, p, a, n, t in rows}


def due(posts: Iterable[SentPost], after: Sequence[float], now: float,
        read: dict[tuple[str, str, str, int], float]) -> list[SentPost]:
    """Posts with a reading due: the latest `sent_at + a` (a in `after`) that has passed is later
    than the post's last reading. A run that comes late takes one reading, not one per mark missed.
    (commands/run.py asks the same question in SQL, to keep the idle run light.)"""
    out = []
    for post in posts:
        marks = [post.sent_at + a for a in after if post.sent_at + a <= now]
        if marks and max(marks) > read.get((post.dispatch_id, post.platform, post.account, post.part), float("-inf")):
            out.append(post)
    return out


def record_snapshots(store: Store, readings: Sequence[tuple[SentPost, Counts, float]], read_at: float) -> None:
    """One snapshot per (post, counts, cost), all at `read_at`, in one transaction."""
    with store.transaction() as c:
        c.executemany(
            "INSERT OR IGNORE INTO snapshots (dispatch_id, platform, account, part, read_at, likes, reposts, replies, "
            "quotes, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(p.dispatch_id, p.platform, p.account, p.part, read_at, c_.likes, c_.reposts, c_.replies, c_.quotes,
              cost) for p, c_, cost in readings],
        )


def previous_replies(store: Store, post: SentPost, before: float) -> int | None:
    """The replies count of the post's last reading before `before` (None: none, or not reported)."""
    row = store.conn.execute(
        "SELECT replies FROM snapshots WHERE dispatch_id = ? AND platform = ? AND account = ? AND part = ? "
        "AND read_at < ? ORDER BY read_at DESC LIMIT 1",
        (post.dispatch_id, post.platform, post.account, post.part, before)).fetchone()
    return row[0] if row else None


def record_replies(store: Store, thread: Sequence[SentPost], replies: Sequence[RemoteReply], now: float) -> int:
    """Store replies under a thread (each attributed to the part it answers, else the first part);
    one already stored is left as it was. Returns how many were new."""
    part_of = {key: p.part for p in thread for key in (p.remote_id, p.uri) if key}
    first = thread[0]
    with store.transaction() as c:
        # The rows the statement inserted (executemany sums them; an ignored duplicate adds 0), on
        # both backends: sqlite3's total_changes has no PostgreSQL counterpart.
        cur = c.executemany(
            "INSERT OR IGNORE INTO replies (platform, remote_id, dispatch_id, account, part, author, text, url, "
            "created_at, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(first.platform, r.remote_id, first.dispatch_id, first.account, part_of.get(r.parent_id, first.part),
              r.author, r.text, r.url, r.created_at, now) for r in replies],
        )
        return max(int(cur.rowcount), 0)


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sum(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def stats_json(store: Store, *, since: float | None = None, dispatch_id: str | None = None,
               with_replies: bool = False, detail: bool = False, replies_limit: int = 20) -> dict[str, Any]:
    """The stats as `stats --format json` prints them (README, "syndicate stats"): per dispatch, per
    account, the latest reading of each post and their sum (a thread's posts summed; null where
    the network does not report a figure or nothing was read yet). With `with_replies`, each
    account also lists its newest replies (`latest_replies`). With `detail` (the report), each
    account also has `sent_at` and `of_parts`, and each post every snapshot (`curve`)."""
    posts = sent_posts(store, since=since, dispatch_id=dispatch_id)
    latest: dict[tuple[str, str, str, int], tuple[Any, ...]] = {}
    curves: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
    wanted = {p.dispatch_id for p in posts}
    rows = store.conn.execute(
        "SELECT dispatch_id, platform, account, part, read_at, likes, reposts, replies, quotes FROM snapshots "
        "ORDER BY read_at")
    for d, p, a, n, t, *figures in rows:
        if d not in wanted:
            continue
        latest[(d, p, a, n)] = (t, *figures)
        curves.setdefault((d, p, a, n), []).append({"read_at": _iso(t), **dict(zip(FIGURES, figures, strict=True))})
    meta = {row[0]: row[1:] for row in store.conn.execute("SELECT id, title, url, published FROM dispatches")}
    out: dict[str, dict[str, Any]] = {}
    for post in posts:
        title, url, published = meta[post.dispatch_id]
        d = out.setdefault(post.dispatch_id, {"id": post.dispatch_id, "title": title, "url": url,
                                              "published": published, "platforms": {}})
        acct = d["platforms"].setdefault(post.account, {"platform": post.platform, "posts": []})
        if detail:
            acct.update(sent_at=_iso(post.sent_at), of_parts=post.of_parts)
        key = (post.dispatch_id, post.platform, post.account, post.part)
        read_at, *figures = latest.get(key, (None, None, None, None, None))
        item = {"url": post.remote_url, **dict(zip(FIGURES, figures, strict=True)), "read_at": _iso(read_at)}
        if detail:
            item["curve"] = curves.get(key, [])
        acct["posts"].append(item)
    for d in out.values():
        for name, acct in list(d["platforms"].items()):
            sums = {figure: _sum(p[figure] for p in acct["posts"]) for figure in FIGURES}
            acct = d["platforms"][name] = {"platform": acct.pop("platform"), **sums, **acct}  # the spec's key order
            if with_replies:
                acct["latest_replies"] = newest_replies(store, d["id"], name, limit=replies_limit)
    return {"dispatches": list(out.values())}


def newest_replies(store: Store, dispatch_id: str, account: str, *, limit: int) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT author, text, url, created_at, part FROM replies WHERE dispatch_id = ? AND account = ? "
        "ORDER BY COALESCE(created_at, stored_at) DESC LIMIT ?", (dispatch_id, account, limit))
    return [{"author": a, "text": t, "url": u, "created_at": _iso(c), "part": n} for a, t, u, c, n in rows]


def dump_json(data: Any) -> str:
    """JSON with `<`, `>` and `&` written as \\u escapes: the same text once decoded, but a reply
    holding `</script>` stays inert if the output is pasted into a page."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
