"""The state: schema versioning, refusal of newer files, read-only copies, dedupe by id or URL.

Tests taking `state_target` run on both backends: an SQLite file and a PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest
from state_backends import StateTarget

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


def test_blank_state_is_migrated_on_both_backends(state_target: StateTarget) -> None:
    store = state_target.open()
    assert state_target.version(store) == VERSION
    store.close()
    again = state_target.open()  # opening a current state changes nothing
    assert state_target.version(again) == VERSION
    raw = state_target.raw()
    for table in ("feeds", "entries", "dispatches", "parts", "sessions", "limits", "delivery_claims"):
        assert state_target.columns(raw, table), table
    raw.close()
    again.close()


def test_newer_database_is_refused(state_target: StateTarget) -> None:
    raw = state_target.raw()
    state_target.set_version(raw, VERSION + 1)
    raw.close()
    with pytest.raises(StoreError, match="newer than this syndicate understands"):
        state_target.open()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not a syndicate state file"):
        Store.open(path)


def test_readonly_copy_never_touches_the_file(state_target: StateTarget) -> None:
    path = state_target.path
    store = state_target.open()
    store.record_fetch("https://example.org/f", "f", etag='"a"')
    store.close()
    before = digest(path) if state_target.kind == "sqlite" else None
    ro = state_target.open_readonly()
    assert ro.feed_state("https://example.org/f").etag == '"a"'  # type: ignore[union-attr]
    ro.record_fetch("https://example.org/f", "f", etag='"b"')  # SQLite: an in-memory copy; PostgreSQL: rolled back
    ro.mark_seen([("id1", "https://example.org/a", "https://example.org/f", "A")], "baseline")
    assert ro.seen("https://example.org/f", "id1", "https://example.org/a")  # it reads its own writes
    ro.close()
    if before is not None:
        assert digest(path) == before
    again = state_target.open()
    assert again.feed_state("https://example.org/f").etag == '"a"'  # type: ignore[union-attr]
    assert not again.seen("https://example.org/f", "id1", "https://example.org/a")


def test_seen_by_id_or_by_canonical_url(state_target: StateTarget) -> None:
    store = state_target.open()
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


def _v1_state(target: StateTarget) -> None:
    """A state as syndicate 0.1.0 (schema 1) left it: two feeds, a posted and a baseline entry."""
    from syndicate.store import MIGRATIONS, _statements

    conn = target.raw()
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    target.set_version(conn, 1)
    for url, name in (("https://a.example/feed", "a"), ("https://b.example/feed", "b")):
        conn.execute("INSERT INTO feeds (url, name, etag, first_seen_at, last_fetch_at, last_ok_at) "
                     "VALUES (?, ?, '\"v1\"', 1, 2, 2)", (url, name))
    conn.execute("INSERT INTO entries VALUES ('1', 'https://a.example/1', 'https://a.example/feed', 'A one', 1, "
                 "'queued')")
    conn.execute("INSERT INTO entries VALUES ('old', 'https://a.example/old', 'https://a.example/feed', 'Old', 1, "
                 "'baseline')")
    conn.execute("INSERT INTO dispatches VALUES ('1', 'a', 'https://a.example/1', 'A one', NULL, 1, 1, '{}')")
    conn.execute("INSERT INTO parts (dispatch_id, platform, part, of_parts, state, key, post, updated_at) "
                 "VALUES ('1', 'mastodon', 1, 1, 'planned', 'syndicate-v1key', '{\"text\": \"A one\"}', 1)")
    conn.close()


def test_a_v1_state_file_upgrades_in_place(state_target: StateTarget) -> None:
    _v1_state(state_target)
    conn = state_target.raw()
    v1_columns = ", ".join(state_target.columns(conn, "parts"))  # later migrations add some
    parts_before = conn.execute(f"SELECT {v1_columns} FROM parts").fetchall()
    v1_dispatch_columns = ", ".join(state_target.columns(conn, "dispatches"))
    dispatches_before = conn.execute(f"SELECT {v1_dispatch_columns} FROM dispatches").fetchall()
    conn.close()
    store = state_target.open()
    assert state_target.version(store) == VERSION
    assert store.seen("https://a.example/feed", "1", "https://a.example/elsewhere")  # queued: still seen
    assert store.seen("https://a.example/feed", "old", "https://a.example/elsewhere")  # baseline: still seen
    assert store.seen("https://b.example/feed", "x", "https://a.example/1")  # URL check stays global
    assert not store.seen("https://b.example/feed", "1", "https://b.example/1")  # ids are per feed now
    assert store.conn.execute(f"SELECT {v1_columns} FROM parts").fetchall() == parts_before  # outbox intact
    assert store.conn.execute(f"SELECT {v1_dispatch_columns} FROM dispatches").fetchall() == dispatches_before
    # Migration 4: every row that was there is a 'post'; nothing is retracted.
    assert store.conn.execute("SELECT action FROM parts").fetchall() == [("post",)]
    assert store.conn.execute("SELECT retracted_at FROM dispatches").fetchall() == [(None,)]
    assert store.conn.execute("SELECT dispatch_id FROM entries WHERE entry_id = '1'").fetchone() == ("1",)
    state = store.feed_state("https://b.example/feed")
    assert state is not None and state.etag == '"v1"' and state.ids_global_until is not None
    store.close()


def test_after_an_upgrade_old_entries_swallowed_by_the_global_id_stay_unposted(tmp_path: Path,
                                                                              state_target: StateTarget) -> None:
    """Schema 1 dropped feed b's entry "1" (feed a had that id): an upgrade must not post it now,
    while b's genuinely new entries — and new feeds — follow the per-feed rule."""
    from core.feedgen import item, rss

    from syndicate.delivery.poll import poll
    from syndicate.settings import FeedSettings

    _v1_state(state_target)
    feed_b = tmp_path / "b.xml"
    feed_b.write_bytes(rss([item(1, guid="1", link="https://b.example/1"),
                            item(2, guid="2", link="https://b.example/2")]))
    store = state_target.open()
    # Feed b is the one known before the upgrade (its URL in the state); point it at the local file.
    store.conn.execute("UPDATE feeds SET url = ? WHERE name = 'b'", (str(feed_b),))
    result = poll((FeedSettings(url=str(feed_b), name="b"),), store)
    assert [d.id for _, d in result.new] == ["2"]
    assert [d.id for d in result.feeds[0].baseline] == ["1"]  # marked seen when committed, never posted
    # Committed after this first full read, the feed follows the per-feed rule from then on.
    from syndicate.delivery import outbox

    outbox.accept_feed(store, feed_url=str(feed_b), feed_name="b", validators=(None, None), accepted=[],
                       baseline=[(d.id, d.url, d.title) for d in result.feeds[0].baseline], read_in_full=True)
    assert store.feed_state(str(feed_b)).ids_global_until is None  # type: ignore[union-attr]
    feed_c = tmp_path / "c.xml"  # a feed added since the upgrade: per feed from the start
    feed_c.write_bytes(rss([item(1, guid="1", link="https://c.example/1"),
                            item(2, guid="2", link="https://c.example/2")]))
    (intake,) = poll((FeedSettings(url=str(feed_c), name="c", backfill=5),), store).feeds
    assert sorted(f.entry_id for f in intake.fresh) == ["1", "2"]  # "1" is new here, though feed a had it
    assert sorted(f.dispatch.id for f in intake.fresh) == ["1~" + hashlib.sha256(str(feed_c).encode()).hexdigest()[:6],
                                                           "2"]  # feed a's dispatch "1" keeps its id
    store.close()


