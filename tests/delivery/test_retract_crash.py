"""Crash injection for retractions: SIGKILL `syndicate retract` before and after each of its requests.

Each round posts a 4-part thread (and one other dispatch that must survive)
with a clean `syndicate run`, then starts `syndicate retract ID --yes` as a
subprocess and kills it at request k, "before" (the server never sees it) or
"after" (the server handled it: the post IS deleted, the client dies before the
answer). Then `syndicate run` until no delete is left. What the *server* holds
is checked: none of the thread, the other post still there, and exactly one
delete handled per part (a delete that may have landed is looked up, not resent).
X and Mastodon sit behind `fakes.killproxy.KillProxy`; Bluesky behind the PDS
launcher's front proxy. One clean round per network counts its requests N;
then 2·N killed rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from delivery_support import MASTODON_CANARY, cli_env, make_mastodon_fake, make_x_fake, release, run_cli, start_gated
from fakes.killproxy import KillProxy
from pds.harness import PdsHandle
from test_retract import Net, _setup, delete_rows, others, post_thread, story

MAX_RECOVERY_RUNS = 3


@dataclass
class Round:
    requests: int  # requests `retract` made (up to the kill)
    killed: bool
    left: list[str]  # the thread's posts still on the server
    others: int  # the other dispatch's posts on the server
    deletes: int  # delete requests the server handled
    states: list[str]  # the delete rows' states at the end
    recovery_runs: int


def _retract(net: Net, marker: str, arm: Callable[[int], None] | None, count: Callable[[], int]) -> Round:
    post_thread(net, marker)
    deletes_before = net.deletes()
    before = count()
    proc = start_gated(net.setup.config, "retract", marker, "--yes", env=net.env)
    if arm is not None:
        arm(proc.pid)
    release(proc)
    _, err = proc.communicate(timeout=90)
    requests = count() - before
    killed = proc.returncode == -9
    if arm is None:
        assert proc.returncode == 0, err.decode()
    runs = 0
    while (not delete_rows(net.setup.state) or any(r["state"] != "sent" for r in delete_rows(net.setup.state))) \
            and runs < MAX_RECOVERY_RUNS:
        if not delete_rows(net.setup.state):  # killed before the rows were committed: retract again
            result = run_cli(net.setup.config, "retract", marker, "--yes", env=net.env)
        else:
            result = run_cli(net.setup.config, "run", env=net.env)
        runs += 1
        assert result.returncode == 0, result.stdout + result.stderr
    return Round(requests, killed, story(net, marker), len(others(net, marker)), net.deletes() - deletes_before,
                 [r["state"] for r in delete_rows(net.setup.state)], runs)


@contextmanager
def _mastodon(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
    with make_mastodon_fake() as fake, KillProxy(fake.base_url) as proxy:
        setup = _setup(tmp, marker, mastodon=proxy.base_url)
        net = Net(setup, cli_env(mastodon=MASTODON_CANARY), "mastodon", lambda: [s.text for s in fake.statuses],
                  lambda: sum(1 for r in fake.requests if r.method == "DELETE"))
        yield _retract(net, marker, (lambda pid: proxy.arm(kill[0], kill[1], pid)) if kill else None,
                       lambda: proxy.count)


@contextmanager
def _x(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
    with make_x_fake() as fake, KillProxy(fake.base_url) as proxy:
        setup = _setup(tmp, marker, x_api=proxy.base_url)
        net = Net(setup, cli_env(x=True), "x", lambda: [t.text for t in fake.tweets],
                  lambda: sum(1 for r in fake.requests if r.method == "DELETE"))
        yield _retract(net, marker, (lambda pid: proxy.arm(kill[0], kill[1], pid)) if kill else None,
                       lambda: proxy.count)


def _bluesky(pds: PdsHandle) -> Callable[..., Any]:
    from test_crash import bluesky_posts

    @contextmanager
    def round_(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
        account = pds.accounts["alice"]
        setup = _setup(tmp, marker, bluesky=(pds.url, account.handle))
        net = Net(setup, cli_env(bluesky=account.password), "bluesky",
                  lambda: [p["text"] for p in bluesky_posts(pds, account.did, marker)],
                  lambda: pds.call_count("com.atproto.repo.deleteRecord"))
        try:
            r = _retract(net, marker, (lambda pid: pds.kill_at(pid, kill[0], kill[1])) if kill else None,
                         lambda: sum(pds.calls().values()))
        finally:
            pds.clear_faults()
        if kill is not None and kill[1] == "before" and r.killed:
            # The front proxy counts a call before it kills the client, and never forwards it. A
            # clean retract makes only deleteRecord calls (asserted below), so that call was one.
            r.deletes -= 1
        if kill is None:
            assert r.requests == r.deletes, f"a clean retract made {r.requests} calls, {r.deletes} of them deletes"
        yield r

    return round_


def _assert_retracted(r: Round, where: str) -> None:
    assert r.left == [], f"{where}: {len(r.left)} part(s) of the thread still up"
    assert r.others == 1, f"{where}: the other dispatch's post was touched"
    assert r.deletes == 4, f"{where}: {r.deletes} deletes handled by the server, not 4"
    assert r.states == ["sent"] * 4, f"{where}: delete rows {r.states}"


def crash_matrix(tmp: Path, name: str, round_: Callable[..., Any]) -> dict[str, int]:
    with round_(tmp, f"{name}-clean", None) as clean:
        _assert_retracted(clean, "clean retract")
        assert clean.recovery_runs == 0
    n = clean.requests
    assert n >= 4, f"a clean retract made {n} requests"
    exercised = 0
    for k in range(1, n + 1):
        for when in ("before", "after"):
            marker = f"{name}-k{k}-{when}"
            with round_(tmp, marker, (k, when)) as r:
                assert r.killed, f"{marker}: retract was not killed ({r.requests} requests; clean: {n})"
                _assert_retracted(r, marker)
                assert r.recovery_runs >= 1
            exercised += 1
    return {"requests": n, "kill_points": exercised}


def test_mastodon_retract_survives_sigkill_at_every_request(tmp_path: Path) -> None:
    result = crash_matrix(tmp_path, "rm", _mastodon)
    print(f"\nMastodon retract: {result['requests']} requests, {result['kill_points']} kill points")
    assert result["kill_points"] == 2 * result["requests"]


def test_bluesky_retract_survives_sigkill_at_every_request(tmp_path: Path, pds: PdsHandle) -> None:
    result = crash_matrix(tmp_path, "rb", _bluesky(pds))
    print(f"\nBluesky retract: {result['requests']} requests, {result['kill_points']} kill points")
    assert result["kill_points"] == 2 * result["requests"]


def test_x_retract_survives_sigkill_at_every_request(tmp_path: Path) -> None:
    result = crash_matrix(tmp_path, "rx", _x)
    print(f"\nX retract: {result['requests']} requests, {result['kill_points']} kill points")
    assert result["kill_points"] == 2 * result["requests"]
