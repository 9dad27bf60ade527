"""Crash injection for corrections: SIGKILL `syndicate run` before and after each request of a
correction, and `syndicate retract` before and after each request of a retraction of a
4-part thread with a correction reply.

Each round posts a 4-part thread with a clean `syndicate run`, changes the story's headline in
the feed, then starts `syndicate run` as a subprocess and kills it at request k: "before" (the
server never sees it) or "after" (the server handled it, the client dies before the answer).
Then `syndicate run` until nothing is left to do. What the *server* holds is checked: exactly
one correction (one reply under the first post; or one edit in the status's history), nothing
doubled. X and Mastodon sit behind `fakes.killproxy.KillProxy`, Bluesky behind the PDS
launcher's front proxy. One clean round counts the requests N; then 2·N killed rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from delivery_support import MASTODON_CANARY, cli_env, make_mastodon_fake, make_x_fake, parts, release, start_gated
from fakes.killproxy import KillProxy
from pds.harness import PdsHandle
from test_corrections import (
    Net,
    Post,
    bluesky_records,
    correction_rows,
    corrections,
    first_post,
    make_setup,
    run,
    story,
    write_story,
)

MAX_RECOVERY_RUNS = 3


@dataclass
class Round:
    requests: int  # requests the killed command made (up to the kill)
    killed: bool
    replies: list[str]  # correction replies on the server
    edits: int  # versions the first post's history holds beyond the original (Mastodon edit)
    first_text: str
    story: int  # the story's posts on the server
    states: list[str]  # the rows' states at the end (corrections, or deletes)
    recovery_runs: int


def _gated(net: Net, args: tuple[str, ...], arm: Callable[[int], None] | None) -> int | None:
    proc = start_gated(net.setup.config, *args, env=net.env)
    if arm is not None:
        arm(proc.pid)
    release(proc)
    _, err = proc.communicate(timeout=90)
    if arm is None:
        assert proc.returncode == 0, err.decode()
    return proc.returncode


def _correct(net: Net, marker: str, arm: Callable[[int], None] | None, count: Callable[[], int],
             history: Callable[[str], int]) -> Round:
    run(net)
    assert len(story(net, marker)) == 4
    first_id = first_post(net, marker).id
    write_story(net.setup, marker, f"Story {marker}, corrected")
    before = count()
    code = _gated(net, ("run",), arm)
    requests = count() - before
    runs = 0
    while (not correction_rows(net.setup.state) or any(r["state"] != "sent" for r in correction_rows(net.setup.state))) \
            and runs < MAX_RECOVERY_RUNS:
        run(net)
        runs += 1
    first = next(p for p in net.posts() if p.id == first_id)
    return Round(requests, code == -9, [p.text for p in corrections(net, marker)], history(first_id), first.text,
                 len(story(net, marker)), [r["state"] for r in correction_rows(net.setup.state)], runs)


def _assert_corrected_once(r: Round, marker: str, edit: bool, where: str) -> None:
    assert r.states == ["sent"], f"{where}: correction rows {r.states}"
    if edit:
        assert r.replies == [] and r.story == 4, f"{where}: {r.replies}"
        assert f"Story {marker}, corrected" in r.first_text, f"{where}: not edited: {r.first_text!r}"
        assert r.edits == 1, f"{where}: {r.edits} edits in the history, not 1"
    else:
        assert len(r.replies) == 1, f"{where}: {len(r.replies)} correction replies: {r.replies}"
        assert r.replies[0].startswith(f"Update: Story {marker}, corrected"), r.replies
        assert r.story == 5, f"{where}: {r.story} posts of the story"


RoundFactory = Callable[[Path, str, "tuple[int, str] | None"], Any]


def _mastodon(updates: str) -> RoundFactory:
    @contextmanager
    def round_(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
        with make_mastodon_fake() as fake, KillProxy(fake.base_url) as proxy:
            setup = make_setup(tmp, marker, updates, mastodon=proxy.base_url)
            net = Net(setup, cli_env(mastodon=MASTODON_CANARY), "mastodon",
                      lambda: [Post(s.id, s.text, s.in_reply_to_id) for s in fake.statuses], lambda: 0)
            yield _correct(net, marker, (lambda pid: proxy.arm(kill[0], kill[1], pid)) if kill else None,
                           lambda: proxy.count,
                           lambda sid: len(next(s for s in fake.statuses if s.id == sid).history))
    return round_


@contextmanager
def _x(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
    with make_x_fake() as fake, KillProxy(fake.base_url) as proxy:
        setup = make_setup(tmp, marker, "reply", x_api=proxy.base_url)
        net = Net(setup, cli_env(x=True), "x", lambda: [Post(t.id, t.text, t.reply_to) for t in fake.tweets],
                  lambda: 0)
        yield _correct(net, marker, (lambda pid: proxy.arm(kill[0], kill[1], pid)) if kill else None,
                       lambda: proxy.count, lambda _: 0)


def _bluesky(pds: PdsHandle) -> RoundFactory:
    @contextmanager
    def round_(tmp: Path, marker: str, kill: tuple[int, str] | None) -> Iterator[Round]:
        account = pds.accounts["alice"]
        setup = make_setup(tmp, marker, "reply", bluesky=(pds.url, account.handle))
        net = Net(setup, cli_env(bluesky=account.password), "bluesky", lambda: bluesky_records(pds, account.did),
                  lambda: 0)
        try:
            yield _correct(net, marker, (lambda pid: pds.kill_at(pid, kill[0], kill[1])) if kill else None,
                           lambda: sum(pds.calls().values()), lambda _: 0)
        finally:
            pds.clear_faults()
    return round_


def correction_matrix(tmp: Path, name: str, round_: RoundFactory, *, edit: bool = False) -> dict[str, int]:
    with round_(tmp, f"{name}-clean", None) as clean:
        _assert_corrected_once(clean, f"{name}-clean", edit, "clean run")
        assert clean.recovery_runs == 0
    n = clean.requests
    assert n >= 1, f"a clean correction run made {n} requests"
    exercised = 0
    for k in range(1, n + 1):
        for when in ("before", "after"):
            marker = f"{name}-k{k}-{when}"
            with round_(tmp, marker, (k, when)) as r:
                assert r.killed, f"{marker}: run was not killed ({r.requests} requests; clean: {n})"
                _assert_corrected_once(r, marker, edit, marker)
            exercised += 1
    return {"requests": n, "kill_points": exercised}


def test_mastodon_edit_survives_sigkill_at_every_request(tmp_path: Path) -> None:
    result = correction_matrix(tmp_path, "ce", _mastodon("edit"), edit=True)
    print(f"\nMastodon edit: {result['requests']} requests, {result['kill_points']} kill points")
    assert result["kill_points"] == 2 * result["requests"]


def test_mastodon_reply_survives_sigkill_at_every_request(tmp_path: Path) -> None:
    result = correction_matrix(tmp_path, "cm", _mastodon("reply"))
    assert result["kill_points"] == 2 * result["requests"]


def test_x_reply_survives_sigkill_at_every_request(tmp_path: Path) -> None:
    result = correction_matrix(tmp_path, "cx", _x)
    assert result["kill_points"] == 2 * result["requests"]


def test_bluesky_reply_survives_sigkill_at_every_request(tmp_path: Path, pds: PdsHandle) -> None:
    result = correction_matrix(tmp_path, "cb", _bluesky(pds))
    assert result["kill_points"] == 2 * result["requests"]


# -- a retraction of a thread of 4 and its correction reply (Mastodon) ---------------------------

def _retract_round(tmp: Path, marker: str, kill: tuple[int, str] | None) -> tuple[int, bool, int, int, list[str]]:
    with make_mastodon_fake() as fake, KillProxy(fake.base_url) as proxy:
        setup = make_setup(tmp, marker, "reply", mastodon=proxy.base_url)
        net = Net(setup, cli_env(mastodon=MASTODON_CANARY), "mastodon",
                  lambda: [Post(s.id, s.text, s.in_reply_to_id) for s in fake.statuses], lambda: 0)
        run(net)
        write_story(setup, marker, f"Story {marker}, corrected")
        run(net)
        assert len(story(net, marker)) == 5
        before = proxy.count
        code = _gated(net, ("retract", marker, "--yes"), (lambda pid: proxy.arm(kill[0], kill[1], pid)) if kill else None)
        requests = proxy.count - before
        from delivery_support import run_cli

        def deletes() -> list[dict[str, Any]]:
            return [p for p in parts(setup.state) if p["action"] == "delete"]

        runs = 0
        while (not deletes() or any(d["state"] != "sent" for d in deletes())) and runs < MAX_RECOVERY_RUNS:
            args = ("run",) if deletes() else ("retract", marker, "--yes")
            result = run_cli(setup.config, *args, env=net.env)
            assert result.returncode == 0, result.stdout + result.stderr
            runs += 1
        handled = sum(1 for r in fake.requests if r.method == "DELETE" and r.status == 200)
        return requests, code == -9, len(story(net, marker)), handled, [d["state"] for d in deletes()]


def test_mastodon_retraction_of_thread_and_correction_survives_sigkill(tmp_path: Path) -> None:
    n, _, left, handled, states = _retract_round(tmp_path, "crr-clean", None)
    assert (left, handled, states) == (0, 5, ["sent"] * 5)
    for k in range(1, n + 1):
        for when in ("before", "after"):
            marker = f"crr-k{k}-{when}"
            _, killed, left, handled, states = _retract_round(tmp_path, marker, (k, when))
            assert killed, marker
            assert left == 0, f"{marker}: {left} post(s) of the story still up"
            assert handled == 5, f"{marker}: {handled} deletes handled, not 5"
            assert states == ["sent"] * 5, f"{marker}: {states}"
