"""A feed's schedule survives a crash exactly like its validators: SIGKILL `syndicate run` (the
installed console script, as cron starts it) after feed a answered and while feed b's answer is
held; nothing of that run was committed, so a is still due and the next run fetches it again.
That run commits a's schedule (Cache-Control: max-age=3600) with its validators: the run after it
does not fetch a at all, and still fetches b (due every run)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from core.feedgen import item, rss
from delivery_support import SYNDICATE, cli_env, run_cli
from watch.feedserver import FeedServer, Reply, Seen, conditional

from syndicate.store import Store

WAIT = 60.0  # seconds to wait for the run to reach the kill point (a bound for a stuck test, not a timing)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


def test_sigkill_before_the_commit_leaves_the_feed_due(tmp_path: Path, server: FeedServer) -> None:
    body = rss([item(1), item(2)])
    plain = conditional(lambda: body)

    def with_max_age(seen: Seen) -> Reply:
        reply = plain(seen)
        reply.headers["Cache-Control"] = "max-age=3600"
        return reply

    server.route("/a.xml", with_max_age)
    server.route("/b.xml", Reply(200, body, headers={"Content-Type": "application/rss+xml"}, delay=3600))
    config = tmp_path / "syndicate.toml"
    config.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "{server.url('/a.xml')}"
name = "a"
backfill = 0
[[feeds]]
url = "{server.url('/b.xml')}"
name = "b"
backfill = 0
[mastodon]
enabled = true
instance = "http://127.0.0.1:9"
""", encoding="utf-8")
    env = cli_env(mastodon="not-used-nothing-is-posted")
    proc = subprocess.Popen([str(SYNDICATE), "run", "--config", str(config)], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + WAIT
        while not (server.requests_to("/b.xml") and server.sent.get("/a.xml")):
            assert proc.poll() is None, f"the run ended before the kill point: {proc.communicate()}"
            assert time.monotonic() < deadline, "the run never reached the kill point"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    state = tmp_path / "state.db"
    if state.exists():  # the kill may come before the file was even created
        store = Store.open_readonly(state)
        assert store.feed_state(server.url("/a.xml")) is None  # neither validators nor schedule
        store.close()

    server.route("/b.xml", conditional(lambda: body))
    clean = run_cli(config, "run", env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert len(server.requests_to("/a.xml")) == 2  # still due after the kill: fetched again
    idle = run_cli(config, "run", "--json", env=env)
    assert idle.returncode == 0, idle.stdout + idle.stderr
    assert json.loads(idle.stdout)["not_due"] == 1  # the run's report says so
    assert len(server.requests_to("/a.xml")) == 2  # its max-age was committed with it: not due, no request
    assert len(server.requests_to("/b.xml")) == 3  # b is due every run
