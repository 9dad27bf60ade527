"""`syndicate retract`: every post of a dispatch deleted, exactly once, on each network; never posted again.

Each test posts a 4-part thread with the real `syndicate run` (the installed
console script, as cron would), then retracts it with the real `syndicate
retract`, and reads back what the *servers* hold: the X and Mastodon fakes,
the reference Bluesky PDS. A post the retraction must not touch (another
dispatch of the same feed) is checked to survive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from delivery_support import (
    MASTODON_CANARY,
    Entry,
    Setup,
    cli_env,
    make_mastodon_fake,
    make_x_fake,
    parts,
    rows,
    run_cli,
    thread_body,
    window_clear_of_edges,
    write_feed,
)
from pds.harness import PdsHandle

PUBLISHED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# Every test here runs on both state backends: the SQLite file and PostgreSQL.
pytestmark = pytest.mark.usefixtures("both_backends")


@dataclass
class Net:
    """One network for one test: its config, the env for `syndicate`, and what its server holds."""

    setup: Setup
    env: dict[str, str]
    platform: str
    texts: Callable[[], list[str]]  # the texts of the account's posts that exist now
    deletes: Callable[[], int]  # delete requests the server has handled so far


def _setup(tmp: Path, marker: str, **kw: Any) -> Setup:
    story = Entry(marker, f"Story {marker}", thread_body(marker), PUBLISHED)
    other = Entry(f"{marker}-other", f"Other {marker}", f"A short note that stays up ({marker}-other).",
                  PUBLISHED + timedelta(minutes=5))
    setup = Setup(tmp / marker, feed="", backfill=2, **kw)
    setup.dir.mkdir(parents=True)
    setup.feed = str(write_feed(setup.dir / "feed.xml", [story, other]))
    setup.write()
    return setup


@contextmanager
def x_net(tmp: Path, marker: str, **fake_kw: Any) -> Iterator[tuple[Net, Any]]:
    with make_x_fake(**fake_kw) as fake:
        setup = _setup(tmp, marker, x_api=fake.base_url)
        yield Net(setup, cli_env(x=True), "x", lambda: [t.text for t in fake.tweets],
                  lambda: sum(1 for r in fake.requests if r.method == "DELETE")), fake


@contextmanager
def mastodon_net(tmp: Path, marker: str) -> Iterator[tuple[Net, Any]]:
    with make_mastodon_fake() as fake:
        setup = _setup(tmp, marker, mastodon=fake.base_url)
        yield Net(setup, cli_env(mastodon=MASTODON_CANARY), "mastodon", lambda: [s.text for s in fake.statuses],
                  lambda: sum(1 for r in fake.requests if r.method == "DELETE")), fake


@contextmanager
def bluesky_net(tmp: Path, marker: str, pds: PdsHandle) -> Iterator[tuple[Net, Any]]:
    import delivery_support
    from test_crash import bluesky_posts

    account = pds.accounts[delivery_support.bluesky_account_name()]
    setup = _setup(tmp, marker, bluesky=(pds.url, account.handle))
    yield Net(setup, cli_env(bluesky=account.password), "bluesky",
              lambda: [p["text"] for p in bluesky_posts(pds, account.did, marker)],
              lambda: pds.call_count("com.atproto.repo.deleteRecord")), pds


def _net(name: str, tmp: Path, marker: str, pds: PdsHandle | None) -> Any:
    if name == "x":
        return x_net(tmp, marker)
    if name == "mastodon":
        return mastodon_net(tmp, marker)
    assert pds is not None
    return bluesky_net(tmp, marker, pds)


def story(net: Net, marker: str) -> list[str]:
    return [t for t in net.texts() if marker in t and f"{marker}-other" not in t]


def others(net: Net, marker: str) -> list[str]:
    return [t for t in net.texts() if f"({marker}-other)" in t]


def delete_rows(state: Path) -> list[dict[str, Any]]:
    return [p for p in parts(state) if p["action"] == "delete"]


def retracted_at(state: Path, dispatch_id: str) -> float | None:
    (row,) = rows(state, "SELECT retracted_at FROM dispatches WHERE id = ?", (dispatch_id,))
    return row["retracted_at"]  # type: ignore[no-any-return]


def post_thread(net: Net, marker: str) -> None:
    result = run_cli(net.setup.config, "run", env=net.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(story(net, marker)) == 4, f"the thread was not posted: {net.texts()}"
    assert len(others(net, marker)) == 1


@pytest.fixture
def maybe_pds(request: pytest.FixtureRequest) -> PdsHandle | None:
    # The PDS starts only for the Bluesky cases.
    return request.getfixturevalue("pds") if request.node.callspec.params.get("network") == "bluesky" else None


@pytest.mark.parametrize("network", ["x", "mastodon", "bluesky"])
def test_retract_deletes_every_part_once_and_the_dispatch_never_returns(
        tmp_path: Path, network: str, maybe_pds: PdsHandle | None) -> None:
    marker = f"r-{network}"
    with _net(network, tmp_path, marker, maybe_pds) as (net, _):
        post_thread(net, marker)
        deletes_before = net.deletes()

        # No terminal, no --yes: refused, nothing written, nothing deleted.
        refused = run_cli(net.setup.config, "retract", marker, env=net.env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "--yes" in refused.stderr and "not a terminal" in refused.stderr
        assert delete_rows(net.setup.state) == [] and retracted_at(net.setup.state, marker) is None
        assert len(story(net, marker)) == 4 and net.deletes() == deletes_before

        done = run_cli(net.setup.config, "retract", f"http://127.0.0.1:9/dispatch/{marker}", "--yes", env=net.env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert story(net, marker) == [], f"posts left after the retraction: {story(net, marker)}"
        assert len(others(net, marker)) == 1, "another dispatch's post was deleted"
        assert net.deletes() - deletes_before == 4, "not exactly one delete per part"
        assert "4 of 4 post(s) deleted" in done.stdout
        rows = delete_rows(net.setup.state)
        assert sorted(r["part"] for r in rows) == [1, 2, 3, 4] and {r["state"] for r in rows} == {"sent"}
        assert retracted_at(net.setup.state, marker) is not None

        # Reruns change nothing: the command again, then runs with the feed still listing the story.
        again = run_cli(net.setup.config, "retract", marker, "--yes", env=net.env)
        assert again.returncode == 0, again.stdout + again.stderr
        for _ in range(2):
            rerun = run_cli(net.setup.config, "run", env=net.env)
            assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert net.deletes() - deletes_before == 4
        assert story(net, marker) == [] and len(others(net, marker)) == 1
        assert len(delete_rows(net.setup.state)) == 4

        status = run_cli(net.setup.config, "status", env=net.env)
        assert "[RETRACTED]" in status.stdout and "deleted 4 of 4, 0 pending, 0 failed" in status.stdout

        if network == "x":  # billed like a post: 4 deletes at X_PRICE_DELETE
            from syndicate.delivery.budget import X_PRICE_DELETE

            assert sum(r["cost"] for r in delete_rows(net.setup.state)) == pytest.approx(4 * X_PRICE_DELETE)


def test_unknown_id_or_url_exits_2_naming_it(tmp_path: Path) -> None:
    with mastodon_net(tmp_path, "unk") as (net, _):
        post_thread(net, "unk")
        result = run_cli(net.setup.config, "retract", "https://example.com/no-such-story", "--yes", env=net.env)
        assert result.returncode == 2
        assert "'https://example.com/no-such-story'" in result.stderr and "Traceback" not in result.stderr
        assert len(story(net, "unk")) == 4


def test_unsent_parts_are_cancelled_and_never_posted(tmp_path: Path) -> None:
    """Part 1 was refused (so its thread waits for `retry`), then the story is retracted:
    nothing of it is ever posted, even after `retry` and with the feed still listing it."""
    with mastodon_net(tmp_path, "queued") as (net, fake):
        fake.fail_next(1, status=422, error="Validation failed: refused for this test", method="POST",
                       path="/api/v1/statuses")
        first = run_cli(net.setup.config, "run", env=net.env)
        assert first.returncode == 1, first.stdout + first.stderr
        assert story(net, "queued") == [] and len(others(net, "queued")) == 1
        result = run_cli(net.setup.config, "retract", "queued", "--yes", env=net.env)
        assert result.returncode == 0, result.stdout + result.stderr
        retry = run_cli(net.setup.config, "retry", "queued", env=net.env)
        assert retry.returncode == 0 and "Nothing to retry" in retry.stdout, retry.stdout + retry.stderr
        for _ in range(2):
            assert run_cli(net.setup.config, "run", env=net.env).returncode == 0
        assert story(net, "queued") == [], "a retracted dispatch was posted"
        assert len(others(net, "queued")) == 1
        mine = [p for p in parts(net.setup.state, "mastodon") if p["dispatch_id"] == "queued"]
        # Part 1 was attempted: it may have landed, so a delete row looks it up, finds nothing, and
        # sends no DELETE; the rest were never tried: cancelled.
        assert {p["state"] for p in mine if p["action"] == "post"} == {"skipped"}
        assert [(p["part"], p["state"], p["remote_id"]) for p in mine if p["action"] == "delete"] == [(1, "sent", None)]
        assert net.deletes() == 0


def test_a_post_already_gone_counts_as_deleted(tmp_path: Path) -> None:
    """Someone deleted part 2 by hand: Mastodon answers 404, which is done, not a failure."""
    with mastodon_net(tmp_path, "gone") as (net, fake):
        post_thread(net, "gone")
        part2 = next(s for s in fake.statuses if s.text in story(net, "gone") and s.in_reply_to_id is not None)
        fake.statuses.remove(part2)
        result = run_cli(net.setup.config, "retract", "gone", "--yes", env=net.env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert story(net, "gone") == []
        assert {r["state"] for r in delete_rows(net.setup.state)} == {"sent"}


@pytest.mark.parametrize("answer", ["404", "deleted-false"])
def test_x_post_already_gone_counts_as_deleted(tmp_path: Path, answer: str) -> None:
    """X does not document its answer for a post that is gone: a 404 is done; `deleted: false`
    is looked up (GET /2/tweets/:id, resource-not-found) before anything is sent again."""
    with x_net(tmp_path, f"xg-{answer}") as (net, fake):
        fake.delete_missing = answer
        post_thread(net, f"xg-{answer}")
        root = next(t for t in fake.tweets if t.text in story(net, f"xg-{answer}") and t.reply_to is None)
        fake.tweets.remove(root)
        result = run_cli(net.setup.config, "retract", f"xg-{answer}", "--yes", env=net.env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert story(net, f"xg-{answer}") == []
        assert {r["state"] for r in delete_rows(net.setup.state)} == {"sent"}
        lookups = [r for r in fake.requests if r.method == "GET" and r.path == f"/2/tweets/{root.id}"]
        assert len(lookups) == (1 if answer == "deleted-false" else 0)


def test_mastodon_delete_throttle_defers_the_rest_to_a_later_run(tmp_path: Path, monkeypatch: Any) -> None:
    """Mastodon allows 30 deletes per 30 min (here 2): the third answers 429; the rest of the
    retraction waits for the reset, deferred (not failed), and the next run after it finishes."""
    from delivery_support import VirtualClock, set_env

    from syndicate.commands.retract import find_target, retract
    from syndicate.config import load_config

    clock = VirtualClock()
    # A reset minutes away, never within the run's budget (which would be waited out instead).
    period = window_clear_of_edges(clock.wall(), 1800, end=600)
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(delete_limit=2, delete_period=period, clock=clock.wall) as fake:
        setup = _setup(tmp_path, "throttle", mastodon=fake.base_url, delivery={"max_run_seconds": 60})
        net = Net(setup, {}, "mastodon", lambda: [s.text for s in fake.statuses],
                  lambda: sum(1 for r in fake.requests if r.method == "DELETE"))
        settings = load_config(setup.config)
        from syndicate.commands.run import run_once

        run_once(settings, clock=clock.deliver_clock())
        assert len(story(net, "throttle")) == 4
        report = retract(settings, find_target(settings, "throttle"), clock=clock.deliver_clock())
        assert report.exit_code == 0, report.lines(verbose=1)
        assert len(story(net, "throttle")) == 2
        assert sorted(r["state"] for r in delete_rows(setup.state)) == ["deferred", "planned", "sent", "sent"]
        assert any("2 of 4 post(s) deleted, 2 still queued" in e.message for e in report.events)
        # Before the reset no delete is sent, but posts go on: the delete throttle is not theirs.
        late = Entry("late-one", "Late story", "A later note (late-one).", PUBLISHED + timedelta(hours=1))
        write_feed(Path(setup.feed), [Entry("throttle", "Story throttle", thread_body("throttle"), PUBLISHED), late])
        run_once(settings, clock=clock.deliver_clock())
        assert net.deletes() == 3
        assert any("(late-one)" in t for t in net.texts()), "a post waited behind the deferred deletes"
        clock.jump(period)
        run_once(settings, clock=clock.deliver_clock())
        assert story(net, "throttle") == [] and len(others(net, "throttle")) == 1
        assert [r["state"] for r in delete_rows(setup.state)] == ["sent"] * 4
        assert net.deletes() == 5  # 4 deleted, 1 refused with 429: none sent twice


def test_x_deletes_wait_for_the_monthly_budget_and_are_never_dropped(tmp_path: Path) -> None:
    """X bills a delete: over `monthly_budget` the rest of the retraction stays queued (status says
    so) until the budget allows it; nothing is skipped."""
    with make_x_fake() as fake:
        setup = _setup(tmp_path, "budget", x_api=fake.base_url, x_extra={"monthly_budget": 0.085})
        net = Net(setup, cli_env(x=True), "x", lambda: [t.text for t in fake.tweets],
                  lambda: sum(1 for r in fake.requests if r.method == "DELETE"))
        post_thread(net, "budget")  # 5 posts at 0.015 = 0.075
        result = run_cli(setup.config, "retract", "budget", "--yes", env=net.env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert net.deletes() == 2 and len(story(net, "budget")) == 2  # 0.075 + 2 × 0.005 = 0.085
        assert "2 of 4 post(s) deleted, 2 still queued" in result.stdout
        assert sorted(r["state"] for r in delete_rows(setup.state)) == ["planned", "planned", "sent", "sent"]
        status = run_cli(setup.config, "status", env=net.env)
        assert "deleted 2 of 4, 2 pending, 0 failed" in status.stdout
        preview = run_cli(setup.config, "dry-run", env=net.env)
        assert "Pending retraction: 'Story budget'" in preview.stdout and "deletes 2 on X" in preview.stdout
        import json

        as_json = json.loads(run_cli(setup.config, "dry-run", "--format", "json", env=net.env).stdout)
        assert as_json["retractions"] == [{"id": "budget", "title": "Story budget",
                                           "url": "http://127.0.0.1:9/dispatch/budget", "deletes": {"x": [1, 2]}}]
        assert all(d["id"] != "budget" for d in as_json["dispatches"])
        setup.x_extra["monthly_budget"] = 1.0
        setup.write()
        assert run_cli(setup.config, "run", env=net.env).returncode == 0
        assert story(net, "budget") == [] and net.deletes() == 4


def _on_a_terminal(config: Path, env: dict[str, str], *args: str, answer: bytes) -> tuple[int, str]:
    """Run `syndicate ARGS` with a pseudo-terminal as stdin and stdout, type `answer`, return (exit, output)."""
    import os
    import pty
    import select
    import subprocess

    from delivery_support import SYNDICATE

    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(SYNDICATE), *args, "--config", str(config)], env=env, stdin=follower,
                            stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    out = b""
    try:
        while b"[y/N]" not in out:  # the question comes before anything is written
            ready, _, _ = select.select([leader], [], [], 30)
            assert ready, f"no question asked: {out!r}"
            out += os.read(leader, 4096)
        os.write(leader, answer + b"\n")
        code = proc.wait(timeout=60)
        while True:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if not ready:
                break
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    return code, out.decode(errors="replace")


def test_on_a_terminal_it_asks_first(tmp_path: Path) -> None:
    with mastodon_net(tmp_path, "ask") as (net, _):
        post_thread(net, "ask")
        code, out = _on_a_terminal(net.setup.config, net.env, "retract", "ask", answer=b"n")
        assert code == 1 and "not retracted; nothing changed" in out, out
        assert "delete 4 on Mastodon" in out  # the question says what would go
        assert len(story(net, "ask")) == 4 and delete_rows(net.setup.state) == []
        code, out = _on_a_terminal(net.setup.config, net.env, "retract", "ask", answer=b"y")
        assert code == 0, out
        assert story(net, "ask") == [] and net.deletes() == 4


def test_bluesky_record_already_gone_counts_as_deleted(tmp_path: Path, pds: PdsHandle) -> None:
    """A later part deleted by hand first: deleteRecord of a missing record succeeds (the lexicon's "or
    ensure it doesn't exist"), so the retraction completes with every row sent."""
    import httpx
    from test_crash import bluesky_posts

    with bluesky_net(tmp_path, "bsky-gone", pds) as (net, _):
        post_thread(net, "bsky-gone")
        from delivery_support import bluesky_account_name

        account = pds.accounts[bluesky_account_name()]
        part3 = next(p for p in bluesky_posts(pds, account.did, "bsky-gone")
                     if p["text"] in story(net, "bsky-gone") and p["root"] and p["parent"]
                     and p["parent"]["uri"] != p["root"]["uri"])
        session = httpx.post(f"{pds.url}/xrpc/com.atproto.server.createSession",
                             json={"identifier": account.handle, "password": account.password}, timeout=10).json()
        httpx.post(f"{pds.url}/xrpc/com.atproto.repo.deleteRecord", timeout=10,
                   headers={"Authorization": f"Bearer {session['accessJwt']}"},
                   json={"repo": account.did, "collection": "app.bsky.feed.post",
                         "rkey": part3["id"].rsplit("/", 1)[1]}).raise_for_status()
        assert len(story(net, "bsky-gone")) == 3
        result = run_cli(net.setup.config, "retract", "bsky-gone", "--yes", env=net.env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert story(net, "bsky-gone") == []
        assert [r["state"] for r in delete_rows(net.setup.state)] == ["sent"] * 4
