"""Rate limits, floods and money: 429s with far resets, a feed that suddenly lists 40 entries, X's budget.

Each test runs on both state backends (`state_url`: the SQLite file, then PostgreSQL): pacing,
spacing and budgets are read from the shared tables, so they must hold on both.

In-process runs on virtual time (`VirtualClock`): the servers share the clock,
waits are instant, and `jump()` stands for cron starting the next run later.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from delivery_support import (
    MASTODON_CANARY,
    Setup,
    VirtualClock,
    assert_dry_run_writes_nothing,
    cli_env,
    entries,
    make_mastodon_fake,
    make_x_fake,
    parts,
    planned_texts,
    run_inproc,
    set_env,
    states,
    thread_body,
    window_clear_of_edges,
    write_feed,
)
from fakes.mastodon_api import API_STATUSES

TWO_HOURS = 7200.0


def _reset_said(headers: dict[str, str]) -> float:
    """The X-RateLimit-Reset a Mastodon answer carried (ISO 8601), as epoch seconds."""
    from datetime import datetime

    return datetime.fromisoformat(headers["X-RateLimit-Reset"].replace("Z", "+00:00")).timestamp()


def test_x_429_resetting_in_two_hours_defers_within_the_budget_then_posts(
    tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, state_url=state_url, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="rl"))),
                      x_api=fake.base_url, mode="teaser", delivery={"max_run_seconds": 30})
        setup.write()
        t0 = clock.wall()
        fake.set_limit("POST /2/tweets", 100, window=TWO_HOURS, remaining=0)
        reset = int(t0 + TWO_HOURS)
        start = clock.monotonic()
        report = run_inproc(setup, clock)
        assert clock.monotonic() - start <= 30  # the run kept to max_run_seconds (virtual: no real sleeping)
        assert sum(clock.sleeps) < 30
        assert report.exit_code == 0
        assert fake.tweets == []
        (part,) = parts(setup.where, "x")
        assert part["state"] == "deferred"
        assert part["not_before"] == pytest.approx(reset, abs=1)
        from syndicate.commands.status import render_status
        from syndicate.config import load_config

        shown = render_status(load_config(setup.config))
        when = datetime.fromtimestamp(part["not_before"], UTC).strftime("%Y-%m-%d %H:%M UTC")
        assert f"X        1/1 deferred (next attempt {when})" in shown

        clock.jump(3600)  # a run an hour later: not due yet, not even tried
        posts_before = len(fake.calls("POST", "/2/tweets"))
        run_inproc(setup, clock)
        assert len(fake.calls("POST", "/2/tweets")) == posts_before
        assert states(setup.where, "x") == ["deferred"]

        clock.jump(reset - clock.wall() + 5)  # the first run after the reset posts it
        run_inproc(setup, clock)
    assert states(setup.where, "x") == ["sent"]
    assert len(fake.tweets) == 1


def test_mastodon_status_family_used_up_defers_the_next_post_to_the_reset(
    tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mastodon's 'statuses' family (300 per 3 h; here 2 per 2 h): the answer to the 2nd post says
    the quota is used up; the 3rd is deferred to the reset without running into a 429."""
    clock = VirtualClock()
    period = window_clear_of_edges(clock.wall(), TWO_HOURS)  # near a boundary the 3rd post found a fresh window
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall, statuses_limit=2, statuses_period=period) as fake:
        setup = Setup(tmp_path, state_url=state_url, feed=str(write_feed(tmp_path / "feed.xml", entries(3, prefix="fam"))),
                      mastodon=fake.base_url, mode="teaser", backfill=3, delivery={"max_run_seconds": 30})
        setup.write()
        t0 = clock.wall()
        report = run_inproc(setup, clock)
        assert report.exit_code == 0
        assert len(fake.statuses) == 2
        assert all(r.status != 429 for r in fake.requests)
        third = parts(setup.where, "mastodon")[2]
        assert third["state"] == "deferred"
        said = _reset_said(fake.requests_to("POST", API_STATUSES)[-1].response_headers)
        assert t0 < said <= t0 + period
        assert third["not_before"] == pytest.approx(said, abs=1.5)  # Date-header clock correction: whole seconds
        clock.jump(third["not_before"] - clock.wall() + 1)
        run_inproc(setup, clock)
    assert states(setup.where, "mastodon") == ["sent"] * 3
    assert [s.text.split("\n")[0] for s in fake.statuses] == [f"Dispatch fam {i:03d}" for i in (1, 2, 3)]


def test_mastodon_429_with_far_reset_is_deferred_not_slept(tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    period = window_clear_of_edges(clock.wall(), TWO_HOURS)  # near a boundary the reset was seconds away
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall, statuses_limit=1, statuses_period=period) as fake:
        fake.seed_status("posted by hand earlier")
        setup = Setup(tmp_path, state_url=state_url, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="m429"))),
                      mastodon=fake.base_url, mode="teaser", delivery={"max_run_seconds": 30})
        setup.write()
        fake.statuses_family.hit(fake.account_id, clock.wall())  # the quota is used up by that post
        t0 = clock.wall()
        report = run_inproc(setup, clock)
        assert report.exit_code == 0
        assert sum(clock.sleeps) < 30
        assert [r.status for r in fake.requests_to("POST", API_STATUSES)] == [429]
        (part,) = parts(setup.where, "mastodon")
        assert part["state"] == "deferred"
        said = _reset_said(fake.requests_to("POST", API_STATUSES)[-1].response_headers)
        assert t0 < said <= t0 + period
        assert part["not_before"] == pytest.approx(said, abs=1.5)
        clock.jump(period + 5)
        run_inproc(setup, clock)
    assert states(setup.where, "mastodon") == ["sent"]
    assert [s.text.split("\n")[0] for s in fake.statuses] == ["posted by hand earlier", "Dispatch m429 001"]


