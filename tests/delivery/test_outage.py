"""Outages and uncertain outcomes: a platform down for several runs, posts that landed but timed out.

In-process runs (`runner.run_once`) on virtual time: waits cost nothing, and
jumping ahead stands for cron starting the next run later. The servers share
that clock, so rate windows and Mastodon's one-hour idempotency memory move
with it. Every check reads what the server stored.
"""

from __future__ import annotations

from dataclasses import replace
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
    write_feed,
)
from fakes.mastodon_api import API_STATUSES, API_VERIFY_CREDENTIALS
from pds.harness import PdsHandle


def _three_threads(tmp: Path, marker: str, **kw: object) -> Setup:
    items = [replace(e, body=thread_body(f"{marker} {e.guid}")) for e in entries(3, prefix=marker)]
    setup = Setup(tmp, feed=str(write_feed(tmp / "feed.xml", items)), backfill=3, **kw)  # type: ignore[arg-type]
    setup.write()
    return setup


def _in_order(server_texts: list[str], planned: dict[str, list[str]]) -> bool:
    return server_texts == [t for texts in planned.values() for t in texts]


def test_mastodon_down_for_several_runs_then_everything_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        setup = _three_threads(tmp_path, "down", mastodon=fake.base_url)
        fake.fail_next(10_000, status=503)
        for _ in range(4):
            report = run_inproc(setup, clock)
            assert report.exit_code == 0
            assert report.lines() == []  # cron stays quiet: nothing was posted or failed
            assert any("stays queued" in line for line in report.lines(verbose=1))
            assert fake.statuses == []
            first = parts(setup.state, "mastodon")[0]
            assert first["state"] == "deferred" and first["not_before"] > clock.wall()
            assert set(states(setup.state, "mastodon")[1:]) == {"planned"}
            clock.jump(first["not_before"] - clock.wall() + 1)  # cron comes back after the deferral
        fake.faults.clear()
        report = run_inproc(setup, clock)
    assert report.exit_code == 0
    planned = planned_texts(setup.state, "mastodon")
    assert _in_order([s.text for s in sorted(fake.statuses, key=lambda s: int(s.id))], planned)
    assert len(fake.statuses) == sum(len(t) for t in planned.values()) == 12
    assert set(states(setup.state, "mastodon")) == {"sent"}
    assert_dry_run_writes_nothing(setup)


def test_x_down_for_several_runs_then_everything_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake(clock=clock.wall) as fake:
        setup = _three_threads(tmp_path, "xdown", x_api=fake.base_url)
        fake.faults.next(10_000, status=503, body={"title": "Service Unavailable", "status": 503})
        for _ in range(3):
            assert run_inproc(setup, clock).exit_code == 0
            assert fake.tweets == []
            first = parts(setup.state, "x")[0]
            assert first["state"] == "deferred"
            clock.jump(first["not_before"] - clock.wall() + 1)
        fake.faults.clear()
        report = run_inproc(setup, clock)
        assert report.exit_code == 0, [e.message for e in report.events]
    planned = planned_texts(setup.state, "x")
    assert set(states(setup.state, "x")) == {"sent"}, ([e.message for e in report.events], states(setup.state, "x"))
    assert _in_order([t.text for t in sorted(fake.tweets, key=lambda t: int(t.id))], planned)
    assert len(fake.tweets) == 12


def test_bluesky_down_for_several_runs_then_everything_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pds: PdsHandle
) -> None:
    import httpx

    clock = VirtualClock()
    account = pds.accounts["carol"]
    set_env(monkeypatch, cli_env(bluesky=account.password))
    setup = _three_threads(tmp_path, "bskydown", bluesky=(pds.url, account.handle))
    try:
        pds.inject("com.atproto.repo.createRecord", "status", status=503, error="ServiceUnavailable", times=10_000)
        for _ in range(3):
            assert run_inproc(setup, clock).exit_code == 0
            first = parts(setup.state, "bluesky")[0]
            assert first["state"] == "deferred"
            clock.jump(first["not_before"] - clock.wall() + 1)
    finally:
        pds.clear_faults()
    assert run_inproc(setup, clock).exit_code == 0
    page = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords",
                     params={"repo": account.did, "collection": "app.bsky.feed.post", "limit": "100",
                             "reverse": "true"}, timeout=10).json()
    texts = [r["value"]["text"] for r in page["records"] if "bskydown" in r["value"]["text"]]
    assert _in_order(texts, planned_texts(setup.state, "bluesky"))


