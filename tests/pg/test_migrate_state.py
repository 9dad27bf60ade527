"""`migrate-state` at its edges: a file that moved on since an earlier copy, a run in progress, no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.commands.migrate_state import LockedOut, migrate_state
from syndicate.commands.run import run_lock
from syndicate.errors import StoreError
from syndicate.store import Store


def _state(path: Path) -> Store:
    store = Store.open(path)
    with store.transaction() as c:
        c.execute("INSERT INTO dispatches (id, feed, url, title, accepted_at, plan) VALUES ('d1', 'f', 'u', 't', 1, '{}')")
        c.execute("INSERT INTO parts (dispatch_id, account, platform, part, of_parts, key, post, updated_at) "
                  "VALUES ('d1', 'mastodon', 'mastodon', 1, 1, 'k1', '{}', 1)")
    return store


def test_a_part_sent_from_the_file_after_a_first_copy_is_not_queued_again(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "s.db"
    store = _state(path)
    first = migrate_state(path, pg_url)
    assert first.tables["parts"] == (1, 1) and first.tables["dispatches"] == (1, 1)
    # The file's host kept running and sent the part; then the copy is made again.
    store.conn.execute("UPDATE parts SET state = 'sent', remote_id = '42', sent_at = 5, updated_at = 5")
    store.close()
    again = migrate_state(path, pg_url)
    assert again.tables["parts"] == (1, 1) and again.tables["dispatches"] == (1, 0)
    shared = Store.open_url(pg_url)
    row = shared.conn.execute("SELECT state, remote_id FROM parts").fetchone()
    assert tuple(row) == ("sent", "42")
    # A row the database has moved on with is never put back by an older file row.
    shared.conn.execute("UPDATE parts SET state = 'sent', remote_id = '42', attempts = 2, updated_at = 9")
    assert migrate_state(path, pg_url).tables["parts"] == (1, 0)
    assert shared.conn.execute("SELECT attempts FROM parts").fetchone()[0] == 2
    shared.close()


def test_no_copy_while_a_run_holds_the_file_nor_of_a_missing_file(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "s.db"
    _state(path).close()
    with run_lock(path) as locked:
        assert locked
        with pytest.raises(LockedOut, match="a run is in progress"):
            migrate_state(path, pg_url)
    with pytest.raises(StoreError, match="no state file at"):
        migrate_state(tmp_path / "missing.db", pg_url)
