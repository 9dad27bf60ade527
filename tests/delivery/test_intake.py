"""The intake end to end (issue 9, part A): entries identified per feed, one article posted once,
a run that can post nowhere consumes nothing. Real `run` against the fake Mastodon on loopback;
what counts is what the *server* stored."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from delivery_support import MASTODON_CANARY, cli_env, run_cli, set_env
from fakes.mastodon_api import FakeMastodon
from pds.harness import PdsHandle

from syndicate.cli import cli
from syndicate.commands.run import run_once
from syndicate.config import load_config

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def json_feed(title: str, items: list[tuple[str, str, str]]) -> str:
    """A JSON Feed; items are (id, url, title), the i-th published i hours after T0."""
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": title,
        "items": [{"id": i, "url": url, "title": t, "content_text": f"{t}. A short report.",
                   "date_published": (T0 + timedelta(hours=n)).isoformat()}
                  for n, (i, url, t) in enumerate(items, start=1)],
    })


def write_config(tmp: Path, feeds: dict[str, str], *, mastodon: str | None,
                 platforms: dict[str, list[str]] | None = None, backfill: int = 5) -> Path:
    """Feeds: name → JSON Feed text (written beside the config)."""
    lines = ["[state]", 'path = "state.db"', ""]
    for name, text in feeds.items():
        (tmp / f"{name}.json").write_text(text, encoding="utf-8")
        lines += ["[[feeds]]", f'url = "{name}.json"', f'name = "{name}"', f"backfill = {backfill}"]
        if platforms and name in platforms:
            lines.append("platforms = [" + ", ".join(f'"{p}"' for p in platforms[name]) + "]")
        lines.append("")
    if mastodon:
        lines += ["[mastodon]", "enabled = true", f'instance = "{mastodon}"', ""]
    lines += ["[compose]", 'mode = "teaser"', "cards = false", "hashtags = false", ""]
    lines += ["[delivery]", "max_posts_per_run = 10", ""]
    path = tmp / "syndicate.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def mastodon(monkeypatch: pytest.MonkeyPatch, mastodon_fake: FakeMastodon) -> Iterator[FakeMastodon]:
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    yield mastodon_fake


def texts(fake: FakeMastodon) -> list[str]:
    return [s.text for s in fake.statuses]


def test_two_feeds_whose_entries_share_ids_both_post(tmp_path: Path, mastodon: FakeMastodon) -> None:
    a = json_feed("A", [("1", "https://a.example/one", "Alpha one"), ("2", "https://a.example/two", "Alpha two")])
    b = json_feed("B", [("1", "https://b.example/one", "Bravo one"), ("2", "https://b.example/two", "Bravo two")])
    config = write_config(tmp_path, {"alpha": a, "bravo": b}, mastodon=mastodon.base_url)
    report = run_once(load_config(config))
    assert report.exit_code == 0, report.lines(verbose=1)
    posted = texts(mastodon)
    for title in ("Alpha one", "Alpha two", "Bravo one", "Bravo two"):
        assert sum(title in t for t in posted) == 1, (title, posted)
    conn = sqlite3.connect(tmp_path / "state.db")
    ids = sorted(r[0] for r in conn.execute("SELECT id FROM dispatches"))
    keys = {r[0] for r in conn.execute("SELECT key FROM parts")}
    assert len(ids) == 4 and len(keys) == 4  # unique dispatch ids, so unique idempotency keys
    assert {"1", "2"} <= set(ids) and all(i in ("1", "2") or i[:2] in ("1~", "2~") for i in ids), ids
    assert all(len(i) <= 8 for i in ids)  # short enough to type in `syndicate release ID`
    again = run_once(load_config(config))  # nothing is new the second time
    assert again.accepted == 0 and len(mastodon.statuses) == 4


def test_one_article_in_two_feeds_posts_once(tmp_path: Path, mastodon: FakeMastodon) -> None:
    a = json_feed("A", [("a-7", "https://news.example/story?utm_source=a", "Shared story")])
    b = json_feed("B", [("b-99", "https://news.example/story", "Shared story (section feed)")])
    config = write_config(tmp_path, {"alpha": a, "bravo": b}, mastodon=mastodon.base_url)
    run_once(load_config(config))
    assert len(mastodon.statuses) == 1, texts(mastodon)
    # A later pass, the article now only in the second feed under yet another id: still once.
    (tmp_path / "bravo.json").write_text(json_feed("B", [("b-100", "https://news.example/story", "Shared")]))
    run_once(load_config(config))
    assert len(mastodon.statuses) == 1, texts(mastodon)


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir()) if p.is_file()}


def test_a_run_with_no_network_enabled_exits_2_and_changes_nothing(tmp_path: Path,
                                                                  mastodon: FakeMastodon) -> None:
    feed = json_feed("A", [(f"e{i}", f"https://a.example/{i}", f"Entry {i}") for i in range(1, 4)])
    config = write_config(tmp_path, {"alpha": feed}, mastodon=None, backfill=1)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "no network is enabled" in result.output and "enabled = true" in result.output
    assert "[mastodon]" in result.output and str(config) in result.output
    assert "Traceback" not in result.output
    assert _snapshot(tmp_path) == before  # no state file, no lock file, nothing
    assert not (tmp_path / "state.db").exists()
    # Enabling a network afterwards posts the newest entry (backfill = 1), as a first run would.
    config = write_config(tmp_path, {"alpha": feed}, mastodon=mastodon.base_url, backfill=1)
    assert run_once(load_config(config)).exit_code == 0
    assert len(mastodon.statuses) == 1 and "Entry 3" in mastodon.statuses[0].text


def test_an_existing_state_file_is_untouched_when_no_network_is_enabled(tmp_path: Path,
                                                                        mastodon: FakeMastodon) -> None:
    feed = json_feed("A", [("e1", "https://a.example/1", "Entry 1")])
    config = write_config(tmp_path, {"alpha": feed}, mastodon=mastodon.base_url, backfill=1)
    run_once(load_config(config))
    (tmp_path / "alpha.json").write_text(json_feed("A", [("e1", "https://a.example/1", "Entry 1"),
                                                         ("e2", "https://a.example/2", "Entry 2")]))
    config = write_config(tmp_path, {"alpha": (tmp_path / "alpha.json").read_text()}, mastodon=None)
    before = _snapshot(tmp_path)
    result = run_cli(config, "run", env=cli_env())  # the installed console script, as cron runs it
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no network is enabled" in result.stderr
    assert _snapshot(tmp_path) == before
    config = write_config(tmp_path, {"alpha": (tmp_path / "alpha.json").read_text()}, mastodon=mastodon.base_url)
    run_once(load_config(config))
    assert [("Entry 2" in t) for t in texts(mastodon)] == [False, True]  # e2 was not consumed


def test_a_feed_whose_platforms_are_all_disabled_consumes_nothing(tmp_path: Path, mastodon: FakeMastodon) -> None:
    feed = json_feed("A", [(f"e{i}", f"https://a.example/{i}", f"Entry {i}") for i in range(1, 4)])
    other = json_feed("B", [("b1", "https://b.example/1", "Bravo 1")])
    config = write_config(tmp_path, {"alpha": feed, "bravo": other}, mastodon=mastodon.base_url,
                          platforms={"alpha": ["bluesky"]}, backfill=1)
    report = run_once(load_config(config))
    lines = report.lines()  # what cron mails, without -v
    assert any("alpha" in line and "not posted" in line and "bluesky" in line for line in lines), lines
    assert len(mastodon.statuses) == 1 and "Bravo 1" in mastodon.statuses[0].text  # the other feed posts
    conn = sqlite3.connect(tmp_path / "state.db")
    assert conn.execute("SELECT COUNT(*) FROM entries WHERE feed_url LIKE '%alpha.json' AND reason = 'queued'"
                        ).fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM feeds WHERE url LIKE '%alpha.json'").fetchone()[0] == 0
    conn.close()
    # The feed now selects an enabled network: its newest entry goes out (backfill rule), once.
    config = write_config(tmp_path, {"alpha": feed, "bravo": other}, mastodon=mastodon.base_url,
                          platforms={"alpha": ["mastodon"]}, backfill=1)
    run_once(load_config(config))
    run_once(load_config(config))
    alpha = [t for t in texts(mastodon) if "Entry" in t]
    assert len(alpha) == 1 and "Entry 3" in alpha[0], alpha


def test_release_and_retry_of_an_unknown_id_exit_2_naming_it(tmp_path: Path, mastodon: FakeMastodon) -> None:
    feed = json_feed("A", [("e1", "https://a.example/1", "Entry 1")])
    config = write_config(tmp_path, {"alpha": feed}, mastodon=mastodon.base_url)
    run_once(load_config(config))
    for command in ("release", "retry"):
        result = CliRunner().invoke(cli, [command, "--config", str(config), "no-such-id-42"])
        assert result.exit_code == 2, (command, result.output)
        assert "no-such-id-42" in result.output and "Traceback" not in result.output
    known = CliRunner().invoke(cli, ["retry", "--config", str(config), "e1"])
    assert known.exit_code == 0 and "Nothing to retry" in known.output


def test_read_only_commands_never_create_a_state_file(tmp_path: Path) -> None:
    feed = json_feed("A", [("e1", "https://a.example/1", "Entry 1")])
    config = write_config(tmp_path, {"alpha": feed}, mastodon="http://127.0.0.1:9")
    text = config.read_text().replace('path = "state.db"', 'path = "typo-dir/state.db"')
    config.write_text(text)
    before = _snapshot(tmp_path)
    for command in ("release", "retry"):
        result = CliRunner().invoke(cli, [command, "--config", str(config), "e1"])
        assert result.exit_code == 2, (command, result.output)
        assert "no state file" in result.output and "typo-dir" in result.output
    status = CliRunner().invoke(cli, ["status", "--config", str(config)])
    assert status.exit_code == 0 and "not created yet" in status.output
    dry = CliRunner().invoke(cli, ["dry-run", "--no-cards", "--config", str(config)])
    assert dry.exit_code == 0, dry.output
    assert not (tmp_path / "typo-dir").exists()
    assert _snapshot(tmp_path) == before


def test_time_spent_on_cards_counts_against_the_run_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           pds: PdsHandle) -> None:
    """Card fetches and delivery share `[delivery] max_run_seconds`: a run whose cards used it all
    queues the dispatch and leaves posting to the next run (virtual time: the card page moves it on)."""
    from core.feedgen import item, rss
    from delivery_support import VirtualClock
    from test_crash import bluesky_posts
    from watch.feedserver import FeedServer, Reply, Seen, conditional

    clock = VirtualClock()
    page = b'<html><head><meta property="og:title" content="Card"></head></html>'

    def slow_page(seen: Seen) -> Reply:
        clock.jump(31)  # this page "took" longer than the whole run's budget
        return Reply(200, page, headers={"Content-Type": "text/html"})

    account = pds.accounts["alice"]
    set_env(monkeypatch, cli_env(bluesky=account.password))
    with FeedServer() as server:
        body = rss([item(1, guid="budget-1", link=server.url("/article"), title="Budget dispatch cardtime")])
        server.route("/feed.xml", conditional(lambda: body))
        server.route("/article", slow_page)
        config = tmp_path / "syndicate.toml"
        config.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "{server.url('/feed.xml')}"
[bluesky]
enabled = true
service = "{pds.url}"
handle = "{account.handle}"
[compose]
mode = "teaser"
cards = true
hashtags = false
[delivery]
max_run_seconds = 30
""", encoding="utf-8")
        first = run_once(load_config(config), clock=clock.deliver_clock())
        assert first.accepted == 1 and first.exit_code == 0
        assert bluesky_posts(pds, account.did, "cardtime") == []  # no time was left to post
        conn = sqlite3.connect(tmp_path / "state.db")
        assert [r[0] for r in conn.execute("SELECT state FROM parts")] == ["planned"]  # queued, not lost
        conn.close()
        server.route("/article", Reply(200, page, headers={"Content-Type": "text/html"}))
        run_once(load_config(config), clock=clock.deliver_clock())
    assert len(bluesky_posts(pds, account.did, "cardtime")) == 1
