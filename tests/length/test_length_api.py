"""The public surface of compose.length that the composer and CLI call."""

from __future__ import annotations

import json

import pytest

from syndicate.compose import length
from syndicate.model import Limits


def test_measure_all_shape() -> None:
    out = length.measure_all("Hi @bob@example.social https://example.com/a 🇫🇷", "CW")
    assert set(out) == {"x", "bluesky", "mastodon"}
    assert set(out["x"]) == {"length", "limit", "valid"}
    assert set(out["bluesky"]) == {"length", "bytes", "limit", "valid"}
    assert set(out["mastodon"]) == {"length", "limit", "valid"}
    # twitter-text says 49: "Hi @bob@example.social " (no URL after '@') + 23 + " " + flag 2.
    assert out["x"] == {"length": 49, "limit": 280, "valid": True}
    assert out["bluesky"]["bytes"] == len("Hi @bob@example.social https://example.com/a 🇫🇷".encode())
    # The spoiler counts for Mastodon only.
    assert out["mastodon"]["length"] == len("CW") + len("Hi @bob ") + 23 + 1 + 1
    assert length.measure_all("Hi @bob@example.social https://example.com/a 🇫🇷")["mastodon"]["length"] == 8 + 23 + 2
    json.dumps(out)  # JSON-ready


def test_measure_all_takes_the_instance_limits() -> None:
    out = length.measure_all("a" * 600, mastodon_limits=Limits(max_characters=1000))
    assert out["mastodon"] == {"length": 600, "limit": 1000, "valid": True}
    assert out["x"]["valid"] is False and out["bluesky"]["valid"] is False


def test_bluesky_counts_graphemes_and_bytes() -> None:
    family = "👨‍👩‍👧‍👦"
    assert length.bluesky_length(family * 120) == (120, 3000)
    m = length.measure("bluesky", family * 121)
    assert (m.length, m.bytes, m.valid) == (121, 3025, False)  # under 300 graphemes, over 3000 bytes
    assert length.measure("bluesky", "g" * 300).valid and not length.measure("bluesky", "g" * 301).valid
    assert length.graphemes("a\r\nb") == 3


def test_unknown_platform_is_named() -> None:
    with pytest.raises(ValueError, match="threads"):
        length.measure("threads", "hi")


def test_constants() -> None:
    assert (length.X_LIMIT, length.BLUESKY_GRAPHEMES, length.BLUESKY_BYTES) == (280, 300, 3000)
    assert (length.MASTODON_DEFAULT, length.URL_WEIGHT) == (500, 23)
