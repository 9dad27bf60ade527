"""Post length by each platform's own rule.

PROVISIONAL STUB: signatures are final, the X and Mastodon URL handling is
approximate until the exact implementation (checked against twitter-text and
@atproto/api vectors) replaces it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

from syndicate.model import Limits

X_LIMIT = 280
BLUESKY_GRAPHEMES = 300
BLUESKY_BYTES = 3000
MASTODON_DEFAULT = 500
URL_WEIGHT = 23

_URL = regex.compile(r"https?://\S+")


@dataclass(frozen=True)
class Measure:
    length: int
    limit: int
    valid: bool
    bytes: int | None = None  # Bluesky only


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


def x_length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for m in _URL.finditer(text):
        total += _x_weight(text[pos : m.start()]) + URL_WEIGHT
        pos = m.end()
    return total + _x_weight(text[pos:])


def _x_weight(s: str) -> int:
    w = 0
    for ch in s:
        cp = ord(ch)
        light = cp <= 0x10FF or 0x2000 <= cp <= 0x200D or 0x2010 <= cp <= 0x201F or 0x2032 <= cp <= 0x2037
        w += 1 if light else 2
    return w


def bluesky_length(text: str) -> tuple[int, int]:
    return graphemes(text), len(text.encode("utf-8"))


def mastodon_length(text: str, spoiler_text: str = "", *, url_length: int = URL_WEIGHT) -> int:
    total = graphemes(spoiler_text)
    pos = 0
    for m in _URL.finditer(text):
        total += graphemes(text[pos : m.start()]) + url_length
        pos = m.end()
    return total + graphemes(text[pos:])


def measure(platform: str, text: str, *, limits: Limits | None = None, spoiler_text: str | None = None) -> Measure:
    if platform == "x":
        n = x_length(text)
        return Measure(n, X_LIMIT, n <= X_LIMIT)
    if platform == "bluesky":
        g, b = bluesky_length(text)
        return Measure(g, BLUESKY_GRAPHEMES, g <= BLUESKY_GRAPHEMES and b <= BLUESKY_BYTES, bytes=b)
    if platform == "mastodon":
        limit = limits.max_characters if limits else MASTODON_DEFAULT
        per_url = limits.characters_reserved_per_url if limits else URL_WEIGHT
        n = mastodon_length(text, spoiler_text or "", url_length=per_url)
        return Measure(n, limit, n <= limit)
    raise ValueError(f"unknown platform {platform!r}")
