"""Every feed in tests/data/feeds/ parses to the ParsedFeed in its `<name>.expected.json`.

Each fixture `x.<ext>` is parsed as if fetched from https://fixtures.example/feeds/x.<ext>
(so relative links have somewhere to resolve). To add one, drop the feed in, run
this module with SYNDICATE_REGEN_FIXTURES=1, then READ the new expected file
before committing it: it is only a test once a person has checked it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from syndicate.model import Dispatch
from syndicate.watch.parse import ParsedFeed, parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
BASE = "https://fixtures.example/feeds/"


def _as_json(feed: ParsedFeed) -> dict[str, Any]:
    def dispatch(d: Any) -> dict[str, Any]:
        out = dataclasses.asdict(d)
        out["tags"] = list(d.tags)
        out["published"] = d.published.isoformat() if d.published else None
        return out

    return {"title": feed.title, "language": feed.language, "link": feed.link,
            "dispatches": [dispatch(d) for d in feed.dispatches]}


def _pairs() -> list[Path]:
    return sorted(p for p in FEEDS.iterdir() if p.is_file() and not p.name.endswith(".expected.json"))


@pytest.mark.parametrize("feed_path", _pairs(), ids=lambda p: p.name)
def test_fixture_matches_expected(feed_path: Path) -> None:
    expected_path = feed_path.with_name(feed_path.name.rsplit(".", 1)[0] + ".expected.json")
    parsed = parse_feed(feed_path.read_bytes(), url=BASE + feed_path.name, feed_name=feed_path.stem)
    actual = _as_json(parsed)
    if os.environ.get("SYNDICATE_REGEN_FIXTURES"):
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert expected_path.exists(), f"{expected_path.name} is missing (see the module docstring)"
    assert actual == json.loads(expected_path.read_text("utf-8"))


def test_fixtures_cover_every_dispatch_field() -> None:
    """Across the fixtures, every Dispatch field is non-empty somewhere (so each rule is tested)."""
    filled: set[str] = set()
    for expected in FEEDS.glob("*.expected.json"):
        for d in json.loads(expected.read_text("utf-8"))["dispatches"]:
            filled |= {k for k, v in d.items() if v}
    assert filled == {f.name for f in dataclasses.fields(Dispatch)}
