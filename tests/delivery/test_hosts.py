"""Several hosts, one PostgreSQL state: `syndicate run` processes started side by side split the
work through the database and never post anything twice.

Each "host" is a separate `syndicate` process with its own config file naming the same
`[state] url`; the networks are the fakes and the reference PDS on loopback, read back
server-side. A thread is intact when the server holds exactly the planned parts, each once,
each replying to the one before.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from delivery_support import (
    MASTODON_CANARY,
    Entry,
    Setup,
    cli_env,
    execute,
    make_mastodon_fake,
    parts,
    planned_texts,
    release,
    run_cli,
    start_gated,
    thread_body,
    write_feed,
)
from fakes.killproxy import KillProxy
from fakes.mastodon_api import FakeMastodon
from fakes.x_api import XApiFake
from pds.harness import PdsHandle
from test_crash import bluesky_posts
from watch.feedserver import FeedServer, Reply

from syndicate.commands.run import run_once
from syndicate.config import load_config

PUBLISHED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
POST_PATH = "/api/v1/statuses"


def _hosts(base: Setup, n: int) -> list[Setup]:
    """n hosts' configs: the same settings and state, a config file each."""
    out = []
    for i in range(n):
        host = Setup(**{**base.__dict__, "name": f"host{i}.toml"})
        host.write()
        out.append(host)
    return out


def _run_together(hosts: list[Setup], env: dict[str, str]) -> list[tuple[int, str, str]]:
    """`syndicate run` on each host at once (each named by SYNDICATE_HOST, as different machines are by
    their hostnames); (exit status, stdout, stderr) of each."""
    procs = [start_gated(h.config, "run", env={**env, "SYNDICATE_HOST": f"host{i}"}) for i, h in enumerate(hosts)]
    for p in procs:
        release(p)
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        out.append((p.returncode, stdout.decode(), stderr.decode()))
    return out


def _queue(setup: Setup) -> None:
    """Accept the feed's dispatches into the shared outbox without delivering (as a run in quiet hours would)."""
    setup.write()
    run_once(load_config(setup.config), deliver=False)


def _chain(posts: list[dict[str, Any]]) -> None:
    assert posts and posts[0]["parent"] is None
    for prev, cur in pairwise(posts):
        assert cur["parent"] == prev["id"], f"{cur['text'][:40]!r} does not reply to the part before it"


def _x_posts(fake: XApiFake, marker: str) -> list[dict[str, Any]]:
    mine = sorted((t for t in fake.tweets if marker in t.text), key=lambda t: int(t.id))
    return [{"id": t.id, "text": t.text, "parent": t.reply_to} for t in mine]


def _mastodon_posts(fake: FakeMastodon, marker: str) -> list[dict[str, Any]]:
    mine = sorted((s for s in fake.statuses if marker in s.text), key=lambda s: int(s.id))
    return [{"id": s.id, "text": s.text, "parent": s.in_reply_to_id} for s in mine]


def test_three_hosts_started_together_post_a_thread_once(tmp_path: Path, pg_url: str, x_fake: XApiFake,
                                                         mastodon_fake: FakeMastodon, pds: PdsHandle) -> None:
    marker = "HOSTS3"
    account = pds.accounts["bob"]
    base = Setup(tmp_path, feed="", x_api=x_fake.base_url, mastodon=mastodon_fake.base_url,
                 bluesky=(pds.url, account.handle), state_url=pg_url)
    base.feed = str(write_feed(tmp_path / "feed.xml", [Entry(marker, f"Three hosts {marker}", thread_body(marker),
                                                             PUBLISHED)]))
    _queue(base)
    # Slow posts, so that the three runs overlap while they deliver.
    x_fake.faults.delay(0.3, n=4, method="POST", path="/2/tweets")
    mastodon_fake.delay_next(0.3, n=4, method="POST", path=POST_PATH)
    env = cli_env(x=True, mastodon=MASTODON_CANARY, bluesky=account.password)
    results = _run_together(_hosts(base, 3), env)
    assert [code for code, _, _ in results] == [0, 0, 0], results
    posted = [line for _, out, _ in results for line in out.splitlines() if ": posted" in line]
    assert len(posted) == len(set(posted)) == 12, posted  # 4 parts × 3 networks, each told once
    for platform, posts in (("x", _x_posts(x_fake, marker)), ("mastodon", _mastodon_posts(mastodon_fake, marker))):
        (planned,) = planned_texts(pg_url, platform).values()
        assert [p["text"] for p in posts] == planned, platform
        _chain(posts)
    bsky = bluesky_posts(pds, account.did, marker)
    (planned,) = planned_texts(pg_url, "bluesky").values()
    assert [p["text"] for p in bsky] == planned
    assert [p["state"] for p in parts(pg_url)] == ["sent"] * 12


