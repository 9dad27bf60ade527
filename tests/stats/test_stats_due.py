"""The rule for a due snapshot, asked twice: in SQL by `run` (so an idle run loads nothing more) and
in Python by the collector. They must agree, for every post, at every moment."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.audience import snapshots
from syndicate.audience.collect import readable_accounts
from syndicate.commands.run import _snapshots_due
from syndicate.platforms.base import Counts
from syndicate.settings import Account, MastodonSettings, Settings, StatsSettings, XSettings
from syndicate.store import Store

H = 3600.0
T0 = 1_800_000_000.0


def _store(tmp_path: Path, sent: list[tuple[str, str, float]]) -> Store:
    """Sent posts (dispatch, account, sent_at): the X accounts are x and ana-x, the rest are on Mastodon."""
    store = Store.open(tmp_path / "s.db")
    for n, (dispatch, account, at) in enumerate(sent):
        platform = "x" if account in ("x", "ana-x") else "mastodon"
        store.conn.execute("INSERT OR IGNORE INTO dispatches (id, feed, url, title, accepted_at, plan) "
                           "VALUES (?, 'f', ?, ?, ?, '{}')", (dispatch, f"https://e.org/{dispatch}", dispatch, at))
        store.conn.execute("INSERT INTO parts (dispatch_id, account, platform, part, of_parts, state, key, post, "
                           "remote_id, sent_at, updated_at) VALUES (?, ?, ?, 1, 1, 'sent', 'k', '{}', ?, ?, ?)",
                           (dispatch, account, platform, f"r{n}", at, at))
    return store


def _settings(tmp_path: Path, *, x_stats: bool = False) -> Settings:
    """The default X and Mastodon accounts, an [[accounts]] Mastodon account (ana-masto), an
    [[accounts]] X account with stats on (ana-x), and a disabled one (old-masto)."""
    masto = MastodonSettings(enabled=True, instance="http://m")
    return Settings(path=None, state_path=tmp_path / "s.db", feeds=(),
                    x=XSettings(enabled=True, stats=x_stats), mastodon=masto,
                    stats=StatsSettings(after=(H, 24 * H, 7 * 24 * H), window_days=30),
                    accounts=(Account("ana-masto", "mastodon", masto), Account("ana-x", "x", XSettings(enabled=True, stats=True)),
                              Account("old-masto", "mastodon", MastodonSettings(enabled=False, instance="http://m"))))


def _readable(settings: Settings) -> list[str]:
    return [a.name for a in readable_accounts(settings)]


@pytest.mark.parametrize("x_stats", [False, True])
def test_sql_and_python_agree_on_what_is_due(tmp_path: Path, x_stats: bool) -> None:
    # d and e: the same dispatch on two Mastodon accounts (read apart); f: an X account with its own
    # stats = true; g: a disabled account's post (never due, never read).
    store = _store(tmp_path, [("a", "mastodon", T0), ("b", "mastodon", T0 + 5 * H), ("c", "x", T0 + H),
                              ("d", "mastodon", T0 + 2 * H), ("d", "ana-masto", T0 + 2 * H), ("f", "ana-x", T0),
                              ("g", "old-masto", T0)])
    settings = _settings(tmp_path, x_stats=x_stats)
    assert _readable(settings) == (["x", "mastodon", "ana-masto", "ana-x"] if x_stats
                                   else ["mastodon", "ana-masto", "ana-x"])
    try:
        for hours in (0, 0.5, 1, 1.01, 2, 3.5, 6.5, 20, 25, 26.5, 30, 24 * 7 + 2, 24 * 29, 24 * 31, 24 * 40):
            now = T0 + hours * H
            posts = snapshots.sent_posts(store, since=now - 30 * 86400, accounts=_readable(settings))
            due = snapshots.due(posts, settings.stats.after, now, snapshots.last_read(store))
            assert _snapshots_due(settings, store, now) == bool(due), hours
            snapshots.record_snapshots(store, [(p, Counts(1, 1, 1, None), 0.0) for p in due], now)
        taken = store.conn.execute(
            "SELECT dispatch_id, account, COUNT(*) FROM snapshots GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        # a: 1 h, 24 h, 7 d; b: the same (posted 5 h later); c (X): only with [x] stats; d on each
        # of its two accounts, under that account; f (ana-x: stats = true of its own); g never.
        both = [("a", "mastodon", 3), ("b", "mastodon", 3)]
        assert taken == [*both, *([("c", "x", 3)] if x_stats else []), ("d", "ana-masto", 3), ("d", "mastodon", 3),
                         ("f", "ana-x", 3)]
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


def test_a_disabled_or_removed_accounts_posts_are_skipped_without_error(tmp_path: Path) -> None:
    """Nothing can read a disabled or removed account's posts: they are never due (and `collect`
    skips them without a word), while an [[accounts]] account's own posts are due like any other."""
    store = _store(tmp_path, [("a", "old-masto", T0), ("b", "gone-masto", T0)])
    try:
        settings = _settings(tmp_path)
        assert not _snapshots_due(settings, store, T0 + 2 * H)
        assert snapshots.sent_posts(store, accounts=_readable(settings)) == []
        store.conn.execute("UPDATE parts SET account = 'ana-masto' WHERE dispatch_id = 'a'")
        assert _snapshots_due(settings, store, T0 + 2 * H)
        assert [p.account for p in snapshots.sent_posts(store, accounts=_readable(settings))] == ["ana-masto"]
    finally:
        store.close()
