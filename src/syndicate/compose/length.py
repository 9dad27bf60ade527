"""Post length by each platform's own rule: X, Bluesky and Mastodon.

* **X** — twitter-text 3.1.0's ``parseTweet`` with config v3: the text is NFC
  normalised; code points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and
  U+2032–U+2037 weigh 1, everything else 2; every emoji sequence twemoji-parser
  finds weighs 2 in total; every URL twitter-text finds (with or without a
  scheme) weighs 23. Valid means 0 < length <= 280 and none of U+FFFE, U+FEFF,
  U+FFFF. URL and emoji rules live in `_xurls` and `_xemoji`.
* **Bluesky** — extended grapheme clusters (UAX #29) <= 300 and UTF-8 bytes
  <= 3000, counted on the text as sent (no normalisation), like @atproto/api.
* **Mastodon** — the server's StatusLengthValidator: grapheme clusters of
  spoiler_text followed by the text in which every URL *with a scheme* is
  replaced by ``url_length`` characters (the instance's
  characters_reserved_per_url) and every ``@user@domain`` by ``@user``;
  a blank text counts as empty. Limit: the instance's max_characters.

Everything is checked against vectors from the platforms' reference libraries
(tests/data/length_vectors.jsonl, made by tools/vectors/).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from syndicate.compose import _bsky_facets, _graphemes
from syndicate.compose._mastodon import countable_text
from syndicate.compose._xemoji import emoji_spans
from syndicate.compose._xurls import extract_urls
from syndicate.model import Limits

X_LIMIT = 280
BLUESKY_GRAPHEMES = 300
BLUESKY_BYTES = 3000
MASTODON_DEFAULT = 500
URL_WEIGHT = 23
EMOJI_WEIGHT = 2

# Characters outside twitter-text v3's weight-1 ranges weigh 2.
_HEAVY = re.compile("[^\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
_INVALID = re.compile("[\ufffe\ufeff\uffff]")


@dataclass(frozen=True)
class Measure:
    """A text's length by one platform's rule, that platform's limit, and whether it fits."""

    length: int
    limit: int
    valid: bool
    bytes: int | None = None  # Bluesky only


def graphemes(text: str) -> int:
    """Extended grapheme clusters (UAX #29, the `regex` module's current Unicode data)."""
    return _graphemes.count(text)


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _weight(s: str) -> int:
    """Weighted length of plain text (no URLs or emoji), in characters."""
    return len(s) if s.isascii() else len(s) + len(_HEAVY.findall(s))


def _x_count(text: str) -> tuple[int, bool]:
    t = _nfc(text)
    total = _weight(t)
    entities = [(u.start, 0, u.skip_end) for u in extract_urls(t)]
    entities += [(s, 1, e) for s, e in emoji_spans(t)]
    if entities:
        # twitter-text walks the text once; at each position a URL wins over an
        # emoji, and whatever starts inside a skipped entity is ignored.
        entities.sort()
        pos = 0
        for start, kind, end in entities:
            if start < pos:
                continue
            total += (URL_WEIGHT if kind == 0 else EMOJI_WEIGHT) - _weight(t[start:end])
            pos = end
    return total, _INVALID.search(t) is None


def x_length(text: str) -> int:
    """X's weighted length of `text` (twitter-text 3.1.0 parseTweet weightedLength)."""
    return _x_count(text)[0]


def x_urls(text: str) -> list[tuple[int, int, str]]:
    """URLs X links in `text`: (start, end, url) with code-point offsets into NFC(text).

    Includes scheme-less domains (``example.com/path``). For a scheme-less URL
    inside a longer non-ASCII domain, `url` is the ASCII part plus the path, as
    twitter-text reports it, and may be shorter than end - start.
    """
    return [(u.start, u.end, u.url) for u in extract_urls(_nfc(text))]


def bluesky_length(text: str) -> tuple[int, int]:
    """(grapheme clusters, UTF-8 bytes) of `text`, as @atproto/api's RichText counts them."""
    return graphemes(text), len(text.encode("utf-8", "surrogatepass"))


def bluesky_facet_spans(text: str) -> list[tuple[str, int, int, str]]:
    """Links, mentions and hashtags @atproto/api's detectFacetsWithoutResolution finds in `text`.

    Each is (kind, byte_start, byte_end, value) with UTF-8 byte offsets; kind is
    "link" (value: URI, ``https://`` added to bare domains), "mention" (value:
    handle, to be resolved to a DID) or "tag" (value: without '#'; cashtags
    are "$TICKER"). Sorted by start.
    """
    return _bsky_facets.facet_spans(text)


def mastodon_length(text: str, spoiler_text: str = "", *, url_length: int = URL_WEIGHT) -> int:
    """Mastodon's countable length of a status: spoiler_text + text, URLs as `url_length`."""
    return graphemes(spoiler_text + countable_text(text, url_length))


def measure(platform: str, text: str, *, limits: Limits | None = None, spoiler_text: str | None = None) -> Measure:
    """`text` measured by `platform`'s rule. `limits` only matters for Mastodon (instance limits)."""
    if platform == "x":
        n, ok = _x_count(text)
        return Measure(n, X_LIMIT, ok and 0 < n <= X_LIMIT)
    if platform == "bluesky":
        g, b = bluesky_length(text)
        return Measure(g, BLUESKY_GRAPHEMES, g <= BLUESKY_GRAPHEMES and b <= BLUESKY_BYTES, bytes=b)
    if platform == "mastodon":
        limit = limits.max_characters if limits else MASTODON_DEFAULT
        per_url = limits.characters_reserved_per_url if limits else URL_WEIGHT
        n = mastodon_length(text, spoiler_text or "", url_length=per_url)
        return Measure(n, limit, n <= limit)
    raise ValueError(f"unknown platform {platform!r}: expected 'x', 'bluesky' or 'mastodon'")


def measure_all(text: str, spoiler_text: str = "", *, mastodon_limits: Limits | None = None) -> dict[str, Any]:
    """All three platforms' measures as one JSON-ready dict (`syndicate measure --jsonl`).

    spoiler_text counts for Mastodon only.
    """
    x = measure("x", text)
    bsky = measure("bluesky", text)
    masto = measure("mastodon", text, limits=mastodon_limits, spoiler_text=spoiler_text)
    return {
        "x": {"length": x.length, "limit": x.limit, "valid": x.valid},
        "bluesky": {"length": bsky.length, "bytes": bsky.bytes, "limit": bsky.limit, "valid": bsky.valid},
        "mastodon": {"length": masto.length, "limit": masto.limit, "valid": masto.valid},
    }
