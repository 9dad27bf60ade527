"""The state in PostgreSQL ([state] url): the same schema and the same SQL as the SQLite file.

Several hosts share one database and divide the work through it (store.py: `claim_feeds`,
`claim_account`). Everything above the store keeps writing SQLite-flavoured SQL —
`?` placeholders, `INSERT OR IGNORE`, `REAL` columns, `rowid` — and this module translates each
statement once (cached) into PostgreSQL's dialect, so a migration or query added for SQLite
runs here unchanged. What it translates:

  ?                       %s (outside quoted literals); a literal % becomes %%
  :name (dict params)     %(name)s
  INSERT OR IGNORE        INSERT … ON CONFLICT DO NOTHING
  x IS ? / x IS NOT ?     IS [NOT] DISTINCT FROM %s (PostgreSQL's IS takes only NULL/TRUE/FALSE)
  REAL / INTEGER / BLOB   DOUBLE PRECISION / BIGINT / BYTEA (SQLite's are 8 bytes; also in CASTs)
  INTEGER PRIMARY KEY     BIGSERIAL PRIMARY KEY (SQLite fills it in like a rowid)
  CREATE TABLE            gains a `rowid BIGSERIAL` column: queries order by insertion with it
  strftime('%s','now')    EXTRACT(EPOCH FROM now())
  IFNULL(                 COALESCE(
  SUM(a != b)             a sum(boolean) aggregate, created with the schema (DIALECT_OBJECTS)
  AND +t.col              AND t.col (SQLite's index hint is an error on text here)

Anything SQLite-only beyond that (PRAGMA, sqlite_master, INSERT OR REPLACE) is refused with
a message naming the statement, so a new query that needs a dialect rule fails its test on
PostgreSQL instead of silently doing something else.

This module imports psycopg; store.py imports it only when a PostgreSQL URL is configured, so
an SQLite run never loads the driver.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import adapt, pq

from syndicate.errors import StoreError
from syndicate.store import redacted_url as redacted

PASSWORD_VARIABLE = "SYNDICATE_STATE_PASSWORD"
SCHEMA_LOCK = 0x73796E64  # pg_advisory_xact_lock key for migrations ("synd"): hosts starting together migrate once
# A host that vanishes (power, network) holds its claims until the server notices: TCP keepalives
# on the server side of our connections make that ~30 s rather than the kernel's two hours.
_KEEPALIVES = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 3")


def _safe(message: str, url: str) -> str:
    """A driver message with any password scrubbed (libpq does not echo it, but be sure)."""
    secrets = [s for s in (urlsplit(url).password, os.environ.get(PASSWORD_VARIABLE)) if s]
    for secret in secrets:
        message = message.replace(secret, "***")
    return " ".join(message.split())


class _NumericLoader(adapt.Loader):
    """SUM/AVG of integers are NUMERIC in PostgreSQL: load them as int or float, as SQLite gives them."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        number = float(text)
        return int(text) if text.lstrip("-").isdigit() else number


def connect(url: str, *, application: str = "syndicate") -> psycopg.Connection[Any]:
    """An autocommit connection (store.transaction() opens transactions explicitly)."""
    password = os.environ.get(PASSWORD_VARIABLE) or None
    try:
        conn = psycopg.connect(url, autocommit=True, password=password, application_name=application,
                               connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreError(f"state database {redacted(url)}: cannot connect: {_safe(str(exc), url)}") from None
    conn.adapters.register_loader("numeric", _NumericLoader)
    for statement in _KEEPALIVES:
        conn.execute(statement)
    return conn


class Connection:
    """The slice of sqlite3.Connection that the store and its callers use, on psycopg:
    `execute` (returns a cursor: fetchone, fetchall, rowcount, description, iteration),
    `executemany`, `in_transaction`, `close`. Statements are translated by `translate`."""

    def __init__(self, raw: psycopg.Connection[Any], url: str) -> None:
        self.raw, self.url = raw, url

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), /) -> psycopg.Cursor[Any]:
        named = isinstance(parameters, Mapping)
        try:
            return self.raw.execute(translate(sql, named), parameters)
        except psycopg.OperationalError as exc:
            raise StoreError(f"state database {redacted(self.url)}: {_safe(str(exc), self.url)}") from None

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]], /) -> psycopg.Cursor[Any]:
        cur = self.raw.cursor()
        try:
            cur.executemany(translate(sql, False), seq)
        except psycopg.OperationalError as exc:
            raise StoreError(f"state database {redacted(self.url)}: {_safe(str(exc), self.url)}") from None
        return cur

    def close(self) -> None:
        self.raw.close()


