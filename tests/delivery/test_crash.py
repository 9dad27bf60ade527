"""Crash injection: SIGKILL `syndicate run` at every request boundary of a 4-part thread, on each platform.

For each platform a clean run is made first, through the same proxy, to count
its requests N. Then, for every k in 1..N and both sides of the request —
"before" (the server never sees request k) and "after" (the server handled
it, a post IS stored, and the client dies before the answer) — a fresh run is
started as a subprocess (the installed `syndicate` console script), killed
there, and then run again without a kill until it reports nothing left to do.
What the *server* stored is then checked: exactly the 4 planned posts, each
once, each replying to the one before (on Bluesky: root and parent strong
refs), and every outbox part `sent`. X and Mastodon sit behind
`fakes.killproxy.KillProxy`; Bluesky behind the PDS launcher's front proxy
(`PdsHandle.kill_at`), since the SDK switches to the PDS URL after login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from delivery_support import (
    MASTODON_CANARY,
    Entry,
    Setup,
    cli_env,
    make_mastodon_fake,
    make_x_fake,
    parts,
    planned_texts,
    release,
    run_cli,
    start_gated,
    thread_body,
    write_feed,
)
from fakes.killproxy import KillProxy
from pds.harness import PdsHandle

PUBLISHED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MAX_RECOVERY_RUNS = 3


@dataclass
class Round:
    """One run of the matrix: what the server holds for this round's dispatch, and the outbox."""

    requests: int  # requests the first run made (up to the kill)
    log: list[tuple[str, str]]  # (method, path) of those requests, where the proxy records them
    killed: bool
    posts: list[dict[str, Any]]  # server-side, in thread order: {"id", "text", "parent", "root"}
    planned: list[str]
    states: list[str]
    recovery_runs: int


def _setup(tmp: Path, marker: str, **kw: Any) -> Setup:
    entry = Entry(marker, f"Crash round {marker}", thread_body(marker), PUBLISHED)
    setup = Setup(tmp / marker, feed="", **kw)
    setup.dir.mkdir(parents=True)
    setup.feed = str(write_feed(setup.dir / "feed.xml", [entry]))
    setup.write()
    return setup


