"""The state: one SQLite file a user can open with `sqlite3` and read — or, for several hosts
sharing the work, one PostgreSQL database ([state] url; store_postgres.py). One interface, one
schema, the same SQL: callers write SQLite-flavoured statements, the PostgreSQL backend
translates them (`store_postgres.translate`).

Tables (see MIGRATIONS for the exact schema):
  feeds        one row per feed URL: HTTP validators, last fetch, last error, what schedules the next fetch
  entries      every entry ever seen, per feed (feed URL, entry id), its canonical URL, and why:
               baseline or queued (then with the id of the dispatch accepted from it)
  dispatches   accepted dispatches and their plan (JSON), held or not
  parts        the outbox: one row per intended change (post a part, delete it) per account,
               with its state machine planned → sending → sent | failed | deferred | skipped | unknown
  sessions     platform sessions to reuse (Bluesky), so cron runs don't log in every time
  limits       platform limits read from the servers (e.g. a Mastodon instance's max_characters)
  delivery_claims  one row per account; on PostgreSQL a host delivering to it holds its row lock
  snapshots    readings of a sent post's engagement over time (likes, reposts, replies, quotes)
  replies      replies under our posts, as plain text

Every write commits at once (autocommit + explicit transactions), so a crash
loses at most the step in flight. A transaction opened inside another joins it:
a feed's validators, seen marks and accepted dispatches commit together. The
schema version lives in PRAGMA user_version (PostgreSQL: the syndicate_schema
table); migrations are append-only and run in one transaction on open (PostgreSQL:
under an advisory lock, so hosts starting together migrate once). A database newer
than this code is refused rather than damaged.

Several hosts (PostgreSQL only; an SQLite file has one host, kept apart by run.py's lock
file): a pass claims the feeds it fetches (`claim_feeds`: a lease on the feed's row,
ending soon after its fetch is recorded) and the accounts it delivers to (`claim_account`: a
row lock held on a connection of its own while sending, released if the host dies).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from syndicate.errors import StoreError

if TYPE_CHECKING:
    from syndicate.settings import Settings

# How long a host's claim on a feed lasts when it never records the fetch (it died): longer than
# a pass takes, short enough that another host fetches the feed soon after.
FEED_CLAIM_SECONDS = 900.0
# Hosts' cron runs start a few seconds apart: a run on another host that starts within this long
# of the run that fetched a feed counts as the same pass and leaves it alone (a feed due "every
# run" is fetched once per cron tick, not once per host). Shorter than any cron period (a minute).
# A host's own runs are not held back: on one host the schedule alone decides, as with a file.
FEED_PASS_SECONDS = 30.0
HOST_VARIABLE = "SYNDICATE_HOST"  # this host's name among those sharing a state (default: its hostname)


def host_name() -> str:
    import socket

    return os.environ.get(HOST_VARIABLE) or socket.gethostname()

MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema.
    """
    CREATE TABLE feeds (
        url            TEXT PRIMARY KEY,
        name           TEXT NOT NULL,
        etag           TEXT,
        last_modified  TEXT,
        first_seen_at  REAL NOT NULL,   -- unix time
        last_fetch_at  REAL,
        last_ok_at     REAL,
        last_error     TEXT
    );
    CREATE TABLE entries (
        entry_id       TEXT PRIMARY KEY,  -- the dispatch id (guid, link or hash)
        url            TEXT NOT NULL,     -- canonical URL
        feed_url       TEXT NOT NULL,
        title          TEXT NOT NULL,
        seen_at        REAL NOT NULL,
        reason         TEXT NOT NULL      -- 'baseline' (never posted) or 'queued'
    );
    CREATE INDEX entries_url ON entries(url);
    CREATE TABLE dispatches (
        id             TEXT PRIMARY KEY,
        feed           TEXT NOT NULL,
        url            TEXT NOT NULL,
        title          TEXT NOT NULL,
        published      TEXT,
        accepted_at    REAL NOT NULL,
        held           INTEGER NOT NULL DEFAULT 0,  -- 1 until `syndicate release`
        plan           TEXT NOT NULL                -- the dry-run JSON of this dispatch
    );
    CREATE TABLE parts (
        dispatch_id    TEXT NOT NULL REFERENCES dispatches(id),
        platform       TEXT NOT NULL,
        part           INTEGER NOT NULL,            -- 1-based
        of_parts       INTEGER NOT NULL,
        state          TEXT NOT NULL DEFAULT 'planned',
        key            TEXT NOT NULL,               -- idempotency key (Mastodon Idempotency-Key)
        rkey           TEXT,                        -- Bluesky record key, fixed before the first attempt
        post           TEXT NOT NULL,               -- the post as JSON
        attempts       INTEGER NOT NULL DEFAULT 0,
        not_before     REAL,                        -- deferred until (unix time)
        remote_id      TEXT,
        remote_url     TEXT,
        uri            TEXT,
        cid            TEXT,
        cost           REAL NOT NULL DEFAULT 0,     -- what the platform bills for it (X)
        sent_at        REAL,
        last_error     TEXT,
        updated_at     REAL NOT NULL,
        PRIMARY KEY (dispatch_id, platform, part)
    );
    CREATE INDEX parts_state ON parts(state, platform);
    CREATE TABLE sessions (
        key            TEXT PRIMARY KEY,
        value          TEXT NOT NULL,
        updated_at     REAL NOT NULL
    );
    CREATE TABLE limits (
        platform       TEXT NOT NULL,
        account        TEXT NOT NULL,
        value          TEXT NOT NULL,               -- JSON
        fetched_at     REAL NOT NULL,
        PRIMARY KEY (platform, account)
    );
    """,
    # 2: entries are identified per feed. Two feeds may both have an entry "1" (JSON Feed ids,
    # `?p=123` on two sites); the canonical-URL check stays global (index entries_url). Feeds
    # known before this upgrade keep the old global-id answer until their first full read after
    # it (`ids_global_until`, cleared then), so an upgrade never posts old entries the global key
    # had swallowed.
    """
    CREATE TABLE entries_v2 (
        feed_url       TEXT NOT NULL,
        entry_id       TEXT NOT NULL,     -- the entry's id in its feed (guid, link or hash)
        url            TEXT NOT NULL,     -- canonical URL
        title          TEXT NOT NULL,
        seen_at        REAL NOT NULL,
        reason         TEXT NOT NULL,     -- 'baseline' (never posted) or 'queued'
        dispatch_id    TEXT,              -- for 'queued': the dispatch accepted from it
        PRIMARY KEY (feed_url, entry_id)
    );
    INSERT OR IGNORE INTO entries_v2 (feed_url, entry_id, url, title, seen_at, reason, dispatch_id)
        SELECT feed_url, entry_id, url, title, seen_at, reason,
               CASE WHEN reason = 'queued' THEN entry_id END FROM entries;
    DROP TABLE entries;
    ALTER TABLE entries_v2 RENAME TO entries;
    CREATE INDEX entries_url ON entries(url);
    CREATE INDEX entries_id ON entries(entry_id);
    ALTER TABLE feeds ADD COLUMN ids_global_until REAL;  -- time of this upgrade; NULL after the next full read
    UPDATE feeds SET ids_global_until = CAST(strftime('%s', 'now') AS REAL);
    """,
    # 3: when a part was first deferred for a passing reason since it was last queued;
    # `[delivery] give_up_after` counts from it.
    """
    ALTER TABLE parts ADD COLUMN deferred_since REAL;  -- unix time; NULL: not deferred since queued
    """,
    # 4: feeds are polled when due (delivery/schedule.py): what the server asked for and when the
    # feed last brought a new entry. Feeds known before count as changed at their last good fetch,
    # so an upgrade starts no backoff at once.
    """
    ALTER TABLE feeds ADD COLUMN not_before REAL;   -- unix time the server asked us to wait until (capped)
    ALTER TABLE feeds ADD COLUMN changed_at REAL;   -- unix time the feed last brought an entry not seen before
    ALTER TABLE feeds ADD COLUMN ttl REAL;          -- seconds: RSS <ttl> at the last full read
    UPDATE feeds SET changed_at = COALESCE(last_ok_at, first_seen_at);
    """,
    # 5: a row is one intended change on one account, not only a post: `action` says which
    # ('post' a part; 'delete' the post a part made, for `retract`). The key gains the action, so
    # a part's post and its delete are two rows with the same states, lookups and pacing. A
    # delete row's remote_id/remote_url/uri/cid name the post it deletes (NULL: an attempt may
    # have landed, looked up first). A retracted dispatch is never posted again.
    """
    CREATE TABLE parts_v5 (
        dispatch_id    TEXT NOT NULL REFERENCES dispatches(id),
        platform       TEXT NOT NULL,
        action         TEXT NOT NULL DEFAULT 'post',  -- 'post' | 'delete'
        part           INTEGER NOT NULL,
        of_parts       INTEGER NOT NULL,
        state          TEXT NOT NULL DEFAULT 'planned',
        key            TEXT NOT NULL,
        rkey           TEXT,
        post           TEXT NOT NULL,
        attempts       INTEGER NOT NULL DEFAULT 0,
        not_before     REAL,
        remote_id      TEXT,
        remote_url     TEXT,
        uri            TEXT,
        cid            TEXT,
        cost           REAL NOT NULL DEFAULT 0,
        sent_at        REAL,
        last_error     TEXT,
        updated_at     REAL NOT NULL,
        deferred_since REAL,
        PRIMARY KEY (dispatch_id, platform, action, part)
    );
    INSERT INTO parts_v5 (dispatch_id, platform, action, part, of_parts, state, key, rkey, post, attempts,
                          not_before, remote_id, remote_url, uri, cid, cost, sent_at, last_error, updated_at,
                          deferred_since)
        SELECT dispatch_id, platform, 'post', part, of_parts, state, key, rkey, post, attempts, not_before,
               remote_id, remote_url, uri, cid, cost, sent_at, last_error, updated_at, deferred_since FROM parts;
    DROP TABLE parts;
    ALTER TABLE parts_v5 RENAME TO parts;
    CREATE INDEX parts_state ON parts(state, platform);
    ALTER TABLE dispatches ADD COLUMN retracted_at REAL;  -- unix time of `syndicate retract`; NULL: not retracted
    """,
    # 6: the loop back from followers (issue 12). A snapshot is one reading of one sent post's
    # engagement, never overwritten: the rows of a post are its curve. NULL: the network does not
    # report that figure. `account` names the account that made the post (today: its platform).
    # `cost`: what the reading was billed (X bills each post read), counted against monthly_budget.
    # A reply is stored once, by its id on its network.
    """
    CREATE TABLE snapshots (
        dispatch_id    TEXT NOT NULL,
        platform       TEXT NOT NULL,
        account        TEXT NOT NULL,
        part           INTEGER NOT NULL,
        read_at        REAL NOT NULL,               -- unix time
        likes          INTEGER,
        reposts        INTEGER,
        replies        INTEGER,
        quotes         INTEGER,
        cost           REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (dispatch_id, platform, account, part, read_at)
    );
    CREATE INDEX snapshots_read_at ON snapshots(platform, read_at);
    CREATE TABLE replies (
        platform       TEXT NOT NULL,
        remote_id      TEXT NOT NULL,               -- the reply's id (Bluesky: its at:// URI)
        dispatch_id    TEXT NOT NULL,
        account        TEXT NOT NULL,
        part           INTEGER NOT NULL,            -- the part it answers (or the thread's first)
        author         TEXT NOT NULL,
        text           TEXT NOT NULL,               -- plain text, HTML already made text
        url            TEXT,
        created_at     REAL,
        stored_at      REAL NOT NULL,
        PRIMARY KEY (platform, remote_id)
    );
    CREATE INDEX replies_dispatch ON replies(dispatch_id);
    """,
    # 7 (accounts): many accounts per network. A row belongs to one account (`account`: its name
    # in the config; [x] [bluesky] [mastodon] are the accounts named like their network, so every
    # earlier row gets account = platform, and its key stays as it was: nothing is reposted after
    # the upgrade). Everything keyed by platform before (the key, pacing, spend, spacing, stalls)
    # is keyed by account now.
    """
    CREATE TABLE parts_v7 (
        dispatch_id    TEXT NOT NULL REFERENCES dispatches(id),
        account        TEXT NOT NULL,                 -- the account's name ('x', 'ana-bsky', …)
        platform       TEXT NOT NULL,                 -- its network: 'x' | 'bluesky' | 'mastodon'
        action         TEXT NOT NULL DEFAULT 'post',
        part           INTEGER NOT NULL,
        of_parts       INTEGER NOT NULL,
        state          TEXT NOT NULL DEFAULT 'planned',
        key            TEXT NOT NULL,
        rkey           TEXT,
        post           TEXT NOT NULL,
        attempts       INTEGER NOT NULL DEFAULT 0,
        not_before     REAL,
        remote_id      TEXT,
        remote_url     TEXT,
        uri            TEXT,
        cid            TEXT,
        cost           REAL NOT NULL DEFAULT 0,
        sent_at        REAL,
        last_error     TEXT,
        updated_at     REAL NOT NULL,
        deferred_since REAL,
        PRIMARY KEY (dispatch_id, account, action, part)
    );
    INSERT INTO parts_v7 (dispatch_id, account, platform, action, part, of_parts, state, key, rkey, post, attempts,
                          not_before, remote_id, remote_url, uri, cid, cost, sent_at, last_error, updated_at,
                          deferred_since)
        SELECT dispatch_id, platform, platform, action, part, of_parts, state, key, rkey, post, attempts,
               not_before, remote_id, remote_url, uri, cid, cost, sent_at, last_error, updated_at, deferred_since
        FROM parts;
    DROP TABLE parts;
    ALTER TABLE parts_v7 RENAME TO parts;
    CREATE INDEX parts_state ON parts(state, account);
    """,
    # 8: corrections (docs/outbox.md). An entry remembers a digest of what its dispatch was made
    # from, so a re-read feed recomposes only entries that changed; a correction row ('reply' or
    # 'edit') remembers the first post it brings the dispatch up to (`basis`), which the next
    # change is compared with. Entries from before this upgrade have no digest: their first
    # re-read records one and corrects nothing (the composer may have changed since they posted).
    """
    ALTER TABLE entries ADD COLUMN digest TEXT;  -- sha256 of the entry's composed fields (poll.entry_digest)
    ALTER TABLE parts ADD COLUMN basis TEXT;     -- correction rows: the first post's text after this change
    ALTER TABLE dispatches ADD COLUMN gone_checked_at REAL;  -- last HEAD of its article (retract_when_gone)
    """,
    # 9: several hosts on one PostgreSQL state divide the work (unused on an SQLite file, which has
    # one host): a feed claimed for a pass (until shortly after its fetch is recorded), and one row per
    # account that a delivering host keeps locked (store_postgres.account_claim).
    """
    ALTER TABLE feeds ADD COLUMN claimed_until REAL;  -- unix time a host's claim to fetch it runs out
    ALTER TABLE feeds ADD COLUMN fetched_by TEXT;     -- the host whose run fetched it last (PostgreSQL)
    CREATE TABLE delivery_claims (
        account        TEXT PRIMARY KEY
    );
    """,
)
VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class FeedState:
    url: str
    etag: str | None
    last_modified: str | None
    last_ok_at: float | None
    last_error: str | None
    ids_global_until: float | None = None  # see migration 2
    last_fetch_at: float | None = None
    not_before: float | None = None  # see migration 4
    changed_at: float | None = None
    ttl: float | None = None


class Cursor(Protocol):
    """What `Connection.execute` returns on both backends (sqlite3.Cursor, psycopg.Cursor)."""

    @property
    def rowcount(self) -> int: ...
    @property
    def description(self) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """The part of sqlite3.Connection callers use; store_postgres.Connection has the same."""

    @property
    def in_transaction(self) -> bool: ...
    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...
    def executemany(self, sql: str, seq: Any, /) -> Cursor: ...
    def close(self) -> None: ...


def open_state(settings: Settings, *, readonly: bool = False) -> Store:
    """The configured state: the PostgreSQL database of [state] url, else the SQLite file.
    `readonly`: nothing is ever written (dry-run, status)."""
    if settings.state_url:
        return Store.open_url(settings.state_url, readonly=readonly)
    return Store.open_readonly(settings.state_path) if readonly else Store.open(settings.state_path)


def state_label(settings: Settings) -> str:
    """Where the state is, as it may be shown (a URL's password never is)."""
    if settings.state_url:
        return redacted_url(settings.state_url)
    return str(settings.state_path)


def redacted_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


class Store:
    """A connection to the state. Open with `open_state(settings)`, or `Store.open(path)`,
    `Store.open_readonly(path)`, `Store.open_url(url)`."""

    def __init__(self, conn: Connection, path: Path | None, *, readonly: bool, url: str | None = None) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly
        self.url = url  # PostgreSQL: several hosts may share it; None: an SQLite file, one host
        self.host = host_name() if url else None  # who fetched a feed, among hosts sharing the state

    @property
    def where(self) -> str:
        """The state's name in messages (never a password)."""
        return redacted_url(self.url) if self.url else str(self.path)

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            new = not path.exists()
            # Delivery workers (one thread per account) each open their own connection (`reopen`);
            # this one may still be used from them by a publisher opened on it (session saves,
            # single statements), hence check_same_thread=False.
            conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
            if new:  # sessions live here: keep the file private to its owner
                os.chmod(path, 0o600)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a syndicate state file ({exc})") from None
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{path}: cannot open the state file: {exc}") from None
        store = cls(conn, path, readonly=False)
        store._migrate()
        return store

    @classmethod
    def open_readonly(cls, path: Path) -> Store:
        """A private in-memory copy of the state file: dry-run may 'write' to it; the file stays untouched."""
        mem = sqlite3.connect(":memory:", isolation_level=None)
        if path.exists():
            try:
                # Without a WAL beside it the file is complete: read it as immutable, which creates no
                # -wal/-shm files. With one (a run in progress, or killed), read through it, read-only.
                wal = path.with_name(path.name + "-wal").exists()
                mode = "mode=ro" if wal else "immutable=1"
                src = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
                src.backup(mem)
                src.close()
            except sqlite3.Error as exc:
                raise StoreError(f"{path}: cannot read the state file: {exc}") from None
        store = cls(mem, path, readonly=True)
        store._migrate()
        return store

    @classmethod
    def open_url(cls, url: str, *, readonly: bool = False) -> Store:
        """The PostgreSQL state at `url`. `readonly`: everything runs in one transaction that
        `close` rolls back, so dry-run may 'write' and the database stays untouched."""
        try:
            from syndicate import store_postgres
        except ImportError as exc:  # a dependency, but a hand-made install may lack it
            raise StoreError(f"[state] url needs the PostgreSQL driver: pip install 'psycopg[binary]' ({exc})") \
                from None

        conn = store_postgres.Connection(store_postgres.connect(url), url)
        store = cls(conn, None, readonly=readonly, url=url)
        if readonly:
            conn.execute("BEGIN")
        try:
            store._migrate()
        except BaseException:
            conn.close()
            raise
        return store

    def reopen(self) -> Store | None:
        """Another connection to the same state, for a delivery worker thread (transactions on
        one connection cannot interleave). None for an in-memory copy (dry-run): work on it in one thread."""
        if self.readonly:
            return None
        if self.url:  # PostgreSQL: a connection of its own to the same database
            return Store.open_url(self.url)
        return Store.open(self.path) if self.path is not None else None

    def close(self) -> None:
        if self.url and self.readonly and self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()

    def _migrate(self) -> None:
        if self.url:
            self._migrate_postgres()
            return
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a syndicate state file ({exc})") from None
        if version > VERSION:
            raise StoreError(
                f"{self.path}: this state file has schema version {version}, newer than this syndicate "
                f"understands ({VERSION}); upgrade syndicate instead of running an old one on it"
            )
        if version == VERSION:
            return
        with self.transaction():
            for number in range(version, VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version = {VERSION}")

    def _migrate_postgres(self) -> None:
        from syndicate import store_postgres as pg

        assert isinstance(self.conn, pg.Connection)
        if pg.schema_version(self.conn) == VERSION:
            return  # the usual open: no lock taken
        with self.transaction():
            version = pg.lock_schema(self.conn)
            if version > VERSION:
                raise StoreError(
                    f"{self.where}: this state database has schema version {version}, newer than this syndicate "
                    f"understands ({VERSION}); upgrade syndicate on every host instead of running an old one on it"
                )
            pg.create_dialect_objects(self.conn)
            for number in range(version, VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    self.conn.execute(statement)
            pg.set_schema_version(self.conn, VERSION)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic write. Inside another transaction it joins that one (the outer one commits)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        # SQLite: take the write lock now, not at the first write (no upgrade deadlock between readers).
        self.conn.execute("BEGIN" if self.url else "BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- feeds and entries -----------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        row = self.conn.execute(
            "SELECT url, etag, last_modified, last_ok_at, last_error, ids_global_until, last_fetch_at, not_before, "
            "changed_at, ttl FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        return FeedState(*row) if row else None

    def record_fetch(self, url: str, name: str, *, etag: str | None = None, last_modified: str | None = None,
                     error: str | None = None, now: float | None = None, not_before: float | None = None,
                     changed: bool = False, ttl: float | None = None) -> None:
        """A fetch of the feed: its validators, or its error; and what schedules the next one
        (`not_before`: the server asked us to wait until then; `changed`: it brought a new entry;
        `ttl`: its RSS <ttl> in seconds)."""
        now = time.time() if now is None else now
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO feeds (url, name, first_seen_at) VALUES (?, ?, ?)", (url, name, now))
            if error is None:
                c.execute("UPDATE feeds SET name = ?, etag = ?, last_modified = ?, last_fetch_at = ?, "
                          "last_ok_at = ?, last_error = NULL, not_before = ?, ttl = ?, claimed_until = NULL, "
                          "fetched_by = ?, changed_at = CASE WHEN ? THEN ? ELSE COALESCE(changed_at, ?) END "
                          "WHERE url = ?",
                          (name, etag, last_modified, now, now, not_before, ttl, self.host, changed, now, now, url))
            else:
                c.execute("UPDATE feeds SET name = ?, last_fetch_at = ?, last_error = ?, not_before = ?, "
                          "changed_at = COALESCE(changed_at, ?), claimed_until = NULL, fetched_by = ? WHERE url = ?",
                          (name, now, error, not_before, now, self.host, url))

    def seen(self, feed_url: str, entry_id: str, url: str) -> bool:
        """An entry is known when its id in this feed *or* its canonical URL (in any feed) was seen:
        GUID churn and tracking parameters don't repost, and one article in two feeds posts once."""
        row = self.conn.execute(
            "SELECT 1 FROM entries WHERE (feed_url = ? AND entry_id = ?) OR url = ? LIMIT 1",
            (feed_url, entry_id, url),
        ).fetchone()
        return row is not None

    def ids_per_feed_from_now(self, feed_url: str) -> None:
        """The feed was read in full since migration 2: from now on its entries are judged per feed."""
        self.conn.execute("UPDATE feeds SET ids_global_until = NULL WHERE url = ?", (feed_url,))

    def id_seen_in_any_feed(self, entry_id: str) -> bool:
        """The schema-1 rule (one global id), kept for a feed's first full read after migration 2."""
        return self.conn.execute("SELECT 1 FROM entries WHERE entry_id = ? LIMIT 1", (entry_id,)).fetchone() is not None

    def dispatch_exists(self, dispatch_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM dispatches WHERE id = ?", (dispatch_id,)).fetchone() is not None

    def mark_seen(self, entries: list[tuple[str, str, str, str]], reason: str, now: float | None = None) -> None:
        """entries: (entry_id, canonical url, feed url, title)."""
        now = time.time() if now is None else now
        with self.transaction() as c:
            c.executemany(
                "INSERT OR IGNORE INTO entries (entry_id, url, feed_url, title, seen_at, reason) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(*e, now, reason) for e in entries],
            )

    def mark_queued(self, feed_url: str, entry_id: str, url: str, title: str, dispatch_id: str,
                    now: float | None = None, digest: str | None = None) -> None:
        """The entry a dispatch was accepted from (called inside the outbox's accepting transaction)."""
        now = time.time() if now is None else now
        self.conn.execute(
            "INSERT OR IGNORE INTO entries (entry_id, url, feed_url, title, seen_at, reason, dispatch_id, digest) "
            "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
            (entry_id, url, feed_url, title, now, dispatch_id, digest),
        )

    def accepted_entry(self, feed_url: str, entry_id: str) -> tuple[str, str | None] | None:
        """(dispatch id, digest) of an entry of this feed a dispatch was accepted from and not
        retracted; None for any other entry (baseline, unknown, retracted)."""
        row = self.conn.execute(
            "SELECT e.dispatch_id, e.digest FROM entries e JOIN dispatches d ON d.id = e.dispatch_id "
            "WHERE e.feed_url = ? AND e.entry_id = ? AND e.reason = 'queued' AND d.retracted_at IS NULL",
            (feed_url, entry_id)).fetchone()
        return (str(row[0]), row[1]) if row else None

    def set_digest(self, feed_url: str, entry_id: str, digest: str) -> None:
        self.conn.execute("UPDATE entries SET digest = ? WHERE feed_url = ? AND entry_id = ?",
                          (digest, feed_url, entry_id))

    def feeds(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT url, name, last_fetch_at, last_ok_at, last_error FROM feeds ORDER BY name")
        return [dict(zip([d[0] for d in cur.description], row, strict=True)) for row in cur]

    # -- several hosts: who fetches a feed, who delivers to an account ---------------------------

    def claim_feeds(self, wanted: Mapping[str, tuple[str, float | None]], *, now: float) -> set[str]:
        """The feeds of `wanted` (url → (name, last_fetch_at as read)) this host fetches in this
        pass. An SQLite file has one host at a time (run.py's lock file): all of them. PostgreSQL:
        those no other host claimed or fetched since we read them (store_postgres.claim_feeds);
        the claim ends when the fetch is recorded (or after FEED_CLAIM_SECONDS if it never is), and
        other hosts' runs starting within FEED_PASS_SECONDS of that run leave the feed alone."""
        if not self.url or self.readonly:
            return set(wanted)
        from syndicate import store_postgres as pg

        assert isinstance(self.conn, pg.Connection)
        return pg.claim_feeds(self.conn, wanted, now=now, until=now + FEED_CLAIM_SECONDS, host=self.host,
                              pass_seconds=FEED_PASS_SECONDS)

    @contextmanager
    def claim_account(self, account: str) -> Iterator[bool]:
        """Deliver to `account` only while this yields True. SQLite: always (one host). PostgreSQL:
        a row lock held on a connection of its own until the block ends; False while another
        host holds it (that host is delivering to the account: its order, pacing and budget
        stay one host's business)."""
        if not self.url or self.readonly:
            yield True
            return
        from syndicate import store_postgres as pg

        with pg.account_claim(self.url, account) as got:
            yield got

    # -- sessions and limits -----------------------------------------------------------------

    def load_session(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM sessions WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def save_session(self, key: str, value: str) -> None:
        if self.readonly:
            return
        self.conn.execute(
            "INSERT INTO sessions (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, time.time()),
        )

    def load_limits(self, platform: str, account: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT value FROM limits WHERE platform = ? AND account = ?", (platform, account)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_limits(self, platform: str, account: str, value: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO limits (platform, account, value, fetched_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(platform, account) DO UPDATE SET value = excluded.value, fetched_at = excluded.fetched_at",
            (platform, account, json.dumps(value), time.time()),
        )


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3's executescript would commit our transaction)."""
    out, buf = [], ""
    for line in script.splitlines():
        line = line.split("--", 1)[0]
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    return out
