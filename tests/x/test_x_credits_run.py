"""X out of credits (402) or over its monthly spend cap (403), seen by whole `syndicate run`s.

X stops for the run, everything stays queued (nothing failed, no thread
skipped, nothing held as unknown), one line says so and the run exits 1;
`status` shows it on the waiting part; the run after a top-up posts every part
once. Same when the refusal comes on the lookup before a resend. In-process
runs on virtual time, against the fake X (which refuses reads and writes alike
while unpaid).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from delivery.delivery_support import (
    Setup,
    VirtualClock,
    cli_env,
    entries,
    make_x_fake,
    parts,
    planned_texts,
    run_inproc,
    set_env,
    states,
    thread_body,
    write_feed,
)

from syndicate.commands.status import render_status
from syndicate.config import load_config


def _unpaid(fake: object, cause: str, value: bool) -> None:
    setattr(fake, "credits_depleted" if cause == "credits" else "spend_cap_reached", value)


@pytest.mark.parametrize("cause", ["credits", "spend_cap"])
def test_unpaid_x_keeps_everything_queued_and_posts_after_the_top_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cause: str
) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake(clock=clock.wall) as fake:
        items = [replace(e, body=thread_body(f"paid {e.guid}")) for e in entries(2, prefix="paid")]
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", items)), x_api=fake.base_url, backfill=2)
        setup.write()
        _unpaid(fake, cause, True)
        for _ in range(2):  # cron keeps coming back before anyone tops up
            report = run_inproc(setup, clock)
            assert report.exit_code == 1
            lines = report.lines()
            assert len(lines) == 1, lines
            assert lines[0].startswith("syndicate: X: stopped for this run, out of credits or over the spend cap")
            assert "everything stays queued" in lines[0]
            assert set(states(setup.state, "x")) == {"planned"}  # nothing failed, skipped or held
            clock.jump(600)
        assert fake.tweets == []
        status = render_status(load_config(setup.config))
        assert "next run posts" in status and ("402" in status if cause == "credits" else "403" in status)
        _unpaid(fake, cause, False)  # topped up
        report = run_inproc(setup, clock)
        assert report.exit_code == 0, [e.message for e in report.events]
    assert set(states(setup.state, "x")) == {"sent"}
    planned = planned_texts(setup.state, "x")
    assert [t.text for t in sorted(fake.tweets, key=lambda t: int(t.id))] == [t for ts in planned.values() for t in ts]


@pytest.mark.parametrize("cause", ["credits", "spend_cap"])
def test_unpaid_lookup_before_a_resend_holds_nothing_and_resends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cause: str
) -> None:
    """The post lands but its answer is lost; the next run must look before resending, and X
    refuses the lookup for money. The part waits (not `unknown`, not failed); after the top-up
    the lookup finds the post and nothing is sent twice."""
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="look"))),
                      x_api=fake.base_url, mode="teaser", timeout=1.0)
        setup.write()
        fake.faults.store_then_stall(5.0, method="POST", path="/2/tweets")
        fake.faults.next(50, status=503, method="GET")  # the lookup in the same run fails too: deferred
        run_inproc(setup, clock)
        assert len(fake.tweets) == 1 and states(setup.state, "x") == ["deferred"]
        fake.faults.clear()
        clock.jump(3600)
        _unpaid(fake, cause, True)
        report = run_inproc(setup, clock)
        assert report.exit_code == 1
        assert any("out of credits or over the spend cap" in line for line in report.lines())
        assert states(setup.state, "x") == ["deferred"]  # as it was: not unknown, not failed
        assert fake.calls("GET", r"/2/users/.*")  # it did try to look
        _unpaid(fake, cause, False)
        clock.jump(3600)
        assert run_inproc(setup, clock).exit_code == 0
    assert len(fake.tweets) == 1
    assert states(setup.state, "x") == ["sent"]
    assert parts(setup.state, "x")[0]["remote_id"] == fake.tweets[0].id
