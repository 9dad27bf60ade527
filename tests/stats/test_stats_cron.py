"""Snapshots from cron (issue 12): `syndicate run` reads engagement when due, at `[stats] after`
each post's sent_at (virtual clock), batched per network, over the real wire to the fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from delivery.delivery_support import (
    MASTODON_CANARY,
    Setup,
    VirtualClock,
    cli_env,
    entries,
    make_mastodon_fake,
    make_x_fake,
    parts,
    run_inproc,
    set_env,
    write_feed,
)
from stats_support import replies, snapshots, write_with_stats

# Every test here runs on both state backends: the SQLite file and PostgreSQL.
pytestmark = pytest.mark.usefixtures("both_backends")


HOUR = 3600.0
BATCH_PATH = "/api/v1/statuses"


def _count_batches(fake: object) -> int:
    return len(fake.requests_to("GET", BATCH_PATH))  # type: ignore[attr-defined]


def test_snapshots_are_taken_when_due_once_per_mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(3, prefix="s"))),
                      mastodon=fake.base_url, mode="teaser", backfill=3)
        write_with_stats(setup, after=["1h", "24h", "7d"])
        run_inproc(setup, clock)
        sent = parts(setup.state, "mastodon")
        assert [p["state"] for p in sent] == ["sent"] * 3
        assert snapshots(setup.state) == [] and _count_batches(fake) == 0  # nothing due yet

        clock.jump(HOUR - 120)  # 58 minutes after
        run_inproc(setup, clock)
        assert snapshots(setup.state) == [] and _count_batches(fake) == 0

        for p in sent:
            fake.set_counts(p["remote_id"], favourites=5, reblogs=2)
        clock.jump(180)  # just past 1 h
        run_inproc(setup, clock)
        first = snapshots(setup.state)
        assert len(first) == 3 and _count_batches(fake) == 1  # three posts: one batch
        assert {(s["likes"], s["reposts"], s["replies"], s["quotes"]) for s in first} == {(5, 2, 0, None)}
        assert all(s["account"] == "mastodon" and s["cost"] == 0 for s in first)

        clock.jump(2 * HOUR)  # 3 h: nothing new is due
        run_inproc(setup, clock)
        assert len(snapshots(setup.state)) == 3

        fake.set_counts(sent[0]["remote_id"], favourites=9)
        clock.jump(22 * HOUR)  # past 24 h
        run_inproc(setup, clock)
        now = snapshots(setup.state)
        assert len(now) == 6 and _count_batches(fake) == 2
        assert [s["likes"] for s in now[3:] if s["dispatch_id"] == sent[0]["dispatch_id"]] == [9]
        assert [s["likes"] for s in now[:3] if s["dispatch_id"] == sent[0]["dispatch_id"]] == [5]  # never overwritten

        clock.jump(10 * 24 * HOUR)  # 11 days: the 7 d mark was missed by days; one reading, not two
        run_inproc(setup, clock)
        assert len(snapshots(setup.state)) == 9 and _count_batches(fake) == 3
        clock.jump(HOUR)
        run_inproc(setup, clock)
        assert len(snapshots(setup.state)) == 9  # every mark taken: nothing more


def test_stats_disabled_takes_no_snapshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="off"))),
                      mastodon=fake.base_url, mode="teaser")
        write_with_stats(setup, enabled=False)
        run_inproc(setup, clock)
        clock.jump(25 * HOUR)
        run_inproc(setup, clock)
        assert snapshots(setup.state) == [] and _count_batches(fake) == 0


def test_posts_beyond_the_window_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="old"))),
                      mastodon=fake.base_url, mode="teaser")
        write_with_stats(setup, after=["1h"], window_days=1)
        run_inproc(setup, clock)
        clock.jump(2 * 24 * HOUR)  # the 1 h mark passed, but the post is now 2 days old
        run_inproc(setup, clock)
        assert snapshots(setup.state) == [] and _count_batches(fake) == 0


def test_x_is_not_read_unless_stats_is_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True, mastodon=MASTODON_CANARY))
    with make_x_fake(clock=clock.wall) as x, make_mastodon_fake(clock=clock.wall) as masto:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(2, prefix="xo"))),
                      x_api=x.base_url, mastodon=masto.base_url, mode="teaser", backfill=2)
        write_with_stats(setup, after=["1h"])
        run_inproc(setup, clock)
        clock.jump(2 * HOUR)
        run_inproc(setup, clock)
        assert {s["platform"] for s in snapshots(setup.state)} == {"mastodon"}
        assert x.posts_read == 0 and not x.calls("GET", "/2/tweets")
        from syndicate.commands.stats import gather
        from syndicate.config import load_config

        _, outcome = gather(load_config(setup.config), now=clock.wall())  # `syndicate stats` says why
        assert outcome is not None and any("set [x] stats = true" in n for n in outcome.notes)
        assert x.posts_read == 0


def test_x_reads_stop_before_the_budget_would_be_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Budget 0.04; two posts cost 0.015 each (0.03): 0.01 left, two reads at 0.005. The third post
    is never read, in this run or the next, and the month's spend never passes the budget."""
    clock = VirtualClock()
    # Mid-month, so that the day the test jumps over cannot start a new budget month.
    clock.offset = datetime(2027, 3, 10, 12, 0, tzinfo=UTC).timestamp() - clock.wall()
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake(clock=clock.wall) as x:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(3, prefix="xb"))),
                      x_api=x.base_url, mode="teaser", backfill=3,
                      x_extra={"stats": True, "monthly_budget": 0.055, "price_read": 0.005})
        write_with_stats(setup, after=["1h", "24h"])
        run_inproc(setup, clock)
        sent = parts(setup.state, "x")
        assert [p["state"] for p in sent] == ["sent"] * 3  # 0.045 spent on posts
        for p in sent:
            x.set_metrics(p["remote_id"], likes=3)
        clock.jump(2 * HOUR)
        report = run_inproc(setup, clock)
        taken = snapshots(setup.state)
        assert len(taken) == 2 == x.posts_read  # 0.01 left: two reads
        assert all(s["cost"] == pytest.approx(0.005) and s["likes"] == 3 for s in taken)
        assert any("would pass [x] monthly_budget" in e.message for e in report.events)
        clock.jump(24 * HOUR)
        run_inproc(setup, clock)
        assert x.posts_read == 2 and len(snapshots(setup.state)) == 2
        from delivery.delivery_support import open_store

        from syndicate.config import load_config
        from syndicate.delivery.budget import month_start
        from syndicate.delivery.outbox import month_spend

        store = open_store(setup.state)
        try:
            assert month_spend(store, "x", month_start(clock.wall())) <= 0.055 + 1e-9
        finally:
            store.close()
        assert load_config(setup.config).x.stats is True


