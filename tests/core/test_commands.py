"""init, measure, release, quiet hours: the small commands and rules around the pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from core.feedgen import item, rss

from syndicate.cli import cli
from syndicate.commands.run import run_once
from syndicate.config import load_config
from syndicate.delivery import outbox
from syndicate.delivery.engine import Clock, deliver_due, in_quiet_hours
from syndicate.settings import DeliverySettings, Settings
from syndicate.store import Store


def test_init_writes_the_commented_example_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "syndicate.toml"
    first = CliRunner().invoke(cli, ["init", "--path", str(target)])
    assert first.exit_code == 0, first.output
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    assert target.read_text() == example.read_text()
    load_config(target)  # the starter config is valid as written
    again = CliRunner().invoke(cli, ["init", "--path", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_measure_prints_each_platform_and_reads_jsonl() -> None:
    text = "日本語のニュース https://example.org/a/very/long/path/that/x/counts/as/23 🇵🇹"
    one = CliRunner().invoke(cli, ["measure", text])
    assert one.exit_code == 0
    assert "x            43/280" in one.output  # 8 CJK × 2 + space + URL 23 + space + flag 2
    assert "mastodon     34/500" in one.output  # 8 + 1 + URL 23 + 1 + one grapheme
    lines = CliRunner().invoke(cli, ["measure", "--jsonl"],
                               input=json.dumps({"text": "a" * 300, "spoiler_text": "cw"}) + "\n\n")
    assert lines.exit_code == 0
    result = json.loads(lines.output)
    assert result["x"] == {"length": 300, "limit": 280, "valid": False}
    assert result["bluesky"] == {"length": 300, "bytes": 300, "limit": 300, "valid": True}
    assert result["mastodon"] == {"length": 302, "limit": 500, "valid": True}
    bad = CliRunner().invoke(cli, ["measure", "--jsonl"], input="not json\n")
    assert bad.exit_code == 1 and "stdin line 1" in bad.output


def _config(tmp_path: Path, extra: str = "", hold: bool = False) -> Settings:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([item(1), item(2)]))
    path = tmp_path / "syndicate.toml"
    path.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "feed.xml"
backfill = 2
hold = {str(hold).lower()}
[mastodon]
enabled = true
instance = "http://127.0.0.1:9"
{extra}
""")
    return load_config(path)


def test_a_held_feed_queues_and_release_frees_the_dispatch(tmp_path: Path) -> None:
    settings = _config(tmp_path, hold=True)
    run_once(settings, deliver=False)
    store = Store.open(settings.state_path)
    assert outbox.due_dispatches(store, "mastodon") == []  # held: queued, not due
    store.close()
    result = CliRunner().invoke(cli, ["release", "--config", str(settings.path), "guid-1"])
    assert "Released guid-1" in result.output
    store = Store.open(settings.state_path)
    assert outbox.due_dispatches(store, "mastodon") == ["guid-1"]
    store.close()
    status = CliRunner().invoke(cli, ["status", "--config", str(settings.path)])
    assert "Held for review: 1" in status.output and "[HELD]" in status.output
    assert "nope" in CliRunner().invoke(cli, ["release", "--config", str(settings.path), "nope"]).output


def test_quiet_hours_wrap_midnight_in_the_given_zone() -> None:
    s = Settings(path=None, state_path=Path("/x"), feeds=(),
                 delivery=DeliverySettings(quiet_hours=("22:00", "07:00"), timezone="Asia/Tokyo"))
    at = lambda h, m=0: datetime(2026, 11, 28, h, m, tzinfo=UTC).timestamp()  # noqa: E731
    assert in_quiet_hours(s, at(13))  # 22:00 in Tokyo
    assert in_quiet_hours(s, at(21, 59))  # 06:59 in Tokyo
    assert not in_quiet_hours(s, at(22))  # 07:00 in Tokyo
    assert not in_quiet_hours(s, at(3))  # noon in Tokyo


def test_quiet_hours_queue_and_never_drop(tmp_path: Path) -> None:
    settings = _config(tmp_path, extra='[delivery]\nquiet_hours = ["00:00", "23:59"]\ntimezone = "UTC"')
    run_once(settings, deliver=False)
    store = Store.open(settings.state_path)
    noon = datetime(2026, 11, 28, 12, tzinfo=UTC).timestamp()
    events = deliver_due(settings, store, publishers={}, clock=Clock(wall=lambda: noon))
    assert events == []
    assert outbox.due_dispatches(store, "mastodon") == ["guid-1", "guid-2"]  # still queued, in order
    store.close()
