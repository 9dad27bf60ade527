"""Corrections: a dispatch that changes in its feed after it was posted gets one correction per
change on each network (a reply under the first post, or a Mastodon edit), exactly once.

Each test posts a 4-part thread with the real `syndicate run` (the console script, as cron
runs it), then rewrites the feed file (same entry, changed content) and runs again, and
reads back what the *servers* hold: the X and Mastodon fakes, the reference Bluesky PDS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from delivery_support import (
    MASTODON_CANARY,
    Entry,
    Setup,
    cli_env,
    execute,
    make_mastodon_fake,
    make_x_fake,
    parts,
    run_cli,
    thread_body,
    write_feed,
)
from pds.harness import PdsHandle

PUBLISHED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CW = "River news"

# Every test here runs on both state backends: the SQLite file and PostgreSQL.
pytestmark = pytest.mark.usefixtures("both_backends")


@dataclass(frozen=True)
class Post:
    id: str
    text: str
    parent: str | None  # the post it replies to


@dataclass
class Net:
    setup: Setup
    env: dict[str, str]
    platform: str
    posts: Callable[[], list[Post]]  # every post of the account that exists now
    writes: Callable[[], int]  # create/edit requests the server has handled so far


def write_story(setup: Setup, marker: str, title: str, body: str | None = None) -> None:
    """The feed: the story (guid = marker) and another dispatch that must never be touched."""
    write_feed(Path(setup.feed), [
        Entry(marker, title, body or thread_body(marker), PUBLISHED),
        Entry(f"{marker}-other", f"Other {marker}", f"A short note that stays up ({marker}-other).",
              PUBLISHED + timedelta(minutes=5)),
    ])


def make_setup(tmp: Path, marker: str, updates: str, **kw: Any) -> Setup:
    setup = Setup(tmp / marker, feed=str(tmp / marker / "feed.xml"), backfill=2, **kw)
    setup.dir.mkdir(parents=True)
    write_story(setup, marker, f"Story {marker}")
    setup.write()
    text = setup.config.read_text(encoding="utf-8")
    # A content warning on Mastodon: an edit must keep it.
    text = text.replace("[mastodon]\n", f'[mastodon]\nspoiler_text = "{CW}"\n')
    setup.config.write_text(text + f'\n[corrections]\nupdates = "{updates}"\n', encoding="utf-8")
    return setup


@contextmanager
def x_net(tmp: Path, marker: str, updates: str) -> Iterator[tuple[Net, Any]]:
    with make_x_fake() as fake:
        setup = make_setup(tmp, marker, updates, x_api=fake.base_url)
        yield Net(setup, cli_env(x=True), "x", lambda: [Post(t.id, t.text, t.reply_to) for t in fake.tweets],
                  lambda: sum(1 for r in fake.requests if r.method == "POST" and r.path == "/2/tweets")), fake


@contextmanager
def mastodon_net(tmp: Path, marker: str, updates: str) -> Iterator[tuple[Net, Any]]:
    with make_mastodon_fake() as fake:
        setup = make_setup(tmp, marker, updates, mastodon=fake.base_url)
        yield Net(setup, cli_env(mastodon=MASTODON_CANARY), "mastodon",
                  lambda: [Post(s.id, s.text, s.in_reply_to_id) for s in fake.statuses],
                  lambda: sum(1 for r in fake.requests if (r.method, r.path) == ("POST", "/api/v1/statuses")
                              or r.method == "PUT")), fake


def bluesky_records(pds: PdsHandle, did: str) -> list[Post]:
    out: list[Post] = []
    cursor = None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": "100"}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=10).json()
        out += [Post(r["uri"], r["value"]["text"], (r["value"].get("reply") or {}).get("parent", {}).get("uri"))
                for r in page.get("records", [])]
        cursor = page.get("cursor")
        if not cursor or not page.get("records"):
            return out


@contextmanager
def bluesky_net(tmp: Path, marker: str, updates: str, pds: PdsHandle) -> Iterator[tuple[Net, Any]]:
    import delivery_support

    account = pds.accounts[delivery_support.bluesky_account_name()]
    setup = make_setup(tmp, marker, updates, bluesky=(pds.url, account.handle))
    yield Net(setup, cli_env(bluesky=account.password), "bluesky", lambda: bluesky_records(pds, account.did),
              lambda: pds.call_count("com.atproto.repo.createRecord")), pds


def open_net(network: str, tmp: Path, marker: str, updates: str, pds: PdsHandle | None) -> Any:
    if network == "x":
        return x_net(tmp, marker, updates)
    if network == "mastodon":
        return mastodon_net(tmp, marker, updates)
    assert pds is not None
    return bluesky_net(tmp, marker, updates, pds)


def story(net: Net, marker: str) -> list[Post]:
    """The story's posts (thread and correction replies), oldest first."""
    return [p for p in net.posts() if marker in p.text and f"{marker}-other" not in p.text]