def test_one_network_failing_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True, mastodon=MASTODON_CANARY))
    with make_x_fake(clock=clock.wall) as x, make_mastodon_fake(clock=clock.wall) as masto:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="ff"))),
                      x_api=x.base_url, mastodon=masto.base_url, mode="teaser", x_extra={"stats": True})
        write_with_stats(setup, after=["1h"])
        run_inproc(setup, clock)
        clock.jump(2 * HOUR)
        masto.fail_next(1, status=503, method="GET", path=BATCH_PATH)
        report = run_inproc(setup, clock)
        assert report.exit_code == 0  # cron: nothing was lost; the reading stays due
        assert {s["platform"] for s in snapshots(setup.state)} == {"x"}
        assert any(e.message.startswith("mastodon: engagement not read") for e in report.events)
        run_inproc(setup, clock)  # the next run takes the one still due
        assert {s["platform"] for s in snapshots(setup.state)} == {"x", "mastodon"}


def test_replies_are_read_when_the_count_grows_and_stored_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="rp"))),
                      mastodon=fake.base_url, mode="teaser")
        write_with_stats(setup, after=["1h", "24h", "7d"])
        run_inproc(setup, clock)
        (part,) = parts(setup.state, "mastodon")
        bob = fake.add_account("bob", "bob-token")
        fake.seed_status("<b>tip</b>: check the minutes", account_id=bob, in_reply_to_id=part["remote_id"])
        clock.jump(2 * HOUR)
        run_inproc(setup, clock)
        assert [(r["author"], r["text"]) for r in replies(setup.state)] == [("@bob", "<b>tip</b>: check the minutes")]
        contexts = len([r for r in fake.requests if r.path.endswith("/context")])
        assert contexts == 1
        clock.jump(24 * HOUR)  # no new reply: the count did not grow, the context is not read again
        run_inproc(setup, clock)
        assert len([r for r in fake.requests if r.path.endswith("/context")]) == 1
        fake.seed_status("another", account_id=bob, in_reply_to_id=part["remote_id"])
        clock.jump(7 * 24 * HOUR)
        run_inproc(setup, clock)
        assert [r["text"] for r in replies(setup.state)] == ["<b>tip</b>: check the minutes", "another"]
