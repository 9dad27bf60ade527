"""The rule for a due snapshot, asked twice: in SQL by `run` (so an idle run loads nothing more) and
in Python by the collector. They must agree, for every post, at every moment."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.audience import snapshots
from syndicate.commands.run import _snapshots_due
from syndicate.platforms.base import Counts
from syndicate.settings import MastodonSettings, Settings, StatsSettings, XSettings
from syndicate.store import Store

H = 3600.0
T0 = 1_800_000_000.0


def _store(tmp_path: Path, sent: list[tuple[str, str, float]]) -> Store:
    store = Store.open(tmp_path / "s.db")
    for n, (dispatch, platform, at) in enumerate(sent):
        store.conn.execute("INSERT OR IGNORE INTO dispatches (id, feed, url, title, accepted_at, plan) "
                           "VALUES (?, 'f', ?, ?, ?, '{}')", (dispatch, f"https://e.org/{dispatch}", dispatch, at))
        store.conn.execute("INSERT INTO parts (dispatch_id, account, platform, part, of_parts, state, key, post, "
                           "remote_id, sent_at, updated_at) VALUES (?, ?, ?, 1, 1, 'sent', 'k', '{}', ?, ?, ?)",
                           (dispatch, platform, platform, f"r{n}", at, at))
    return store


def _settings(tmp_path: Path, *, x_stats: bool = False) -> Settings:
    return Settings(path=None, state_path=tmp_path / "s.db", feeds=(),
                    x=XSettings(enabled=True, stats=x_stats), mastodon=MastodonSettings(enabled=True, instance="http://m"),
                    stats=StatsSettings(after=(H, 24 * H, 7 * 24 * H), window_days=30))


@pytest.mark.parametrize("x_stats", [False, True])
def test_sql_and_python_agree_on_what_is_due(tmp_path: Path, x_stats: bool) -> None:
    store = _store(tmp_path, [("a", "mastodon", T0), ("b", "mastodon", T0 + 5 * H), ("c", "x", T0 + H)])
    settings = _settings(tmp_path, x_stats=x_stats)
    platforms = ("mastodon", "x") if x_stats else ("mastodon",)
    try:
        for hours in (0, 0.5, 1, 1.01, 2, 6.5, 20, 25, 30, 24 * 7 + 2, 24 * 29, 24 * 31, 24 * 40):
            now = T0 + hours * H
            posts = snapshots.sent_posts(store, since=now - 30 * 86400, platforms=platforms)
            due = snapshots.due(posts, settings.stats.after, now, snapshots.last_read(store))
            assert _snapshots_due(settings, store, now) == bool(due), hours
            snapshots.record_snapshots(store, [(p, Counts(1, 1, 1, None), 0.0) for p in due], now)
        taken = store.conn.execute("SELECT dispatch_id, COUNT(*) FROM snapshots GROUP BY 1 ORDER BY 1").fetchall()
        # a: 1 h, 24 h, 7 d; b: the same (posted 5 h later); c (X): only with [x] stats
        assert taken == ([("a", 3), ("b", 3), ("c", 3)] if x_stats else [("a", 3), ("b", 3)])
    finally:
        store.close()


def test_a_retracted_dispatch_is_not_read(tmp_path: Path) -> None:
    store = _store(tmp_path, [("a", "mastodon", T0)])
    store.conn.execute("UPDATE dispatches SET retracted_at = ?", (T0 + 60,))
    try:
        assert not _snapshots_due(_settings(tmp_path), store, T0 + 2 * H)
        assert snapshots.sent_posts(store) == []
    finally:
        store.close()


def test_another_accounts_posts_are_not_read_with_the_default_accounts_credentials(tmp_path: Path) -> None:
    """Readers open with [x] [bluesky] [mastodon]'s credentials: a post of an [[accounts]] account
    (issue 11) is neither due nor read (it would be read, and billed, as the wrong account)."""
    store = _store(tmp_path, [("a", "mastodon", T0)])
    store.conn.execute("UPDATE parts SET account = 'ana-masto'")
    try:
        assert not _snapshots_due(_settings(tmp_path), store, T0 + 2 * H)
        assert snapshots.sent_posts(store) == []
    finally:
        store.close()