def first_post(net: Net, marker: str) -> Post:
    [first] = [p for p in story(net, marker) if p.parent is None]
    return first


def corrections(net: Net, marker: str) -> list[Post]:
    """Replies to the first post that are not the thread's part 2."""
    first = first_post(net, marker)
    return [p for p in story(net, marker) if p.parent == first.id and p.text.startswith("Update:")]


def run(net: Net) -> str:
    result = run_cli(net.setup.config, "run", env=net.env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def correction_rows(state: Path) -> list[dict[str, Any]]:
    return [p for p in parts(state) if p["action"] in ("reply", "edit")]


@pytest.fixture
def maybe_pds(request: pytest.FixtureRequest) -> PdsHandle | None:
    return request.getfixturevalue("pds") if request.node.callspec.params.get("network") == "bluesky" else None


@pytest.mark.parametrize(("network", "updates"),
                         [("x", "reply"), ("bluesky", "reply"), ("mastodon", "reply"), ("mastodon", "edit")])
def test_one_correction_per_change_exactly_once_then_retract_takes_it_all_down(
        tmp_path: Path, network: str, updates: str, maybe_pds: PdsHandle | None) -> None:
    marker = f"c-{network}-{updates}"
    with open_net(network, tmp_path, marker, updates, maybe_pds) as (net, fake):
        run(net)
        assert len(story(net, marker)) == 4, [p.text for p in net.posts()]
        first_id = first_post(net, marker).id
        writes = net.writes()

        # A typo deep in the body: the posted first post would read the same. Nothing happens.
        typo = thread_body(marker).replace("Sentence 38 reports", "Sentence 38 reprots")
        write_story(net.setup, marker, f"Story {marker}", typo)
        run(net)
        assert net.writes() == writes
        assert correction_rows(net.setup.state) == []

        # The headline is corrected: one correction on the network.
        write_story(net.setup, marker, f"Story {marker}, corrected", typo)
        out = run(net)
        if updates == "edit":
            assert net.writes() == writes + 1  # one PUT, no new status
            status = next(s for s in fake.statuses if s.id == first_id)
            assert f"Story {marker}, corrected" in status.text
            assert len(status.history) == 1 and status.edited_at is not None
            assert status.spoiler_text == CW, "the edit dropped the content warning"
            assert len(story(net, marker)) == 4
        else:
            assert net.writes() == writes + 1
            [reply] = corrections(net, marker)
            assert reply.text.startswith(f"Update: Story {marker}, corrected\n"), reply.text
            assert len(story(net, marker)) == 5
            if network == "mastodon":
                assert next(s for s in fake.statuses if s.text == reply.text).spoiler_text == CW
        assert "correction 1" in out
        [row] = correction_rows(net.setup.state)
        assert (row["action"], row["state"], row["part"]) == (updates, "sent", 5)

        # Reruns change nothing (the feed still has the corrected headline).
        run(net)
        run(net)
        assert net.writes() == writes + 1

        # A second headline change: a second correction.
        write_story(net.setup, marker, f"Story {marker}, corrected again", typo)
        run(net)
        run(net)
        assert net.writes() == writes + 2
        if updates == "edit":
            status = next(s for s in fake.statuses if s.id == first_id)
            assert f"Story {marker}, corrected again" in status.text
            assert len(status.history) == 2
            history = httpx.get(f"{fake.base_url}/api/v1/statuses/{first_id}/history", timeout=10).json()
            assert len(history) == 3  # the original, the first edit, the current version
        else:
            texts = [p.text.split("\n")[0] for p in corrections(net, marker)]
            assert sorted(texts) == sorted([f"Update: Story {marker}, corrected",
                                            f"Update: Story {marker}, corrected again"])
        assert [r["part"] for r in correction_rows(net.setup.state)] == [5, 6]

        # Retraction: the thread and every correction reply come down; the other post stays.
        result = run_cli(net.setup.config, "retract", marker, "--yes", env=net.env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{4 if updates == 'edit' else 6} of {4 if updates == 'edit' else 6} post(s) deleted" in result.stdout
        assert story(net, marker) == []
        assert len([p for p in net.posts() if f"({marker}-other)" in p.text]) == 1
        deletes = [p for p in parts(net.setup.state) if p["action"] == "delete"]
        assert len(deletes) == (4 if updates == "edit" else 6)
        assert {d["state"] for d in deletes} == {"sent"}

        # A retracted dispatch gets no corrections, whatever its feed says next.
        write_story(net.setup, marker, f"Story {marker}, changed after the retraction", typo)
        run(net)
        assert story(net, marker) == []
        assert len(correction_rows(net.setup.state)) == 2


def test_corrections_off_are_shown_by_status_and_dry_run_never_sent(tmp_path: Path) -> None:
    marker = "c-off"
    with x_net(tmp_path, marker, "off") as (net, _):
        run(net)
        writes = net.writes()
        write_story(net.setup, marker, f"Story {marker}, corrected")

        # dry-run first: it says what a correction would say, and writes nothing.
        dry = run_cli(net.setup.config, "dry-run", "--format", "json", env=net.env)
        assert dry.returncode == 0, dry.stderr
        plan = json.loads(dry.stdout)
        [changed] = plan["corrections"]
        [c] = changed["corrections"]
        assert (changed["id"], c["platform"], c["action"], c["number"], c["state"]) == (marker, "x", "reply", 1, "off")
        assert c["text"].startswith(f"Update: Story {marker}, corrected\n")
        assert correction_rows(net.setup.state) == []
        text = run_cli(net.setup.config, "dry-run", env=net.env)
        assert f"X correction 1, reply: 'Update: Story {marker}, corrected" in text.stdout
        assert "not sent" in text.stdout

        run(net)
        run(net)
        assert net.writes() == writes, "updates = off must post nothing"
        [row] = correction_rows(net.setup.state)
        assert row["state"] == "skipped"
        status = run_cli(net.setup.config, "status", env=net.env)
        assert "changed 1 time: corrections 0 sent, 0 pending, 0 failed" in status.stdout, status.stdout
        assert f"'Update: Story {marker}, corrected" in status.stdout

        # retry does not turn a correction that was off into one that is sent.
        retry = run_cli(net.setup.config, "retry", marker, env=net.env)
        assert retry.returncode == 0
        run(net)
        assert net.writes() == writes


def test_pending_correction_shows_in_dry_run_and_status(tmp_path: Path) -> None:
    marker = "c-pending"
    with mastodon_net(tmp_path, marker, "reply") as (net, fake):
        run(net)
        write_story(net.setup, marker, f"Story {marker}, corrected")
        fake.fail_next(10, status=503, method="POST", path="/api/v1/statuses")
        run(net)  # the correction is written; the server is down for it: it stays queued
        assert [r["state"] for r in correction_rows(net.setup.state)] == ["deferred"]
        status = run_cli(net.setup.config, "status", env=net.env)
        assert "corrections 0 sent, 1 pending, 0 failed" in status.stdout, status.stdout
        dry = json.loads(run_cli(net.setup.config, "dry-run", "--format", "json", env=net.env).stdout)
        [c] = dry["corrections"][0]["corrections"]
        assert (c["state"], c["action"]) == ("deferred", "reply")
        fake.faults.clear()
        execute(net.setup.state, "UPDATE parts SET not_before = NULL WHERE action = 'reply'")  # its retry time has come
        run(net)
        assert len(corrections(net, marker)) == 1
        assert [r["state"] for r in correction_rows(net.setup.state)] == ["sent"]


def test_a_change_before_anything_was_sent_replans_instead_of_correcting(tmp_path: Path) -> None:
    """A held dispatch (or one still queued) whose headline is fixed goes out fixed: no old text
    posted only to be corrected."""
    marker = "c-held"
    with x_net(tmp_path, marker, "reply") as (net, _):
        text = net.setup.config.read_text(encoding="utf-8")
        net.setup.config.write_text(text.replace('name = "wire"\n', 'name = "wire"\nhold = true\n'), encoding="utf-8")
        run(net)
        assert story(net, marker) == []
        write_story(net.setup, marker, f"Story {marker}, fixed before release")
        run(net)
        assert story(net, marker) == []
        posts = [p for p in parts(net.setup.state) if p["dispatch_id"] == marker and p["action"] == "post"]
        assert len(posts) == 4 and f"Story {marker}, fixed before release" in json.loads(posts[0]["post"])["text"]
        dry = json.loads(run_cli(net.setup.config, "dry-run", "--format", "json", env=net.env).stdout)
        assert dry["corrections"] == []

        released = run_cli(net.setup.config, "release", marker, env=net.env)
        assert released.returncode == 0, released.stderr
        run(net)
        assert first_post(net, marker).text.startswith(f"Story {marker}, fixed before release")
        assert len(story(net, marker)) == 4
        assert correction_rows(net.setup.state) == []