def test_mastodon_post_that_landed_then_deferred_past_the_idempotency_hour_is_not_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The post lands but the answer never comes; looking it up fails too, so the part is deferred.
    The next run is more than an hour later (Mastodon has forgotten the Idempotency-Key): it must
    look the post up before sending, not post it again."""
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="idem"))),
                      mastodon=fake.base_url, mode="teaser", timeout=1.0)
        setup.write()
        fake.stall_after_store(5.0)  # stored, then the client times out
        fake.fail_next(50, status=503, method="GET", path=API_VERIFY_CREDENTIALS)  # and cannot look it up
        run_inproc(setup, clock)
        assert len(fake.statuses) == 1
        (part,) = parts(setup.state, "mastodon")
        assert part["state"] == "deferred"
        fake.faults.clear()
        clock.jump(2 * 3600)
        run_inproc(setup, clock)
        assert len(fake.statuses) == 1, [s.text for s in fake.statuses]
        (part,) = parts(setup.state, "mastodon")
        assert part["state"] == "sent" and part["remote_id"] == fake.statuses[0].id
        assert len(fake.requests_to("POST", API_STATUSES)) == 1


def test_x_lookup_failing_for_a_while_is_not_held_as_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """X: the post lands, the answer is lost, and the lookup answers 503 for the rest of the run.
    That is not unknowable: the part is deferred, looked up again next run, found, not resent."""
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="xfind"))),
                      x_api=fake.base_url, mode="teaser", timeout=1.0)
        setup.write()
        fake.faults.store_then_stall(5.0, method="POST", path="/2/tweets")
        fake.faults.next(50, status=503, method="GET")
        report = run_inproc(setup, clock)
        assert len(fake.tweets) == 1
        assert states(setup.state, "x") == ["deferred"], [e.message for e in report.events]
        fake.faults.clear()
        clock.jump(3600)
        run_inproc(setup, clock)
        assert len(fake.tweets) == 1
        assert states(setup.state, "x") == ["sent"]
        assert parts(setup.state, "x")[0]["remote_id"] == fake.tweets[0].id


def test_an_unknown_part_holds_the_rest_of_its_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part whose outcome cannot be told is held; the thread's later parts wait behind it (they
    are not skipped), and `retry` then finishes the thread without a duplicate."""
    from syndicate.errors import Unknown

    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="unk",
                      body=thread_body("unk")))), mastodon=fake.base_url)
        setup.write()
        from syndicate.config import load_config
        from syndicate.delivery.publishers import open_publisher
        from syndicate.store import Store

        class Flaky:
            """The real publisher, except that part 2's first attempt ends in 'cannot tell'."""

            name = "mastodon"

            def __init__(self) -> None:
                store = Store.open(setup.state)
                self.real = open_publisher("mastodon", load_config(setup.config), store)
                self.tripped = False

            def publish(self, post, *, identity, reply_to=None):  # type: ignore[no-untyped-def]
                receipt = self.real.publish(post, identity=identity, reply_to=reply_to)
                if identity.part == 2 and not self.tripped:
                    self.tripped = True
                    raise Unknown("mastodon", "injected: the answer was lost and nothing can tell")
                return receipt

            def find(self, post, *, identity, reply_to=None):  # type: ignore[no-untyped-def]
                return self.real.find(post, identity=identity, reply_to=reply_to)

            @property
            def last_rate(self):  # type: ignore[no-untyped-def]
                return self.real.last_rate  # part of the Publisher protocol (issue 10): the engine paces by it

        flaky = Flaky()
        run_inproc(setup, clock, publishers={"mastodon": flaky})
        assert states(setup.state, "mastodon") == ["sent", "unknown", "planned", "planned"]
        clock.jump(600)
        run_inproc(setup, clock, publishers={"mastodon": flaky})  # held: nothing moves, nothing skipped
        assert states(setup.state, "mastodon") == ["sent", "unknown", "planned", "planned"]
        assert len(fake.statuses) == 2

        from syndicate.commands.status import render_status, retry_dispatch

        settings = load_config(setup.config)
        assert "2/4 unknown" in render_status(settings)
        (dispatch_id,) = planned_texts(setup.state, "mastodon")
        retry_dispatch(settings, dispatch_id)
        run_inproc(setup, clock, publishers={"mastodon": flaky})
    assert states(setup.state, "mastodon") == ["sent"] * 4
    ordered = sorted(fake.statuses, key=lambda s: int(s.id))
    assert [s.text for s in ordered] == planned_texts(setup.state, "mastodon")[dispatch_id]
    for prev, cur in pairwise(ordered):
        assert cur.in_reply_to_id == prev.id
    assert_dry_run_writes_nothing(setup)


def test_x_duplicate_of_an_older_post_fails_the_part_instead_of_calling_it_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """X refuses part 2 as duplicate content: the same words are an older, unrelated post. Nothing of
    ours landed, so the part failed (and says so), rather than being recorded as sent while missing."""
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake(clock=clock.wall) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="dup",
                      body=thread_body("dup")))), x_api=fake.base_url)
        setup.write()
        from syndicate.config import load_config
        from syndicate.delivery.intake import prepare
        from syndicate.store import Store

        store = Store.open(setup.state)
        prepare(load_config(setup.config), store, fetch_cards=False)  # accept only, to learn part 2's text
        store.close()
        (texts,) = planned_texts(setup.state, "x").values()
        older = fake.seed(texts[1])
        report = run_inproc(setup, clock)
    assert states(setup.state, "x") == ["sent", "failed", "skipped", "skipped"]
    assert report.exit_code == 1
    assert any(e.kind == "failed" and "duplicate" in e.message for e in report.events)
    assert [t.id for t in fake.tweets if t.text == texts[1]] == [older.id]
    assert parts(setup.state, "x")[1]["remote_id"] is None
