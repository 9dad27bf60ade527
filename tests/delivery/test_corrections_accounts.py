"""Corrections on [[accounts]] accounts, on the real wire: one feed routed to two accounts of one
network, each with its own `[accounts.corrections]` (two Mastodon accounts on one fake instance,
two Bluesky accounts on the reference PDS, two X users on two fakes). Each account gets exactly
its own correction once per change, and `syndicate retract` takes every post and correction down
on every account. One account's correction rate-limited (429) never holds back the other's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from delivery_support import Entry, VirtualClock, parts, run_cli, run_inproc, set_env, write_feed
from pds.harness import PdsHandle
from test_accounts import Newsroom, newsroom
from test_corrections import Post, bluesky_records

PUBLISHED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NETWORKS = {"mastodon": "masto", "bluesky": "bsky", "x": "x"}


def write_story(room: Newsroom, marker: str, title: str) -> None:
    """The desk feed: the story (guid = marker) and another dispatch that must never be touched."""
    write_feed(room.dir / "desk.xml", [
        Entry(marker, title, f"A short report ({marker}).", PUBLISHED),
        Entry(f"{marker}-other", f"Other {marker}", f"A note that stays up ({marker}-other).",
              PUBLISHED + timedelta(minutes=5)),
    ])


def write_config(room: Newsroom, network: str, corrections: dict[str, str]) -> None:
    """Accounts ana-<net> and ben-<net> of one network, each with its own [accounts.corrections]
    (TOML lines), and one feed routed to both. [corrections] itself says "reply"."""
    short = NETWORKS[network]
    tables = {
        "mastodon": {"ana": {"instance": room.masto.base_url}, "ben": {"instance": room.masto.base_url}},
        "x": {"ana": {"api_base": room.x_ana.base_url, "handle": "syndicate_test"},
              "ben": {"api_base": room.x_ben.base_url, "handle": "ben_x"}},
        "bluesky": {"ana": {"service": room.pds.url, "handle": room.pds.accounts["bob"].handle},
                    "ben": {"service": room.pds.url, "handle": room.pds.accounts["carol"].handle}},
    }[network]
    lines = ['[state]', 'path = "state.db"', '', '[compose]', 'mode = "teaser"', 'cards = false',
             'hashtags = false', '', '[corrections]', 'updates = "reply"', '']
    for who, table in tables.items():
        lines += ["[[accounts]]", f'name = "{who}-{short}"', f'platform = "{network}"', "timeout = 10"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
        lines += ["[accounts.corrections]", *corrections[who].splitlines(), ""]
    lines += ["[[feeds]]", 'url = "desk.xml"', 'name = "desk"', "backfill = 10",
              f'accounts = ["ana-{short}", "ben-{short}"]', ""]
    room.config.write_text("\n".join(lines), encoding="utf-8")


@dataclass
class View:
    """What one account's server holds, and how many writes the network's server(s) handled."""

    posts: dict[str, Callable[[], list[Post]]]  # account name → its posts that exist now
    writes: Callable[[], int]


def view(room: Newsroom, network: str) -> View:
    if network == "mastodon":
        def masto(account_id: str) -> Callable[[], list[Post]]:
            return lambda: [Post(s.id, s.text, s.in_reply_to_id) for s in room.masto.statuses
                            if s.account_id == account_id]
        return View({"ana-masto": masto(room.masto.account_id), "ben-masto": masto(room.ben_masto_id)},
                    lambda: sum(1 for r in room.masto.requests
                                if (r.method, r.path) == ("POST", "/api/v1/statuses") or r.method == "PUT"))
    if network == "x":
        return View({"ana-x": lambda: [Post(t.id, t.text, t.reply_to) for t in room.x_ana.tweets],
                     "ben-x": lambda: [Post(t.id, t.text, t.reply_to) for t in room.x_ben.tweets]},
                    lambda: sum(1 for fake in (room.x_ana, room.x_ben) for r in fake.requests
                                if (r.method, r.path) == ("POST", "/2/tweets")))
    bob, carol = room.pds.accounts["bob"], room.pds.accounts["carol"]
    return View({"ana-bsky": lambda: bluesky_records(room.pds, bob.did),
                 "ben-bsky": lambda: bluesky_records(room.pds, carol.did)},
                lambda: room.pds.call_count("com.atproto.repo.createRecord"))


def story(posts: list[Post], marker: str) -> list[Post]:
    return [p for p in posts if marker in p.text and f"{marker}-other" not in p.text]


def replies(posts: list[Post], marker: str) -> list[str]:
    """The correction replies' first lines: replies under the story's first post (a teaser: one post)."""
    [first] = [p for p in story(posts, marker) if p.parent is None]
    return sorted(p.text.split("\n")[0] for p in posts if p.parent == first.id)


def correction_rows(state: Path, account: str) -> list[tuple[str, str, int]]:
    return [(p["action"], p["state"], p["part"]) for p in parts(state)
            if p["account"] == account and p["action"] in ("reply", "edit")]


def run(room: Newsroom) -> str:
    result = run_cli(room.config, "run", env=room.env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


# Per network: ana's and ben's [accounts.corrections], and what each change leaves on each account.
CASES = {
    # Mastodon edits in place for ana; ben replies ([corrections] updates) with his own template.
    "mastodon": ({"ana": 'updates = "edit"', "ben": 'template = "Fix: {title}\\n{url}"'}, "edit", "reply"),
    # Bluesky and X cannot edit: ana's "edit" is a reply there (her own template); ben's are off.
    "bluesky": ({"ana": 'updates = "edit"\ntemplate = "Fix: {title}\\n{url}"', "ben": 'updates = "off"'},
                "reply", "off"),
    "x": ({"ana": 'updates = "edit"\ntemplate = "Fix: {title}\\n{url}"', "ben": 'updates = "off"'}, "reply", "off"),
}


@pytest.mark.parametrize("network", ["mastodon", "bluesky", "x"])
def test_each_account_gets_its_own_correction_once_per_change_then_retract_clears_every_account(
        tmp_path: Path, pds: PdsHandle, network: str) -> None:
    corrections, ana_does, ben_does = CASES[network]
    short = NETWORKS[network]
    ana, ben = f"ana-{short}", f"ben-{short}"
    marker = f"ca-{network}"
    with newsroom(tmp_path, pds) as room:
        write_story(room, marker, f"Story {marker}")
        write_config(room, network, corrections)
        net = view(room, network)
        run(room)
        for account in (ana, ben):
            assert [p.text.split("\n")[0] for p in story(net.posts[account](), marker)] == [f"Story {marker}"]
        writes = net.writes()

        def expect(change: int) -> None:
            """After `change` headline changes: each account holds exactly its own corrections."""
            titles = [f"Story {marker}, corrected", f"Story {marker}, corrected again"][:change]
            for account, does in ((ana, ana_does), (ben, ben_does)):
                posts = net.posts[account]()
                if does == "edit":  # the first post itself reads the latest headline; no reply
                    [status] = [s for s in room.masto.statuses if s.id == story(posts, marker)[0].id]
                    assert status.text.startswith(titles[-1] + "\n"), status.text
                    assert len(status.history) == change
                    assert replies(posts, marker) == []
                elif does == "reply":
                    assert replies(posts, marker) == sorted(f"Fix: {t}" for t in titles)
                else:  # off: the first post stands as posted, nothing under it
                    assert replies(posts, marker) == []
                    assert story(posts, marker)[0].text.startswith(f"Story {marker}\n")
                state = {"off": "skipped"}.get(does, "sent")
                action = "edit" if does == "edit" else "reply"
                assert correction_rows(room.state, account) == [(action, state, n + 2) for n in range(change)]
            # One write per change on each account that sends (an edit or a reply), none for "off".
            sending = sum(1 for does in (ana_does, ben_does) if does != "off")
            assert net.writes() == writes + change * sending

        write_story(room, marker, f"Story {marker}, corrected")
        run(room)
        expect(1)
        run(room)  # reruns (the feed still says the corrected headline) change nothing
        run(room)
        expect(1)

        write_story(room, marker, f"Story {marker}, corrected again")
        run(room)
        run(room)
        expect(2)

        # Retraction: every post and correction on both accounts; the other dispatch stays.
        result = run_cli(room.config, "retract", marker, "--yes", env=room.env)
        assert result.returncode == 0, result.stdout + result.stderr
        posted = {a: 1 + (2 if does == "reply" else 0) for a, does in ((ana, ana_does), (ben, ben_does))}
        total = sum(posted.values())
        assert f"{total} of {total} post(s) deleted" in result.stdout, result.stdout
        for account in (ana, ben):
            assert story(net.posts[account](), marker) == []
            assert len([p for p in net.posts[account]() if f"({marker}-other)" in p.text]) == 1
            deletes = [p for p in parts(room.state) if p["account"] == account and p["action"] == "delete"]
            assert len(deletes) == posted[account] and {d["state"] for d in deletes} == {"sent"}

        # Retracted: a later change in the feed gets no correction on either account.
        write_story(room, marker, f"Story {marker}, changed after the retraction")
        run(room)
        for account in (ana, ben):
            assert story(net.posts[account](), marker) == []
            assert len(correction_rows(room.state, account)) == 2


def test_one_accounts_correction_rate_limited_the_others_goes_through(tmp_path: Path, pds: PdsHandle,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two X users reply corrections; ana-x's X answers 429 to her correction: it waits for the
    reset (deferred, once), ben-x's is sent in the same run; after the reset ana-x's goes out,
    once, and ben-x's is not sent again."""
    marker = "ca-429"
    with newsroom(tmp_path, pds) as room:
        write_story(room, marker, f"Story {marker}")
        write_config(room, "x", {"ana": 'template = "Fix: {title}\\n{url}"', "ben": 'template = "Fix: {title}\\n{url}"'})
        set_env(monkeypatch, room.env)
        clock = VirtualClock()
        run_inproc(room, clock)  # type: ignore[arg-type]  # run_inproc reads .config only
        net = view(room, "x")

        write_story(room, marker, f"Story {marker}, corrected")
        room.x_ana.set_limit("POST /2/tweets", 5, remaining=0)  # ana-x: rate limited, resets in 15 min
        report = run_inproc(room, clock)  # type: ignore[arg-type]
        assert correction_rows(room.state, "ana-x") == [("reply", "deferred", 2)]
        assert correction_rows(room.state, "ben-x") == [("reply", "sent", 2)]
        assert replies(net.posts["ana-x"](), marker) == []
        assert replies(net.posts["ben-x"](), marker) == [f"Fix: Story {marker}, corrected"]
        deferred = [e.message for e in report.events if e.kind == "deferred"]
        assert len(deferred) == 1 and deferred[0].startswith("X ana-x: rate limited until"), deferred

        room.x_ana.set_limit("POST /2/tweets", 5)  # the fake's window is on real time: reset it
        clock.jump(3600)
        run_inproc(room, clock)  # type: ignore[arg-type]
        run_inproc(room, clock)  # type: ignore[arg-type]
        for account in ("ana-x", "ben-x"):
            assert replies(net.posts[account](), marker) == [f"Fix: Story {marker}, corrected"]
            assert correction_rows(room.state, account) == [("reply", "sent", 2)]
        assert sum(1 for r in room.x_ben.requests if (r.method, r.path) == ("POST", "/2/tweets")) == 3