def _statuses_requests(tmp: Path, pg_url: str) -> list[int]:
    """The request numbers (1-based) of the POST /api/v1/statuses in a clean Mastodon-only run of a
    4-part thread: where 'after part k was stored' falls for the proxy."""
    with make_mastodon_fake() as fake, KillProxy(fake.base_url) as proxy:
        probe = Setup(tmp / "probe", feed="", mastodon=proxy.base_url, state_url=pg_url)
        probe.dir.mkdir(parents=True)
        probe.feed = str(write_feed(probe.dir / "feed.xml", [Entry("PROBE", "Probe PROBE", thread_body("PROBE"),
                                                                   PUBLISHED)]))
        probe.write()
        result = run_cli(probe.config, "run", env=cli_env(mastodon=MASTODON_CANARY))
        assert result.returncode == 0, result.stderr
        numbers = [i for i, (method, path) in enumerate(proxy.log, start=1) if method == "POST" and path == POST_PATH]
    assert len(numbers) == 4, proxy.log
    return numbers


@pytest.mark.parametrize("k", [1, 3])
def test_a_host_killed_after_part_k_was_stored_the_others_finish_the_thread_once(
        k: int, tmp_path: Path, pg_server: Any, x_fake: XApiFake) -> None:
    marker = f"KILL{k}"
    post_numbers = _statuses_requests(tmp_path, pg_server.new_database())
    pg_url = pg_server.new_database()
    with make_mastodon_fake() as fake, KillProxy(fake.base_url) as proxy:
        both = Setup(tmp_path, feed="", x_api=x_fake.base_url, mastodon=proxy.base_url, state_url=pg_url)
        both.feed = str(write_feed(tmp_path / "feed.xml", [Entry(marker, f"Killed host {marker}", thread_body(marker),
                                                                 PUBLISHED)]))
        _queue(both)
        # Host A serves Mastodon only and starts first: it holds Mastodon's claim when the others start.
        # B and C serve X too, where posts are slow: they are still running when A dies.
        host_a = Setup(**{**both.__dict__, "x_api": None, "name": "a.toml"})
        host_a.write()
        others = _hosts(both, 2)
        x_fake.faults.delay(1.0, n=4, method="POST", path="/2/tweets")
        env = cli_env(x=True, mastodon=MASTODON_CANARY)
        a = start_gated(host_a.config, "run", env={**env, "SYNDICATE_HOST": "a"})
        proxy.arm(post_numbers[k - 1], "after", a.pid)
        release(a)
        deadline = time.monotonic() + 60
        while proxy.count == 0 and a.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        rest = [start_gated(h.config, "run", env={**env, "SYNDICATE_HOST": f"host{i}"})
                for i, h in enumerate(others)]
        for p in rest:
            release(p)
        a.communicate(timeout=120)
        assert a.returncode == -9, "host A was not killed"
        assert len(_mastodon_posts(fake, marker)) == k  # the server stored part k, then A died
        told: list[str] = []  # what the surviving hosts reported posting
        for p in rest:
            out, err = p.communicate(timeout=180)
            assert p.returncode == 0, err.decode()
            told += out.decode().splitlines()
        runs = 0  # a host that found Mastodon still claimed by A skipped it: the next cron run finishes it
        while any(p["state"] != "sent" for p in parts(pg_url)) and runs < 3:
            runs += 1
            result = run_cli(others[0].config, "run", env=env)
            assert result.returncode == 0, result.stdout + result.stderr
            told += result.stdout.splitlines()
        mastodon = _mastodon_posts(fake, marker)
    # The fakes answer a resent part with the post they have (X: duplicate content; Mastodon: the
    # Idempotency-Key), so the server side alone would not show two hosts sending one part: each
    # part must also have been sent (or, part k, found) by one host only.
    posted = [line for line in told if ": posted" in line]
    assert len(posted) == len(set(posted)) == 4 + (4 - k + 1), posted
    (planned,) = planned_texts(pg_url, "mastodon").values()
    assert [p["text"] for p in mastodon] == planned  # each part once, in order
    _chain(mastodon)
    x_posts = _x_posts(x_fake, marker)
    (planned_x,) = planned_texts(pg_url, "x").values()
    assert [p["text"] for p in x_posts] == planned_x
    assert [p["state"] for p in parts(pg_url)] == ["sent"] * 8