# -- the schema version and migrations ---------------------------------------------------------

def schema_version(conn: Connection) -> int | None:
    """The schema version, None when the database has no syndicate schema yet (read without locking)."""
    row = conn.raw.execute("SELECT to_regclass('syndicate_schema') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    found = conn.raw.execute("SELECT version FROM syndicate_schema").fetchone()
    return int(found[0]) if found else None


def lock_schema(conn: Connection) -> int:
    """Inside a transaction: take the migration lock, create the version table if needed, return the version."""
    conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
    conn.raw.execute("CREATE TABLE IF NOT EXISTS syndicate_schema (version BIGINT NOT NULL)")
    found = conn.raw.execute("SELECT version FROM syndicate_schema").fetchone()
    if found is None:
        conn.raw.execute("INSERT INTO syndicate_schema (version) VALUES (0)")
        return 0
    return int(found[0])


def set_schema_version(conn: Connection, version: int) -> None:
    conn.raw.execute("UPDATE syndicate_schema SET version = %s", (version,))


# What SQLite does that PostgreSQL can be taught (rather than rewritten in each query): a
# comparison is an integer there, so SUM(state != 'sent') counts rows. Created with the schema
# (on every migration, idempotently).
DIALECT_OBJECTS = (
    "CREATE OR REPLACE FUNCTION syndicate_sum_bool(acc BIGINT, b BOOLEAN) RETURNS BIGINT "
    "LANGUAGE sql IMMUTABLE AS 'SELECT COALESCE(acc, 0) + CASE WHEN b THEN 1 ELSE 0 END'",
    "CREATE OR REPLACE AGGREGATE sum(BOOLEAN) (SFUNC = syndicate_sum_bool, STYPE = BIGINT)",
)


def create_dialect_objects(conn: Connection) -> None:
    for statement in DIALECT_OBJECTS:
        conn.raw.execute(statement)


# -- claims: hosts divide the work -----------------------------------------------------------

@contextmanager
def account_claim(url: str, account: str) -> Iterator[bool]:
    """Hold `account` for this host while the block runs: its row in delivery_claims locked
    FOR UPDATE SKIP LOCKED in a transaction on a connection of its own, left open until the
    block ends. Another host's claim gets no row and yields False at once. A host that dies
    loses its connection and, with it, the lock: the next host picks the account up and, as
    after any crash, looks up a part left `sending` before sending it again."""
    raw = connect(url, application=f"syndicate claim {account}")
    try:
        raw.execute("INSERT INTO delivery_claims (account) VALUES (%s) ON CONFLICT DO NOTHING", (account,))
        raw.execute("BEGIN")
        got = raw.execute("SELECT account FROM delivery_claims WHERE account = %s FOR UPDATE SKIP LOCKED",
                          (account,)).fetchone() is not None
        if not got:
            raw.close()  # nothing held: don't keep a connection open for the rest of the run
        yield got
    finally:
        raw.close()  # ends the transaction: the lock goes with it


def claim_feeds(conn: Connection, wanted: Mapping[str, tuple[str, float | None]], *, now: float,
                until: float, host: str | None, pass_seconds: float) -> set[str]:
    """Claim the feeds this host will fetch in this pass, in one short transaction.

    `wanted`: url → (name, last_fetch_at as this host read it). A feed is ours when no lease on
    it is running (a run fetching it now), nobody fetched it since we read its state (a host
    that read before another's commit must not fetch it again), and no other host's run that
    started within `pass_seconds` before ours fetched it (that run was this pass). Rows locked
    by a host claiming at this moment are skipped (SKIP LOCKED), not waited for. Feeds never
    seen get their row here."""
    if not wanted:
        return set()
    mine: set[str] = set()
    urls = list(wanted)
    known = {r[0] for r in conn.raw.execute("SELECT url FROM feeds WHERE url = ANY(%s)", (urls,))}
    with conn.raw.transaction():
        # Only the rows missing: an insert that meets a row another host is updating would wait for it.
        with conn.raw.cursor() as cur:
            cur.executemany("INSERT INTO feeds (url, name, first_seen_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                            [(url, wanted[url][0], now) for url in urls if url not in known])
        rows = conn.raw.execute(
            "SELECT url, last_fetch_at, claimed_until, fetched_by FROM feeds WHERE url = ANY(%s) ORDER BY url "
            "FOR UPDATE SKIP LOCKED", (urls,)).fetchall()
        for url, last_fetch_at, claimed_until, fetched_by in rows:
            if claimed_until is not None and claimed_until > now:
                continue  # a run is fetching it now
            if last_fetch_at != wanted[url][1]:
                continue  # fetched since we read it: not due any more
            if fetched_by not in (None, host) and last_fetch_at is not None and now - last_fetch_at < pass_seconds:
                continue  # another host's run of this same pass fetched it
            mine.add(url)
        if mine:
            conn.raw.execute("UPDATE feeds SET claimed_until = %s WHERE url = ANY(%s)", (until, list(mine)))
    return mine


# -- the dialect seam ------------------------------------------------------------------------

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%|:[A-Za-z_]\w*|[^'\"?%:]+|:", re.S)
_DDL = re.compile(r"^\s*(CREATE|ALTER)\s", re.I)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.I)
_NOW = re.compile(r"strftime\(\s*'%s'\s*,\s*'now'\s*\)", re.I)
_REFUSED = re.compile(r"^\s*PRAGMA\b|\bsqlite_master\b|\bINSERT\s+OR\s+REPLACE\b|\blast_insert_rowid\b", re.I)


@lru_cache(maxsize=2048)
def translate(sql: str, named: bool = False) -> str:
    """One SQLite-flavoured statement in PostgreSQL's dialect (see the module docstring)."""
    if _REFUSED.search(sql):
        raise StoreError("SQLite-only SQL has no PostgreSQL translation (store_postgres.translate): "
                         f"{sql.strip()[:120]}")
    sql = _NOW.sub("EXTRACT(EPOCH FROM now())", sql)  # SQLite's clock (migration 2 uses it)
    out: list[str] = []
    for token in _TOKENS.findall(sql):
        if token == "?":
            out.append("%s")
        elif token == "%":
            out.append("%%")
        elif token.startswith("'"):
            out.append(token.replace("%", "%%"))
        elif token.startswith(":") and len(token) > 1 and named:
            out.append(f"%({token[1:]})s")
        elif token.startswith('"'):
            out.append(token)
        else:
            out.append(_words(token))
    text = "".join(out)
    text = re.sub(r"\bIS\s+NOT\s+%s", "IS DISTINCT FROM %s", text, flags=re.I)
    text = re.sub(r"\bIS\s+%s", "IS NOT DISTINCT FROM %s", text, flags=re.I)
    if re.match(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", text, re.I):
        text = re.sub(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", "INSERT INTO", text, count=1, flags=re.I)
        returning = re.search(r"\sRETURNING\s", text, re.I)
        cut = returning.start() if returning else len(text.rstrip().rstrip(";"))
        text = text[:cut].rstrip() + " ON CONFLICT DO NOTHING" + text[cut:]
    if _DDL.match(text):
        text = _ddl(text)
    return text


def _words(chunk: str) -> str:
    """Type and function spellings, outside quoted literals (in DDL and CASTs alike: PostgreSQL's
    REAL is 4 bytes and its INTEGER 4, SQLite's are 8)."""
    chunk = re.sub(r"\bIFNULL\s*\(", "COALESCE(", chunk, flags=re.I)
    chunk = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", "BIGSERIAL PRIMARY KEY", chunk, flags=re.I)
    chunk = re.sub(r"\bREAL\b", "DOUBLE PRECISION", chunk)
    chunk = re.sub(r"\bINTEGER\b", "BIGINT", chunk)
    chunk = re.sub(r"\bBLOB\b", "BYTEA", chunk)
    return _UNARY_PLUS.sub(r"\1", chunk)


# SQLite's `+column` (a unary plus that keeps the planner off an index) is an error on text here:
# a + right after a comparison, a parenthesis, a comma or a keyword, and right before a name.
_UNARY_PLUS = re.compile(r"((?:[=<>(,]|\b(?:AND|OR|WHERE|ON|NOT|BY|SELECT|WHEN|THEN|ELSE))\s*)\+(?=[A-Za-z_])",
                         re.I)


def _ddl(text: str) -> str:
    text = re.sub(r"\)\s*WITHOUT\s+ROWID\s*$", ")", text, flags=re.I)
    if _CREATE_TABLE.match(text) and "BIGSERIAL PRIMARY KEY" not in text:
        # SQLite orders by `rowid`, its insertion order; here that is a column of its own.
        end = text.rstrip().rstrip(";").rstrip()
        assert end.endswith(")"), text
        text = end[:-1].rstrip() + ",\n    rowid BIGSERIAL\n)"
    return text


