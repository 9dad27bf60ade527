"""The state file: schema versioning, refusal of newer files, read-only copies, dedupe by id or URL."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest

from syndicate.errors import StoreError
from syndicate.store import VERSION, Store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_blank_database_is_migrated_to_current_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store.open(path)
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"feeds", "entries", "dispatches", "parts", "sessions", "limits"} <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the Bluesky session


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this syndicate understands"):
        Store.open(path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not a syndicate state file"):
        Store.open(path)


def test_readonly_copy_never_touches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store.open(path)
    store.record_fetch("https://example.org/f", "f", etag='"a"')
    store.close()
    before = digest(path)
    ro = Store.open_readonly(path)
    assert ro.feed_state("https://example.org/f").etag == '"a"'  # type: ignore[union-attr]
    ro.record_fetch("https://example.org/f", "f", etag='"b"')  # goes to the in-memory copy
    ro.mark_seen([("id1", "https://example.org/a", "https://example.org/f", "A")], "baseline")
    ro.close()
    assert digest(path) == before
    again = Store.open(path)
    assert again.feed_state("https://example.org/f").etag == '"a"'  # type: ignore[union-attr]
    assert not again.seen("https://example.org/f", "id1", "https://example.org/a")


def test_seen_by_id_or_by_canonical_url(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    store.mark_seen([("guid-1", "https://example.org/a", "feed", "A")], "queued")
    assert store.seen("feed", "guid-1", "https://example.org/other")
    assert store.seen("feed", "guid-CHANGED", "https://example.org/a")
    assert store.seen("another-feed", "guid-CHANGED", "https://example.org/a")  # one article, any feed
    assert not store.seen("feed", "guid-2", "https://example.org/b")
    assert not store.seen("another-feed", "guid-1", "https://example.org/other")  # ids are per feed


def test_readonly_of_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nothing" / "s.db"
    Store.open_readonly(path).close()
    assert not path.exists() and not path.parent.exists()
