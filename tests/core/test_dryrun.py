"""dry-run: the real pipeline, nothing written, nothing sent but feed (and article-page) fetches."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from core.feedgen import item, rss

from syndicate.cli import cli

ARTICLE = b"""<html><head><title>Story</title>
<meta property="og:title" content="OG title of the story">
<meta property="og:description" content="OG description.">
</head><body>x</body></html>"""


class Site:
    """A local site: /feed.xml and article pages; logs every path requested."""

    def __init__(self) -> None:
        self.feed = rss([item(n, link=f"http://127.0.0.1:{{port}}/story-{n}") for n in range(1, 4)])
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.paths.append(self.path)
                body = site.feed.replace(b"{port}", str(site.port).encode()) if self.path == "/feed.xml" else ARTICLE
                ctype = "application/rss+xml" if self.path == "/feed.xml" else "text/html"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.server.shutdown()


def config(tmp_path: Path, site: Site) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "http://127.0.0.1:{site.port}/feed.xml"
name = "local"
backfill = 2
[x]
enabled = true
api_base = "http://127.0.0.1:9"
[bluesky]
enabled = true
handle = "me.test"
service = "http://127.0.0.1:9"
[mastodon]
enabled = true
instance = "http://127.0.0.1:9"
""", encoding="utf-8")
    return path


def test_dry_run_writes_nothing_and_only_fetches_feed_and_articles(tmp_path: Path, site: Site) -> None:
    path = config(tmp_path, site)
    runner = CliRunner()
    result = runner.invoke(cli, ["dry-run", "--config", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "state.db").exists()
    plan = json.loads(result.stdout)
    assert [d["id"] for d in plan["dispatches"]] == ["guid-2", "guid-3"]  # backfill 2, oldest first
    card = plan["dispatches"][0]["platforms"]["bluesky"]["posts"][0]["card"]
    assert card["title"] == "OG title of the story"
    assert set(site.paths) == {"/feed.xml", "/story-2", "/story-3"}

    # Now with a state file from a run that only polls (no platform has credentials: nothing is sent).
    from syndicate.commands.run import run_once
    from syndicate.config import load_config

    run_once(load_config(path), deliver=False)
    state = tmp_path / "state.db"
    before = hashlib.sha256(state.read_bytes()).hexdigest()
    files = sorted(p.name for p in tmp_path.iterdir())
    site.paths.clear()
    again = runner.invoke(cli, ["dry-run", "--config", str(path), "--format", "json"])
    assert again.exit_code == 0, again.output
    assert [d["id"] for d in json.loads(again.stdout)["dispatches"]] == ["guid-2", "guid-3"]  # still queued
    assert hashlib.sha256(state.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # not even -wal/-shm files appear
    assert set(site.paths) <= {"/feed.xml"}


def test_dry_run_no_cards_fetches_only_the_feed(tmp_path: Path, site: Site) -> None:
    result = CliRunner().invoke(cli, ["dry-run", "--config", str(config(tmp_path, site)), "--no-cards"])
    assert result.exit_code == 0, result.output
    assert site.paths == ["/feed.xml"]
    assert "Story number 3" in result.output


def test_dry_run_feed_option_needs_no_config(tmp_path: Path, site: Site) -> None:
    result = CliRunner().invoke(cli, ["dry-run", "--feed", f"http://127.0.0.1:{site.port}/feed.xml", "--all",
                                      "--no-cards", "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert len(plan["dispatches"]) == 3
    assert set(plan["dispatches"][0]["platforms"]) == {"x", "bluesky", "mastodon"}


def test_dry_run_reports_a_broken_feed_and_exits_1(tmp_path: Path, site: Site) -> None:
    path = config(tmp_path, site)
    path.write_text(path.read_text().replace("/feed.xml", "/nope.xml"), encoding="utf-8")
    site.feed = b"<html>not found page</html>"
    result = CliRunner().invoke(cli, ["dry-run", "--config", str(path), "--no-cards"])
    assert result.exit_code == 1
    assert f"http://127.0.0.1:{site.port}/nope.xml" in result.stderr
    assert "Traceback" not in result.output


def test_bundled_example_previews_all_three_platforms() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "config.toml"
    result = CliRunner().invoke(cli, ["dry-run", "--config", str(example), "--no-cards", "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert len(plan["dispatches"]) == 3
    for d in plan["dispatches"]:
        assert set(d["platforms"]) == {"x", "bluesky", "mastodon"}
        for p in d["platforms"].values():
            assert all(post["length"] <= post["limit"] for post in p["posts"])
    assert not (example.parent / "example-state.db").exists()


def test_mastodon_content_warning_is_on_every_post_and_counted(tmp_path: Path, site: Site) -> None:
    path = config(tmp_path, site)
    path.write_text(path.read_text().replace('instance = "http://127.0.0.1:9"',
                                             'instance = "http://127.0.0.1:9"\nspoiler_text = "Flood news"'))
    result = CliRunner().invoke(cli, ["dry-run", "--config", str(path), "--no-cards", "--format", "json"])
    assert result.exit_code == 0, result.output
    for d in json.loads(result.stdout)["dispatches"]:
        posts = d["platforms"]["mastodon"]["posts"]
        assert posts and all(p["spoiler_text"] == "Flood news" for p in posts)
        from syndicate.compose.length import mastodon_length

        assert all(p["length"] == mastodon_length(p["text"], "Flood news") for p in posts)