def _rss(i: int) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
            f"<link>https://example.org/{i}</link><description>d</description>"
            f"<item><title>Story {i} FEEDS12</title><link>https://example.org/{i}/story</link>"
            f"<guid>story-{i}</guid><description>Story number {i}.</description>"
            f"<pubDate>Tue, 03 Nov 2026 09:{i:02d}:00 +0000</pubDate></item></channel></rss>").encode()


def test_three_hosts_twelve_slow_feeds_each_fetched_once_per_pass(tmp_path: Path, pg_url: str,
                                                                  mastodon_fake: FakeMastodon) -> None:
    with FeedServer() as server:
        paths = [f"/feed{i}.xml" for i in range(12)]
        urls = [server.route(path, Reply(body=_rss(i), delay=0.3, headers={"Content-Type": "application/rss+xml"}))
                for i, path in enumerate(paths)]
        base = Setup(tmp_path, feed=urls[0], feeds=urls[1:], mastodon=mastodon_fake.base_url, state_url=pg_url,
                     mode="teaser", delivery={"max_posts_per_run": 20})
        hosts = _hosts(base, 3)
        env = cli_env(mastodon=MASTODON_CANARY)
        for passes in (1, 2):
            if passes == 2:  # the next cron tick, a minute later: the last pass is over
                execute(pg_url, "UPDATE feeds SET last_fetch_at = last_fetch_at - 60")
            results = _run_together(hosts, env)
            assert [code for code, _, _ in results] == [0, 0, 0], results
            fetched = {path: len(server.requests_to(path)) for path in paths}
            assert set(fetched.values()) == {passes}, fetched  # each feed once per pass, not once per host
    posts = sorted(s.text.split("\n")[0] for s in mastodon_fake.statuses if "FEEDS12" in s.text)
    assert posts == sorted(f"Story {i} FEEDS12" for i in range(12))  # each dispatch posted once


def test_migrate_state_with_sent_deferred_and_held_parts_reposts_nothing(
        tmp_path: Path, pg_url: str, mastodon_fake: FakeMastodon, monkeypatch: pytest.MonkeyPatch) -> None:
    from delivery_support import VirtualClock, run_inproc, set_env

    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    clock = VirtualClock()
    feed = tmp_path / "feed.xml"
    stories = [Entry(f"M{i}", f"Story M{i} MIGRATE", f"Body of story M{i}.", PUBLISHED.replace(hour=9 + i))
               for i in range(3)]
    sqlite = Setup(tmp_path, feed=str(feed), mastodon=mastodon_fake.base_url, mode="teaser", backfill=3)
    write_feed(feed, stories[:1])
    sqlite.write()
    run_inproc(sqlite, clock)  # M0 is sent
    write_feed(feed, stories)
    mastodon_fake.fail_next(4, status=503, method="POST", path=POST_PATH)  # every attempt of this run
    run_inproc(sqlite, clock)  # M1 deferred (the instance is down), M2 queued behind it
    import sqlite3

    with sqlite3.connect(sqlite.state) as conn:
        conn.execute("UPDATE dispatches SET held = 1 WHERE id = 'M2'")  # held for review
    before = {p["dispatch_id"]: p["state"] for p in parts(sqlite.state)}
    assert before == {"M0": "sent", "M1": "deferred", "M2": "planned"}
    assert all(f.remaining == 0 for f in mastodon_fake.faults)  # the instance is back

    for _ in range(2):  # idempotent: the second copy writes nothing new
        result = run_cli(sqlite.config, "migrate-state", "--to", pg_url, env=cli_env())
        assert result.returncode == 0, result.stderr
    assert "parts: 3 row(s), 3 already there" in result.stdout, result.stdout
    moved = {p["dispatch_id"]: p["state"] for p in parts(pg_url)}
    assert moved == before
    assert [(p["remote_id"], p["key"]) for p in parts(pg_url)] == [(p["remote_id"], p["key"]) for p in parts(sqlite.state)]

    shared = Setup(**{**sqlite.__dict__, "state_url": pg_url, "name": "pg.toml"})
    shared.write()
    sent_before = len([s for s in mastodon_fake.statuses if "MIGRATE" in s.text])
    assert sent_before == 1
    clock.jump(3 * 3600)  # past M1's deferral
    report = run_inproc(shared, clock)
    assert report.accepted == 0  # the feed's entries are known: nothing new
    texts = [s.text.split("\n")[0] for s in mastodon_fake.statuses if "MIGRATE" in s.text]
    assert texts == ["Story M0 MIGRATE", "Story M1 MIGRATE"]  # M1 once; M0 not again; M2 still held
    released = run_cli(shared.config, "release", "M2", env=cli_env())
    assert released.returncode == 0, released.stderr
    run_inproc(shared, clock)
    run_inproc(shared, clock)
    texts = [s.text.split("\n")[0] for s in mastodon_fake.statuses if "MIGRATE" in s.text]
    assert texts == ["Story M0 MIGRATE", "Story M1 MIGRATE", "Story M2 MIGRATE"]
    assert {p["state"] for p in parts(pg_url)} == {"sent"}


