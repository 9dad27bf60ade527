"""`syndicate migrate-state --to postgresql://…`: copy an SQLite state file into PostgreSQL.

Every table of the file is copied row by row, in the file's own order (its rowid, which
orders dispatches delivered oldest first), in one transaction: a failure leaves the
database as it was. Both sides are at the current schema first (the file is read through
a private in-memory copy, migrated there: the file itself is never changed), and the
columns copied are those both have.

Idempotent: a row already in the database (same primary key) is left alone, except an
outbox row the file has seen further along (a later `updated_at`: the file's run sent it
since an earlier copy), which the file's row replaces. So nothing the file knows was sent
is queued again, and running the command twice changes nothing the second time. The
file's run lock is held meanwhile, so no run writes to it while it is copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syndicate.commands.run import run_lock
from syndicate.errors import StoreError
from syndicate.store import Store, redacted_url

# Parents before children (parts reference dispatches); any other table after these, by name.
_FIRST = ("feeds", "entries", "dispatches", "parts", "sessions", "limits")
_SKIP = ("delivery_claims",)  # claims are live locks of running hosts, nothing to carry over


class LockedOut(StoreError):
    """A run is using the state file: copy it when the run has ended."""


@dataclass
class Copied:
    tables: dict[str, tuple[int, int]] = field(default_factory=dict)  # table → (rows in the file, rows written)

    def lines(self, source: Path, url: str) -> list[str]:
        out = [f"Copied {source} into {redacted_url(url)}:"]
        for table, (rows, written) in self.tables.items():
            kept = rows - written
            out.append(f"  {table}: {rows} row(s)" + (f", {kept} already there" if kept else ""))
        out.append("Point every host's [state] at it: url = \"...\" instead of path (the password: "
                   "SYNDICATE_STATE_PASSWORD). Nothing sent before is sent again.")
        return out


def migrate_state(source: Path, url: str) -> Copied:
    if not source.exists():
        raise StoreError(f"no state file at {source}: nothing to copy (check [state] path, or give --from)")
    with run_lock(source) as locked:
        if not locked:
            raise LockedOut(f"{source}: a run is in progress on this state file; copy it when the run has ended")
        src = Store.open_readonly(source)
        try:
            dst = Store.open_url(url)
            try:
                return _copy(src, dst)
            finally:
                dst.close()
        finally:
            src.close()


def _copy(src: Store, dst: Store) -> Copied:
    from syndicate import store_postgres as pg

    assert isinstance(dst.conn, pg.Connection)
    raw = dst.conn.raw
    names = [r[0] for r in src.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    tables = [t for t in _FIRST if t in names] + [t for t in names if t not in _FIRST and t not in _SKIP]
    copied = Copied()
    with dst.transaction():
        for table in tables:
            theirs = {r[0] for r in raw.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s", (table,))} - {"rowid"}
            columns = [r[1] for r in src.conn.execute(f'PRAGMA table_info("{table}")') if r[1] in theirs]
            if not columns:
                continue
            key = _primary_key(raw, table)
            sql = _insert(table, columns, key)
            rows = src.conn.execute(f"SELECT {', '.join(columns)} FROM \"{table}\" ORDER BY rowid").fetchall()
            written = 0
            with raw.cursor() as cur:
                # executemany pipelines the rows (one round trip per batch, not per row): 200,000
                # seen entries copy in seconds to a database across a network too.
                for start in range(0, len(rows), 5000):
                    cur.executemany(sql, rows[start:start + 5000])
                    written += max(cur.rowcount, 0)
            _advance_sequences(raw, table, columns)
            copied.tables[table] = (len(rows), written)
    return copied


def _primary_key(raw: Any, table: str) -> list[str]:
    return [r[0] for r in raw.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary", (table,))]


def _insert(table: str, columns: list[str], key: list[str]) -> str:
    cols = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'
    if key and "updated_at" in columns:
        # The file's row is further along (sent since an earlier copy): it wins, so it is not resent.
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        return (f"{sql} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates} "
                f'WHERE "{table}".updated_at < EXCLUDED.updated_at')
    return sql + " ON CONFLICT DO NOTHING"


def _advance_sequences(raw: Any, table: str, columns: list[str]) -> None:
    """A copied id column that PostgreSQL fills in itself (INTEGER PRIMARY KEY): its next value follows the copy."""
    for column in columns:
        seq = raw.execute("SELECT pg_get_serial_sequence(%s, %s)", (table, column)).fetchone()
        if seq and seq[0]:
            raw.execute(f'SELECT setval(%s, COALESCE((SELECT MAX({column}) FROM "{table}"), 0) + 1, false)',
                        (seq[0],))