def test_a_post_and_its_delete_are_two_rows_after_migration_5(state_target: StateTarget) -> None:
    """Schemas 1-4 keyed parts by (dispatch, platform, part): a delete row for a sent part would have
    collided with it. After migration 5 both live side by side, and retracting twice adds nothing."""
    from syndicate.delivery import outbox

    _v1_state(state_target)
    store = state_target.open()
    store.conn.execute("UPDATE parts SET state = 'sent', remote_id = '111', attempts = 1, sent_at = 5")
    for _ in range(2):
        outbox.retract(store, "1", now=6.0)
    rows = store.conn.execute("SELECT action, part, state, remote_id FROM parts ORDER BY action").fetchall()
    assert rows == [("delete", 1, "planned", "111"), ("post", 1, "sent", "111")]
    assert outbox.due_dispatches(store, "mastodon") == []
    assert outbox.anything_due(store, ("mastodon",))  # the delete is due, though the dispatch is held
    store.close()


def test_rows_belong_to_accounts_after_migration_7_and_keep_their_keys(state_target: StateTarget) -> None:
    """Schemas 1-5 keyed parts by (dispatch, platform, action, part): a second account on the same
    network could not have had a row. After migration 7 every old row belongs to the account named
    like its platform (the default [mastodon]), with its key unchanged (so nothing is reposted after
    the upgrade), and another Mastodon account's row of the same part lives beside it."""
    from syndicate.delivery import outbox

    _v1_state(state_target)
    store = state_target.open()
    assert store.conn.execute("SELECT account, platform, key FROM parts").fetchall() == [
        ("mastodon", "mastodon", "syndicate-v1key")]
    assert outbox.due_dispatches(store, "mastodon") == []  # held: as before
    store.conn.execute("UPDATE dispatches SET held = 0")
    assert outbox.due_dispatches(store, "mastodon") == ["1"]
    store.conn.execute("INSERT INTO parts (dispatch_id, account, platform, part, of_parts, key, post, updated_at) "
                       "VALUES ('1', 'ana-masto', 'mastodon', 1, 1, 'k2', '', 1)")
    store.conn.execute("""UPDATE parts SET post = '{"text": "A one", "length": 5, "limit": 500}'""")
    assert [p.account for p in outbox.parts_of(store, "1")] == ["ana-masto", "mastodon"]
    part = outbox.parts_of(store, "1", "ana-masto")[0]
    outbox.mark_sent(store, part, remote_id="9", remote_url=None, cost=0.5, now=10.0)
    assert [p.state for p in outbox.parts_of(store, "1", "mastodon")] == ["planned"]  # only that account's row
    assert outbox.month_spend(store, "ana-masto", 0.0) == 0.5 and outbox.month_spend(store, "mastodon", 0.0) == 0
    assert outbox.month_spend(store, "", 0.0, platform="mastodon") == 0.5
    assert outbox.due_dispatches(store, "ana-masto") == []
    store.close()


def test_a_default_accounts_key_is_as_before_accounts_and_another_accounts_differs() -> None:
    import hashlib

    from syndicate.delivery.outbox import part_key

    before = "syndicate-" + hashlib.sha256(b"d1\x00x\x002").hexdigest()[:40]  # the 0.1.0 formula
    assert part_key("d1", "x", 2) == part_key("d1", "x", 2, "x") == before
    assert part_key("d1", "x", 2, "desk-x") not in (before, part_key("d1", "x", 2, "ana-x"))