def test_the_state_password_is_never_shown(tmp_path: Path, pg_server: Any, mastodon_fake: FakeMastodon) -> None:
    from pgserver import CANARY_PASSWORD, CANARY_ROLE

    url = pg_server.new_database().replace("postgres@", f"{CANARY_ROLE}@")
    feed = write_feed(tmp_path / "feed.xml", [Entry("P1", "Password story", "Body.", PUBLISHED)])
    setup = Setup(tmp_path, feed=str(feed), mastodon=mastodon_fake.base_url, state_url=url, mode="teaser")
    setup.write()
    good = cli_env(mastodon=MASTODON_CANARY, extra={"SYNDICATE_STATE_PASSWORD": CANARY_PASSWORD})
    outputs = [run_cli(setup.config, *args, env=good) for args in (["run", "-vv"], ["status"], ["dry-run"])]
    assert [r.returncode for r in outputs] == [0, 0, 0], [r.stderr for r in outputs]
    assert "State database: postgresql://canary@" in outputs[1].stdout
    wrong = run_cli(setup.config, "status", env=cli_env(extra={"SYNDICATE_STATE_PASSWORD": "not-it"}))
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("syndicate: state database postgresql://canary@127.0.0.1:")
    assert "password authentication failed" in wrong.stderr and "Traceback" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    inline = Setup(**{**setup.__dict__, "state_url": url.replace("canary@", f"canary:{CANARY_PASSWORD}@"),
                      "name": "inline.toml"})
    inline.write()
    shown = run_cli(inline.config, "status", env=cli_env())
    assert shown.returncode == 0, shown.stderr
    assert "postgresql://canary:***@127.0.0.1:" in shown.stdout
    for r in [*outputs, wrong, shown]:
        assert CANARY_PASSWORD not in r.stdout + r.stderr
    assert len(mastodon_fake.statuses) == 1