def test_forty_new_entries_go_out_a_few_per_run_spaced_and_in_order(
    tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True, mastodon=MASTODON_CANARY))
    spacing, per_run = 0.5, 3
    feed = tmp_path / "feed.xml"
    flood = entries(41, prefix="flood")
    with make_x_fake(clock=clock.wall) as xf, make_mastodon_fake(clock=clock.wall) as mf:
        setup = Setup(tmp_path, state_url=state_url, feed=str(write_feed(feed, flood[:1])), x_api=xf.base_url, mastodon=mf.base_url,
                      mode="teaser", delivery={"max_posts_per_run": per_run, "min_spacing_seconds": spacing})
        setup.write()
        run_inproc(setup, clock)  # first sight: one entry, posted (backfill = 1)
        assert len(xf.tweets) == len(mf.statuses) == 1
        write_feed(feed, flood)  # the feed suddenly lists 40 more
        runs = 0
        while any(s != "sent" for s in states(setup.where, "x") + states(setup.where, "mastodon")) or runs == 0:
            clock.jump(300)  # cron, every five minutes
            before = (len(xf.tweets), len(mf.statuses))
            run_inproc(setup, clock)
            runs += 1
            assert len(xf.tweets) - before[0] <= per_run
            assert len(mf.statuses) - before[1] <= per_run
            assert runs <= 20
    assert runs == 14  # ceil(40 / 3)
    want = [f"Dispatch flood {i:03d}" for i in range(1, 42)]
    assert [t.text.split("\n")[0] for t in sorted(xf.tweets, key=lambda t: int(t.id))] == want
    assert [s.text.split("\n")[0] for s in sorted(mf.statuses, key=lambda s: int(s.id))] == want
    for server_times in ([t.created_at for t in xf.tweets], [s.created_at for s in mf.statuses]):
        gaps = [b - a for a, b in pairwise(server_times)]
        assert min(gaps) >= spacing - 0.01  # spaced on the server's own (virtual) clock
    assert_dry_run_writes_nothing(setup)


def test_x_budget_stops_x_before_a_thread_that_would_pass_it(tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each X post costs 0.015, or 0.20 with a link. A 4-part thread with links in its first and last
    parts costs 0.43; with a budget of 0.5 the first thread goes out whole, the second is skipped
    whole (not half a thread), Mastodon gets both, and `status` shows the month's X spend."""
    from syndicate.commands.status import render_status
    from syndicate.config import load_config

    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True, mastodon=MASTODON_CANARY))
    items = [replace(e, body=thread_body(e.guid), link=f"https://example.org/news/{e.guid}")
             for e in entries(2, prefix="money")]
    with make_x_fake(clock=clock.wall) as xf, make_mastodon_fake(clock=clock.wall) as mf:
        setup = Setup(tmp_path, state_url=state_url, feed=str(write_feed(tmp_path / "feed.xml", items)), x_api=xf.base_url,
                      mastodon=mf.base_url, backfill=2, x_extra={"monthly_budget": 0.5})
        setup.write()
        report = run_inproc(setup, clock)
    x_states = states(setup.where, "x")
    assert x_states == ["sent"] * 4 + ["skipped"] * 4
    assert len(xf.tweets) == 4
    assert states(setup.where, "mastodon") == ["sent"] * 8 and len(mf.statuses) == 8
    skipped = [e for e in report.events if e.kind == "skipped" and e.platform == "x"]
    assert len(skipped) == 1 and "budget" in skipped[0].message
    assert all(p["last_error"].startswith("budget:") for p in parts(setup.where, "x")[4:])
    assert report.exit_code == 0
    assert "X spend this month: 0.430 of 0.500" in render_status(load_config(setup.config))
    assert "budget" in "\n".join(report.lines())  # `run` says so, without -v
    assert_dry_run_writes_nothing(setup)


def test_x_budget_reached_mid_queue_skips_only_x(tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True, mastodon=MASTODON_CANARY))
    with make_x_fake(clock=clock.wall) as xf, make_mastodon_fake(clock=clock.wall) as mf:
        items = [replace(e, link=f"https://example.org/news/{e.guid}") for e in entries(3, prefix="pay")]
        setup = Setup(tmp_path, state_url=state_url, feed=str(write_feed(tmp_path / "feed.xml", items)),
                      x_api=xf.base_url, mastodon=mf.base_url, mode="teaser", backfill=3,
                      x_extra={"monthly_budget": 0.45})
        setup.write()
        run_inproc(setup, clock)
    assert states(setup.where, "x") == ["sent", "sent", "skipped"]  # 0.20 + 0.20; a third would be 0.60
    assert len(xf.tweets) == 2 and len(mf.statuses) == 3
    assert planned_texts(setup.where, "x")