def _run_round(setup: Setup, env: dict[str, str], arm: Callable[[int], None] | None,
               count: Callable[[], int]) -> tuple[int, bool, int]:
    """First run (killed when `arm` is given), then runs until done. Returns (requests, killed, recovery runs)."""
    before = count()
    proc = start_gated(setup.config, "run", env=env)
    if arm is not None:
        arm(proc.pid)
    release(proc)
    out, err = proc.communicate(timeout=90)
    requests = count() - before
    killed = proc.returncode == -9
    if arm is None:
        assert proc.returncode == 0, err.decode()
    runs = 0
    while any(p["state"] != "sent" for p in parts(setup.state)) and runs < MAX_RECOVERY_RUNS:
        runs += 1
        result = run_cli(setup.config, "run", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    return requests, killed, runs


# -- per platform: a fresh server-side account view, and how to read it back ---------------

@contextmanager
def _x_round(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
    with make_x_fake() as fake, KillProxy(fake.base_url) as proxy:
        setup = _setup(tmp, marker, x_api=proxy.base_url)
        arm = (lambda pid: proxy.arm(kill[0], kill[1], pid)) if kill else None
        n, killed, runs = _run_round(setup, cli_env(x=True), arm, lambda: proxy.count)
        log = list(proxy.log)
        mine = sorted((t for t in fake.tweets if marker in t.text), key=lambda t: int(t.id))
        posts = [{"id": t.id, "text": t.text, "parent": t.reply_to, "root": None} for t in mine]
        yield _round(setup, "x", n, log, killed, posts, runs)


@contextmanager
def _mastodon_round(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
    with make_mastodon_fake() as fake, KillProxy(fake.base_url) as proxy:
        setup = _setup(tmp, marker, mastodon=proxy.base_url)
        arm = (lambda pid: proxy.arm(kill[0], kill[1], pid)) if kill else None
        n, killed, runs = _run_round(setup, cli_env(mastodon=MASTODON_CANARY), arm, lambda: proxy.count)
        log = list(proxy.log)
        mine = sorted((s for s in fake.statuses if marker in s.text), key=lambda s: int(s.id))
        posts = [{"id": s.id, "text": s.text, "parent": s.in_reply_to_id, "root": None} for s in mine]
        yield _round(setup, "mastodon", n, log, killed, posts, runs)


def bluesky_posts(pds: PdsHandle, did: str, marker: str) -> list[dict[str, Any]]:
    """The account's post records whose text has `marker`, read straight from the PDS, in thread order."""
    records: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": "100"}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=10).json()
        records += page.get("records", [])
        cursor = page.get("cursor")
        if not cursor or not page.get("records"):
            break
    mine = [r for r in records if marker in r["value"]["text"]]
    by_parent = {(r["value"].get("reply") or {}).get("parent", {}).get("uri"): r for r in mine}
    ordered, uri = [], None
    while uri in by_parent and len(ordered) < len(mine):
        r = by_parent[uri]
        ordered.append(r)
        uri = r["uri"]
    if len(ordered) != len(mine):  # not one chain: report them all, unordered, so the test fails loudly
        ordered = mine
    def ref(record: dict[str, Any], which: str) -> dict[str, str] | None:
        strong = (record["value"].get("reply") or {}).get(which)
        return {"uri": strong["uri"], "cid": strong["cid"]} if strong else None

    return [{"id": r["uri"], "cid": r["cid"], "text": r["value"]["text"], "parent": ref(r, "parent"),
             "root": ref(r, "root")} for r in ordered]


@contextmanager
def _bluesky_round(tmp: Path, marker: str, kill: tuple[int, str] | None, pds: PdsHandle) -> Iterator[Round]:
    account = pds.accounts["alice"]
    setup = _setup(tmp, marker, bluesky=(pds.url, account.handle))
    arm = (lambda pid: pds.kill_at(pid, kill[0], kill[1])) if kill else None
    try:
        n, killed, runs = _run_round(setup, cli_env(bluesky=account.password), arm,
                                     lambda: sum(pds.calls().values()))
    finally:
        pds.clear_faults()
    yield _round(setup, "bluesky", n, [], killed, bluesky_posts(pds, account.did, marker), runs)


def _round(setup: Setup, platform: str, n: int, log: list[tuple[str, str]], killed: bool,
           posts: list[dict[str, Any]], runs: int) -> Round:
    (planned,) = planned_texts(setup.state, platform).values()
    return Round(n, log, killed, posts, planned, [p["state"] for p in parts(setup.state, platform)], runs)


# -- the checks ---------------------------------------------------------------------------------

def assert_thread_intact(r: Round, platform: str, where: str) -> None:
    assert len(r.planned) == 4, f"{where}: the plan is not a 4-part thread: {len(r.planned)} parts"
    assert [p["text"] for p in r.posts] == r.planned, f"{where}: server holds {len(r.posts)} posts, not the plan"
    assert r.states == ["sent"] * 4, f"{where}: outbox states {r.states}"
    assert r.posts[0]["parent"] is None, f"{where}: part 1 replies to something"
    for prev, cur in pairwise(r.posts):
        if platform == "bluesky":
            assert cur["parent"] == {"uri": prev["id"], "cid": prev["cid"]}, f"{where}: parent ref broken"
            assert cur["root"] == {"uri": r.posts[0]["id"], "cid": r.posts[0]["cid"]}, f"{where}: root ref broken"
        else:
            assert cur["parent"] == prev["id"], f"{where}: part does not reply to the previous one"


def crash_matrix(tmp: Path, platform: str, round_: Callable[..., Any]) -> dict[str, Any]:
    with round_(tmp, f"{platform}-clean", None) as clean:
        assert_thread_intact(clean, platform, "clean run")
        assert clean.recovery_runs == 0
    n = clean.requests
    assert n >= 4
    exercised, outcomes = 0, {}
    for k in range(1, n + 1):
        for when in ("before", "after"):
            marker = f"{platform}-k{k}-{when}"
            with round_(tmp, marker, (k, when)) as r:
                assert r.killed, (f"{marker}: the run was not killed: it made {r.requests} requests {r.log}; "
                                  f"the clean run made {n}: {clean.log}")
                assert_thread_intact(r, platform, marker)
                assert r.recovery_runs >= 1
            exercised += 1
            outcomes[marker] = r.recovery_runs
    return {"requests": n, "kill_points": exercised}


def test_x_survives_sigkill_at_every_request(tmp_path: Path) -> None:
    result = crash_matrix(tmp_path, "x", _x_round)
    print(f"\nX: {result['requests']} requests in a clean run, {result['kill_points']} kill points")
    assert result["kill_points"] == 2 * result["requests"]


def test_mastodon_survives_sigkill_at_every_request(tmp_path: Path) -> None:
    result = crash_matrix(tmp_path, "mastodon", _mastodon_round)
    print(f"\nMastodon: {result['requests']} requests in a clean run, {result['kill_points']} kill points")
    assert result["kill_points"] == 2 * result["requests"]


def test_bluesky_survives_sigkill_at_every_request(tmp_path: Path, pds: PdsHandle) -> None:
    result = crash_matrix(tmp_path, "bluesky", lambda t, m, k: _bluesky_round(t, m, k, pds))
    print(f"\nBluesky: {result['requests']} requests in a clean run, {result['kill_points']} kill points")
    assert result["kill_points"] == 2 * result["requests"]



def _x_double_round(tmp: Path, marker: str, second_kill: tuple[int, str] | None) -> tuple[Round, int]:
    """Kill after X stored part 2; then kill the reconciling run too (at `second_kill`); then finish."""
    with make_x_fake() as fake, KillProxy(fake.base_url) as proxy:
        setup = _setup(tmp, marker, x_api=proxy.base_url)
        env = cli_env(x=True)
        first = start_gated(setup.config, "run", env=env)
        proxy.arm(2, "after", first.pid)
        release(first)
        first.communicate(timeout=90)
        assert first.returncode == -9
        proxy.disarm()
        arm = (lambda pid: proxy.arm(second_kill[0], second_kill[1], pid)) if second_kill else None
        n, killed, runs = _run_round(setup, env, arm, lambda: proxy.count)
        log = list(proxy.log)
        mine = sorted((t for t in fake.tweets if marker in t.text), key=lambda t: int(t.id))
        posts = [{"id": t.id, "text": t.text, "parent": t.reply_to, "root": None} for t in mine]
        return _round(setup, "x", n, log, killed, posts, runs), n


def test_x_survives_a_second_sigkill_while_it_reconciles(tmp_path: Path) -> None:
    """The run that looks for the post a killed run left in `sending` is itself killed, before and
    after each of its requests (the lookups, then the remaining posts). Still exactly the thread."""
    clean, m = _x_double_round(tmp_path, "x2-clean", None)
    assert_thread_intact(clean, "x", "reconciling run")
    assert clean.log[:2] == [("GET", "/2/users/me"), ("GET", "/2/users/1500000000000000001/tweets")]
    exercised = 0
    for j in range(1, m + 1):
        for when in ("before", "after"):
            r, _ = _x_double_round(tmp_path, f"x2-k{j}-{when}", (j, when))
            assert r.killed
            assert_thread_intact(r, "x", f"second kill at {j} {when}")
            exercised += 1
    print(f"\nX, second kill while reconciling: {m} requests, {exercised} kill points")
    assert exercised == 2 * m
