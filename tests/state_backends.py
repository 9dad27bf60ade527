"""One state on either backend, for tests that run on both (the `state_target` fixture in conftest.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syndicate.store import Store


@dataclass
class StateTarget:
    kind: str  # "sqlite" | "postgresql"
    path: Path
    url: str | None = None

    def open(self) -> Store:
        return Store.open_url(self.url) if self.url else Store.open(self.path)

    def open_readonly(self) -> Store:
        return Store.open_url(self.url, readonly=True) if self.url else Store.open_readonly(self.path)

    def toml(self) -> str:
        """The [state] table of a config that uses this state."""
        return f'[state]\nurl = "{self.url}"\n' if self.url else f'[state]\npath = "{self.path}"\n'

    def raw(self) -> Any:
        """A plain connection around the store (no migrations), with SQLite-flavoured `execute`."""
        if self.url:
            from syndicate import store_postgres

            return store_postgres.Connection(store_postgres.connect(self.url), self.url)
        return sqlite3.connect(self.path, isolation_level=None)

    def set_version(self, raw: Any, version: int) -> None:
        if self.url:
            raw.raw.execute("CREATE TABLE IF NOT EXISTS syndicate_schema (version BIGINT NOT NULL)")
            raw.raw.execute("DELETE FROM syndicate_schema")
            raw.raw.execute("INSERT INTO syndicate_schema VALUES (%s)", (version,))
        else:
            raw.execute(f"PRAGMA user_version = {version}")

    def version(self, store: Store) -> int:
        if self.url:
            return int(store.conn.execute("SELECT version FROM syndicate_schema").fetchone()[0])
        return int(store.conn.execute("PRAGMA user_version").fetchone()[0])

    def columns(self, raw: Any, table: str) -> list[str]:
        if self.url:
            rows = raw.raw.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                                   "ORDER BY ordinal_position", (table,)).fetchall()
            return [r[0] for r in rows if r[0] != "rowid"]
        return [r[1] for r in raw.execute(f"PRAGMA table_info({table})")]
