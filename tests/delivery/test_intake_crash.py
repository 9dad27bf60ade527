"""Crash injection at the intake: SIGKILL `syndicate run` between the feed fetch and the outbox commit.

Two feeds (a, b) on one local server that answers conditional GETs as real
servers do (ETag, then 304 while the feed is unchanged); each has one new
dispatch whose Bluesky link card comes from its article page on the same
server. A run (the installed console script, as cron starts it) is killed

* while a's card request is held open by the server (nothing answered yet),
* while a's card page is still arriving from a slow server (body half sent),
* between the two feeds: a's intake committed, b's card still pending.

Then a clean run, and a third run that must find nothing new. What the PDS
stored must be each dispatch exactly once, and the feed whose intake was
committed must have been answered with a 304 (so its dispatch came from the
outbox, not from a refetch).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from core.feedgen import item, rss
from delivery_support import SYNDICATE, cli_env, run_cli
from pds.harness import PdsHandle
from test_crash import bluesky_posts
from watch.feedserver import FeedServer, Reply, conditional

from syndicate.store import Store

WAIT = 60.0  # seconds to wait for the run to reach the kill point (a bound for a stuck test, not a timing)


def article(marker: str) -> bytes:
    return (f'<html><head><meta property="og:title" content="Card of {marker}">'
            f'<meta property="og:description" content="What {marker} is about."></head><body>x</body></html>'
            ).encode()


class Site:
    """Feeds /a.xml and /b.xml, one entry each, with article pages /art-a and /art-b."""

    def __init__(self, server: FeedServer, marker: str) -> None:
        self.server, self.marker = server, marker
        for feed in ("a", "b"):
            body = rss([item(1, guid=f"{marker}-{feed}", link=server.url(f"/art-{feed}"),
                             title=f"Dispatch {marker}-{feed} from the river")])
            server.route(f"/{feed}.xml", conditional(lambda body=body: body))
            self.serve_article(feed)

    def serve_article(self, feed: str) -> None:
        self.server.route(f"/art-{feed}", Reply(200, article(f"{self.marker}-{feed}"),
                                                headers={"Content-Type": "text/html"}))

    def hold_article(self, feed: str) -> None:
        """The card request is accepted and never answered (until the server stops)."""
        self.server.route(f"/art-{feed}", Reply(200, article(feed), headers={"Content-Type": "text/html"},
                                                delay=3600))

    def drip_article(self, feed: str) -> None:
        """A slow server: the page's head arrives a few bytes at a time."""
        page = article(f"{self.marker}-{feed}")
        self.server.route(f"/art-{feed}", Reply(200, headers={"Content-Type": "text/html"}, chunk_delay=5.0,
                                                chunks=lambda: (page[i:i + 16] for i in range(0, len(page), 16))))


def write_config(directory: Path, server: FeedServer, pds: PdsHandle) -> Path:
    directory.mkdir(parents=True)
    config = directory / "syndicate.toml"
    config.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "{server.url('/a.xml')}"
name = "a"
backfill = 1
[[feeds]]
url = "{server.url('/b.xml')}"
name = "b"
backfill = 1
[bluesky]
enabled = true
service = "{pds.url}"
handle = "{pds.accounts['alice'].handle}"
[compose]
mode = "teaser"
cards = true
hashtags = false
""", encoding="utf-8")
    return config


def wait_until(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"the run never reached the kill point: {what}")
        time.sleep(0.02)


def committed_dispatches(state: Path) -> list[str]:
    if not state.exists():
        return []
    try:
        conn = sqlite3.connect(f"{state.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return [r[0] for r in conn.execute("SELECT id FROM dispatches")]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or its schema still being written
        return []


@pytest.fixture
def site_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def crash_case(tmp: Path, pds: PdsHandle, server: FeedServer, marker: str, arm: Callable[[Site], None],
               kill_when: Callable[[Site, Path], bool]) -> list[str]:
    """Start a run, kill it when `kill_when()` holds, then run clean twice. Returns the feeds (a, b)
    answered 304 in the clean run."""
    site = Site(server, marker)
    arm(site)
    config = write_config(tmp / marker, server, pds)
    env = cli_env(bluesky=pds.accounts["alice"].password)
    proc = subprocess.Popen([str(SYNDICATE), "run", "--config", str(config)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        wait_until(marker, lambda: kill_when(site, config.parent / "state.db") or proc.poll() is not None)
        assert proc.poll() is None, f"the run ended before the kill point: {proc.communicate()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert bluesky_posts(pds, pds.accounts["alice"].did, marker) == []  # the kill came before any post
    site.serve_article("a")
    site.serve_article("b")
    feed_requests = len(server.seen)
    clean = run_cli(config, "run", env=env, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    answered_304 = [s.path[1] for s in server.seen[feed_requests:]
                    if s.path in ("/a.xml", "/b.xml") and s.headers.get("if-none-match")]
    idle = run_cli(config, "run", env=env, timeout=120)  # nothing new: both feeds 304, nothing posted
    assert idle.returncode == 0 and idle.stdout == "", idle.stdout + idle.stderr
    posts = bluesky_posts(pds, pds.accounts["alice"].did, marker)
    for feed in ("a", "b"):
        mine = [p for p in posts if f"{marker}-{feed}" in p["text"]]
        assert len(mine) == 1, f"{marker}: dispatch {feed} was posted {len(mine)} times: {posts}"
    assert len(posts) == 2
    store = Store.open_readonly(config.parent / "state.db")
    states = [r[0] for r in store.conn.execute("SELECT state FROM parts")]
    store.close()
    assert states == ["sent", "sent"]
    return answered_304


def test_sigkill_while_a_card_request_is_held_open(tmp_path: Path, pds: PdsHandle, site_server: FeedServer) -> None:
    answered_304 = crash_case(
        tmp_path, pds, site_server, "held",
        arm=lambda site: site.hold_article("a"),
        kill_when=lambda site, state: bool(site.server.requests_to("/art-a")),
    )
    assert answered_304 == []  # nothing was committed: both feeds were read in full again


def test_sigkill_while_a_slow_card_page_arrives(tmp_path: Path, pds: PdsHandle, site_server: FeedServer) -> None:
    answered_304 = crash_case(
        tmp_path, pds, site_server, "slow",
        arm=lambda site: site.drip_article("a"),
        kill_when=lambda site, state: site.server.sent.get("/art-a", 0) > 0,
    )
    assert answered_304 == []


def test_sigkill_between_two_feeds_of_one_pass(tmp_path: Path, pds: PdsHandle, site_server: FeedServer) -> None:
    answered_304 = crash_case(
        tmp_path, pds, site_server, "between",
        arm=lambda site: site.hold_article("b"),
        kill_when=lambda site, state: (bool(site.server.requests_to("/art-b"))
                                       and committed_dispatches(state) == ["between-a"]),
    )
    assert answered_304 == ["a"]  # a's intake was committed (validators with it): its dispatch came from the outbox
