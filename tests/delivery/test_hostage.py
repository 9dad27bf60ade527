"""No post held hostage (issue 9): a bad image drops the image, a failing part gives up, a stall is said.

Real `syndicate run` passes in-process on virtual time, against the X and Mastodon
fakes and the reference PDS. The feed and its images are served by real HTTP
servers on loopback: 127.0.0.1 is the feed's own host (its images may be fetched),
127.0.0.2 another, private host (its images may not, unless `[fetch] allow_private`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest
from delivery_support import (
    MASTODON_CANARY,
    Setup,
    VirtualClock,
    cli_env,
    make_mastodon_fake,
    make_x_fake,
    parts,
    run_inproc,
    set_env,
    states,
)
from fakes.mastodon_api import API_MEDIA_V2
from pds.harness import PdsHandle
from watch.feedserver import FeedServer, Reply

# Every test here runs on both state backends: the SQLite file and PostgreSQL.
pytestmark = pytest.mark.usefixtures("both_backends")


def png(color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(buf, "PNG")
    return buf.getvalue()


def rss(items: list[tuple[str, str, str | None]]) -> bytes:
    """(guid, title, image URL or None) → an RSS feed, the i-th item published i minutes after 8:00."""
    t0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    out = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>',
           "<link>http://127.0.0.1:9/</link><description>tests</description>"]
    for i, (guid, title, image) in enumerate(items, start=1):
        enclosure = f"<enclosure url={quoteattr(image)} type=\"image/png\" length=\"1000\"/>" if image else ""
        out.append(f"<item><title>{escape(title)}</title><link>http://127.0.0.1:9/d/{guid}</link>"
                   f'<guid isPermaLink="false">{guid}</guid>'
                   f"<pubDate>{format_datetime(t0 + timedelta(minutes=i))}</pubDate>"
                   f"<description>Report {escape(guid)}.</description>{enclosure}</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode()


@pytest.fixture
def site() -> Iterator[FeedServer]:
    """The journalist's site on 127.0.0.1: the feed, and the images that live beside it."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def other_host() -> Iterator[FeedServer]:
    with FeedServer("127.0.0.2") as server:
        yield server


def _bad_images(site: FeedServer) -> dict[str, str]:
    """guid → an image URL that cannot be used, each for another reason."""
    with socket_closed() as port:
        down = f"http://127.0.0.1:{port}/photo.png"  # nothing listens there
    site.route("/not-an-image.png", Reply(200, b"<html>login</html>", {"Content-Type": "image/png"}))
    return {"down": down, "gone": site.url("/gone.png"), "html": site.url("/not-an-image.png")}


class socket_closed:  # noqa: N801 - used as a context manager
    """A loopback port that was free a moment ago: connecting to it is refused."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def _setup(tmp: Path, site: FeedServer, items: list[tuple[str, str, str | None]], *, extra: str = "",
           **kw: Any) -> Setup:
    site.route("/feed.xml", Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    setup = Setup(tmp, feed=site.url("/feed.xml"), backfill=len(items), mode="teaser", **kw)
    setup.write()
    if extra:
        setup.config.write_text(setup.config.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return setup


def _dropped_lines(report: Any) -> list[str]:
    return [line for line in report.lines() if " without image " in line]


def _assert_each_bad_image_named(report: Any, network: str, bad: dict[str, str]) -> None:
    lines = _dropped_lines(report)
    assert len(lines) == 3, report.lines()
    causes = {"down": "ConnectError", "gone": "HTTP 404", "html": "not a PNG, JPEG, GIF or WebP image"}
    for guid, url in bad.items():
        [line] = [x for x in lines if f"'Photo {guid}'" in x]
        assert line.startswith(f"{network}: posted 'Photo {guid}' without image {url} (")
        assert causes[guid] in line, line
    assert report.exit_code == 0


# -- a bad image never holds its post back ---------------------------------------------------------------

def test_x_posts_without_images_it_cannot_fetch_or_use(tmp_path: Path, site: FeedServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _bad_images(site)
    set_env(monkeypatch, cli_env(x=True))
    with make_x_fake() as fake:
        setup = _setup(tmp_path, site, [(g, f"Photo {g}", u) for g, u in bad.items()], x_api=fake.base_url)
        report = run_inproc(setup, VirtualClock())
        assert sorted(t.text.split("\n")[0] for t in fake.tweets) == ["Photo down", "Photo gone", "Photo html"]
        assert all(t.media_ids == () for t in fake.tweets) and fake.media == {}
    assert set(states(setup.state, "x")) == {"sent"}
    _assert_each_bad_image_named(report, "X", bad)


def test_mastodon_posts_without_images_it_cannot_fetch_or_use(tmp_path: Path, site: FeedServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _bad_images(site)
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake() as fake:
        setup = _setup(tmp_path, site, [(g, f"Photo {g}", u) for g, u in bad.items()], mastodon=fake.base_url)
        report = run_inproc(setup, VirtualClock())
        assert sorted(s.text.split("\n")[0] for s in fake.statuses) == ["Photo down", "Photo gone", "Photo html"]
        assert all(s.media == () for s in fake.statuses) and fake.requests_to("POST", API_MEDIA_V2) == []
    assert set(states(setup.state, "mastodon")) == {"sent"}
    _assert_each_bad_image_named(report, "Mastodon", bad)


def test_bluesky_posts_without_images_it_cannot_fetch_or_use(tmp_path: Path, site: FeedServer, pds: PdsHandle,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _bad_images(site)
    account = pds.accounts["bob"]
    set_env(monkeypatch, cli_env(bluesky=account.password))
    marker = f"hostage{tmp_path.name[-6:]}"
    setup = _setup(tmp_path, site, [(f"{g}-{marker}", f"Photo {g}", u) for g, u in bad.items()],
                   bluesky=(pds.url, account.handle))
    report = run_inproc(setup, VirtualClock())
    assert set(states(setup.state, "bluesky")) == {"sent"}
    records = _bsky_records(pds, account.did)
    posted = [r["value"] for r in records if r["uri"].rsplit("/", 1)[1] in {p["remote_id"] for p in
                                                                              parts(setup.state, "bluesky")}]
    assert len(posted) == 3 and all("embed" not in value for value in posted)
    _assert_each_bad_image_named(report, "Bluesky", {g: u for g, u in bad.items()})


def _bsky_records(pds: PdsHandle, did: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords",
                     params={"repo": did, "collection": "app.bsky.feed.post", "limit": "100"}, timeout=10).json()
    return list(page["records"])


def test_a_good_image_beside_the_feed_is_still_attached(tmp_path: Path, site: FeedServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The control for the tests above: the same path posts an image that can be used."""
    site.route("/ok.png", Reply(200, png(), {"Content-Type": "image/png"}))
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake() as fake:
        setup = _setup(tmp_path, site, [("ok", "Photo ok", site.url("/ok.png"))], mastodon=fake.base_url)
        report = run_inproc(setup, VirtualClock())
        assert len(fake.statuses) == 1 and len(fake.statuses[0].media) == 1
    assert _dropped_lines(report) == [] and report.exit_code == 0


