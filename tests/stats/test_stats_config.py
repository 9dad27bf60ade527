"""[stats], [bluesky] appview and [x] stats/price_read: defaults, and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import parse_config
from syndicate.errors import ConfigError


def test_defaults() -> None:
    s = parse_config({}, path=Path("/c/s.toml"))
    assert (s.stats.enabled, s.stats.after, s.stats.window_days) == (True, (3600.0, 86400.0, 604800.0), 30.0)
    assert (s.x.stats, s.x.price_read) == (False, 0.005)
    assert s.bluesky.appview == "https://public.api.bsky.app"


def test_after_takes_durations_in_any_order() -> None:
    s = parse_config({"stats": {"after": ["7d", "90m", 7200]}}, path=Path("/c/s.toml"))
    assert s.stats.after == (5400.0, 7200.0, 604800.0)


@pytest.mark.parametrize(("raw", "key", "said"), [
    ({"stats": {"after": "1h"}}, "stats.after", "a list of durations"),
    ({"stats": {"after": []}}, "stats.after", "a list of durations"),
    ({"stats": {"after": ["soon"]}}, "stats.after", "duration"),
    ({"stats": {"window_days": 0}}, "stats.window_days", "above 0"),
    ({"stats": {"enabled": "yes"}}, "stats.enabled", "true or false"),
    ({"stats": {"windowdays": 3}}, "stats.windowdays", "did you mean 'window_days'"),
    ({"bluesky": {"appview": "ftp://x"}}, "bluesky.appview", ""),
    ({"x": {"stats": 1}}, "x.stats", "true or false"),
])
def test_mistakes_are_named(raw: dict[str, object], key: str, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(raw, path=Path("/c/s.toml"))
    message = str(err.value)
    assert "/c/s.toml" in message and key in message and said in message and "\n" not in message