def test_retract_on_a_shared_state_deletes_each_part_once(tmp_path: Path, pg_url: str,
                                                         mastodon_fake: FakeMastodon) -> None:
    """`syndicate retract` on PostgreSQL: the same delete rows and claims as `run` (no lock file)."""
    marker = "RETRACTPG"
    setup = Setup(tmp_path, feed="", mastodon=mastodon_fake.base_url, state_url=pg_url)
    setup.feed = str(write_feed(tmp_path / "feed.xml", [Entry(marker, f"Story {marker}", thread_body(marker),
                                                              PUBLISHED)]))
    setup.write()
    env = cli_env(mastodon=MASTODON_CANARY)
    assert run_cli(setup.config, "run", env=env).returncode == 0
    assert len(_mastodon_posts(mastodon_fake, marker)) == 4
    for _ in range(2):  # again: nothing more to delete
        result = run_cli(setup.config, "retract", marker, "--yes", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    assert _mastodon_posts(mastodon_fake, marker) == []
    assert sum(1 for r in mastodon_fake.requests if r.method == "DELETE") == 4
    deletes = [p for p in parts(pg_url) if p["action"] == "delete"]
    assert [p["state"] for p in deletes] == ["sent"] * 4
    again = run_cli(setup.config, "run", env=env)  # the feed still lists it: never posted again
    assert again.returncode == 0 and _mastodon_posts(mastodon_fake, marker) == []


def test_budget_and_spacing_hold_across_three_hosts(tmp_path: Path, pg_url: str, x_fake: XApiFake,
                                                    mastodon_fake: FakeMastodon) -> None:
    """X's monthly_budget and min_spacing_seconds are read from the shared outbox, and one host at a
    time delivers to an account: three hosts together spend no more and post no closer together
    than one host would."""
    from dataclasses import replace

    from delivery_support import entries

    items = [replace(e, link=f"https://example.org/news/{e.guid}") for e in entries(4, prefix="share")]
    base = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", items)), x_api=x_fake.base_url,
                 mastodon=mastodon_fake.base_url, state_url=pg_url, mode="teaser", backfill=4,
                 x_extra={"monthly_budget": 0.45}, delivery={"min_spacing_seconds": 1.0, "max_posts_per_run": 10})
    _queue(base)
    results = _run_together(_hosts(base, 3), cli_env(x=True, mastodon=MASTODON_CANARY))
    assert [code for code, _, _ in results] == [0, 0, 0], results
    # Each post told by one host only (the fakes would answer a second sender with the same post).
    posted = [line for _, out, _ in results for line in out.splitlines() if ": posted" in line]
    assert len(posted) == len(set(posted)) == 6, posted
    assert len(x_fake.tweets) == 2  # 0.20 + 0.20 fit in 0.45; the rest are skipped, not posted by another host
    assert sorted(p["state"] for p in parts(pg_url, "x")) == ["sent", "sent", "skipped", "skipped"]
    times = sorted(s.created_at for s in mastodon_fake.statuses)
    assert len(times) == 4
    assert all(b - a >= 0.99 for a, b in pairwise(times)), times  # spaced, though three hosts ran at once


def test_accounts_go_side_by_side_on_a_shared_state(tmp_path: Path, pg_url: str, pds: PdsHandle,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Mastodon accounts, every post taking 1 s: on PostgreSQL too each account's worker has a
    connection of its own (and a claim of its own), so the accounts' posts overlap on the timeline,
    each account in its own order."""
    from delivery_support import VirtualClock, run_inproc, set_env
    from test_accounts import newsroom, titles

    with newsroom(tmp_path, pds) as room:
        room.state_url = pg_url
        room.feed("ana", 3)
        room.feed("ben", 3)
        room.write(bluesky=False)
        room.x_ana.faults.next(100, status=503, method="POST", path="/2/tweets")  # only Mastodon here
        room.x_ben.faults.next(100, status=503, method="POST", path="/2/tweets")
        set_env(monkeypatch, room.env)
        room.masto.delay_next(1.0, n=6, method="POST", path="/api/v1/statuses")
        run_inproc(room, VirtualClock())  # type: ignore[arg-type]
        stored = sorted(room.masto.statuses, key=lambda s: s.created_at)
        ana = [s for s in stored if s.account_id == room.masto.account_id]
        ben = [s for s in stored if s.account_id == room.ben_masto_id]
        assert titles([s.text for s in ana]) == ["Dispatch ana 001", "Dispatch ana 002", "Dispatch ana 003"]
        assert titles([s.text for s in ben]) == ["Dispatch ben 001", "Dispatch ben 002", "Dispatch ben 003"]
        assert ben[0].created_at < ana[-1].created_at and ana[0].created_at < ben[-1].created_at
    assert not (tmp_path / "state.db").exists()
    sent = [p for p in parts(pg_url) if p["platform"] == "mastodon"]
    assert sorted(p["account"] for p in sent if p["state"] == "sent") == ["ana-masto"] * 3 + ["ben-masto"] * 3