# -- fetch rules at run level ---------------------------------------------------------------------------

def test_an_image_on_another_private_host_is_not_requested_and_the_post_goes(
    tmp_path: Path, site: FeedServer, other_host: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = other_host.route("/internal.png", Reply(200, png(), {"Content-Type": "image/png"}))
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake() as fake:
        setup = _setup(tmp_path / "refused", site, [("priv", "Photo priv", image)], mastodon=fake.base_url)
        report = run_inproc(setup, VirtualClock())
        assert [s.media for s in fake.statuses] == [()]
        assert other_host.seen == []
        [line] = _dropped_lines(report)
        assert f"without image {image} (127.0.0.2 is a loopback address" in line

        allowed = _setup(tmp_path / "allowed", site, [("priv2", "Photo priv2", image)], mastodon=fake.base_url,
                         extra='[fetch]\nallow_private = ["127.0.0.2/32"]\n')
        report = run_inproc(allowed, VirtualClock())
        assert len(fake.statuses) == 2 and len(fake.statuses[1].media) == 1
        assert len(other_host.requests_to("/internal.png")) == 1
    assert _dropped_lines(report) == []


def test_dry_run_says_why_a_card_and_an_image_will_not_be_fetched(
    tmp_path: Path, site: FeedServer, other_host: FeedServer
) -> None:
    from syndicate.commands.dryrun import dry_run_plan
    from syndicate.config import load_config

    other_host.route("/article", Reply(200, b"<html><head><title>Internal</title></head></html>",
                                       {"Content-Type": "text/html"}))
    article = site.route("/d/redir", Reply(302, headers={"Location": other_host.url("/article")}))
    image = other_host.url("/internal.png")
    feed = rss([("redir", "Redirected", image)]).replace(b"http://127.0.0.1:9/d/redir", article.encode())
    site.route("/feed.xml", Reply(200, feed, {"Content-Type": "application/rss+xml"}))
    setup = Setup(tmp_path, feed=site.url("/feed.xml"), bluesky=("http://127.0.0.1:9", "me.test"), mode="teaser")
    setup.write()
    setup.config.write_text(setup.config.read_text(encoding="utf-8").replace("cards = false", "cards = true"),
                            encoding="utf-8")

    plan, errors = dry_run_plan(load_config(setup.config), show_all=True, fetch_cards=True)
    assert errors == []
    warnings = {w["code"]: w["message"] for w in plan["dispatches"][0]["warnings"]}
    assert "127.0.0.2 is a loopback address" in warnings["card-refused"] and article in warnings["card-refused"]
    # Bluesky shows the feed's image as the card's thumbnail here: it is judged all the same.
    assert f"{image} will not be fetched: 127.0.0.2 is a loopback address" in warnings["image-refused"]
    assert other_host.seen == []


# -- transient failures end -------------------------------------------------------------------------------

def test_a_part_deferred_past_give_up_after_fails_and_the_next_dispatch_goes(
    tmp_path: Path, site: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndicate.commands.status import retry_dispatch
    from syndicate.config import load_config

    site.route("/a.png", Reply(200, png(), {"Content-Type": "image/png"}))
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        # Dispatch A's image upload fails for a passing reason (503) run after run; B has no image.
        fake.fail_next(100_000, status=503, method="POST", path=API_MEDIA_V2)
        setup = _setup(tmp_path, site, [("a", "First A", site.url("/a.png")), ("b", "Second B", None)],
                       mastodon=fake.base_url, delivery={"give_up_after": "2h"})
        runs = []
        while True:
            report = run_inproc(setup, clock)
            runs.append(report)
            first = parts(setup.state, "mastodon")[0]
            if first["state"] != "deferred":
                break
            assert fake.statuses == []  # B waits behind A, in order, until A gives up
            assert report.exit_code == 0
            assert first["not_before"] <= first["deferred_since"] + 2 * 3600  # the last try falls on the bound
            clock.jump(first["not_before"] - clock.wall() + 1)
            assert len(runs) < 10
        a, b = parts(setup.state, "mastodon")
        assert a["state"] == "failed" and a["last_error"].startswith("gave up after 2 h of retries (give_up_after)")
        assert b["state"] == "sent" and [s.text.split("\n")[0] for s in fake.statuses] == ["Second B"]
        assert report.exit_code == 1
        [failed] = [line for line in report.lines() if "gave up" in line]
        assert failed.startswith("syndicate: Mastodon: failed 1/1 'First A': gave up after 2 h")
        assert "uploading image" in failed and f"syndicate retry {a['dispatch_id']}" in failed
        assert len(runs) > 2  # it was deferred over several runs first

        # The stalled line: without -v, once the part had been deferred for over an hour with
        # nothing sent, each run said so, with the cause (deferrals alone stay quiet).
        assert runs[0].lines() == []
        stalled = [line for r in runs[:-1] for line in r.lines() if "nothing delivered" in line]
        assert stalled and all(line.startswith("syndicate: Mastodon: nothing delivered for ") for line in stalled)
        assert all("2 part(s) waiting; last error: uploading image" in line for line in stalled)
        assert all("nothing delivered" not in line for line in report.lines())  # B went out: not stalled

        # `retry` re-queues it with a fresh bound; once the server recovers it goes out.
        fake.faults.clear()
        assert (retry_dispatch(load_config(setup.config), a["dispatch_id"])
                == f"Re-queued 1 part(s) of {a['dispatch_id']} (on mastodon).")
        report = run_inproc(setup, clock)
        assert report.exit_code == 0
        assert [s.text.split("\n")[0] for s in fake.statuses] == ["Second B", "First A"]
        assert len(fake.statuses[1].media) == 1
    assert set(states(setup.state, "mastodon")) == {"sent"}


def test_retry_restarts_the_give_up_clock(tmp_path: Path, site: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.commands.status import retry_dispatch
    from syndicate.config import load_config

    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        fake.fail_next(100_000, status=503, method="POST", path="/api/v1/statuses")
        setup = _setup(tmp_path, site, [("solo", "Solo", None)], mastodon=fake.base_url,
                       delivery={"give_up_after": "1h"})
        for _ in range(12):  # backoff 1, 2, 4 … min: the hour is reached in a few runs
            run_inproc(setup, clock)
            [part] = parts(setup.state, "mastodon")
            if part["state"] == "failed":
                break
            clock.jump(part["not_before"] - clock.wall() + 1)
        assert part["state"] == "failed"
        retry_dispatch(load_config(setup.config), part["dispatch_id"])
        report = run_inproc(setup, clock)  # still down: deferred again, not given up at once
        [part] = parts(setup.state, "mastodon")
        assert part["state"] == "deferred" and part["deferred_since"] >= clock.wall() - 600
        assert report.exit_code == 0


def test_a_network_stalled_for_over_an_hour_says_so_without_v(tmp_path: Path, site: FeedServer,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall) as fake:
        fake.fail_next(100_000, status=503, method="POST", path="/api/v1/statuses")
        setup = _setup(tmp_path, site, [("s1", "Stuck one", None), ("s2", "Stuck two", None)],
                       mastodon=fake.base_url)
        quiet_until_an_hour: list[list[str]] = []
        while True:
            report = run_inproc(setup, clock)
            first = parts(setup.state, "mastodon")[0]
            if clock.wall() - first["deferred_since"] > 3600:
                break
            quiet_until_an_hour.append(report.lines())
            clock.jump(first["not_before"] - clock.wall() + 1)
        assert quiet_until_an_hour and all(lines == [] for lines in quiet_until_an_hour)  # deferrals alone: quiet
        [line] = report.lines()
        assert line.startswith("syndicate: Mastodon: nothing delivered for 1 h; 2 part(s) waiting; last error: ")
        assert "temporary problem" in line  # the server's own words for its 503
        assert report.exit_code == 0  # nothing failed (give_up_after is 24 h): it only needs a person to look
        assert fake.statuses == []
