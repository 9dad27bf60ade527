"""Bluesky rich-text facets (links, hashtags, mentions) with UTF-8 byte offsets, and short link text.

Bluesky detects nothing server-side: a post's links, tags and mentions are
clickable only through facets whose ranges are UTF-8 *byte* offsets into the
final text. Detection is `length.bluesky_facet_spans` (which mirrors
`@atproto/api`'s `detectFacetsWithoutResolution` and is tested against its
vectors), so a post looks as if typed in the app. On top of it this module adds
the links the composer placed itself (the dispatch link or a body link, possibly
shown shortened): they are passed in explicitly and win over anything detected.

`short_url` reproduces the app's `toShortUrl`: no scheme, host + path, a path
longer than 15 characters cut to 13 and an ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

import regex

from syndicate.compose.length import bluesky_facet_spans
from syndicate.model import Facet

_SHORT_PATH = 15  # the app keeps paths up to this long; longer ones are cut to 13 + ellipsis


def short_url(url: str) -> str:
    """The link text the Bluesky app shows for `url`: "host/path…", no scheme, never cut mid-grapheme."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    path = "" if parts.path in ("", "/") else parts.path
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    # Show percent-encoded non-ASCII (a Japanese slug) as the reader would type it.
    decoded = unquote(path, errors="strict") if "%" in path else path
    if not regex.search(r"[\s\p{C}]", decoded):
        path = decoded
    clusters = regex.findall(r"\X", path)
    if len(clusters) > _SHORT_PATH:
        path = "".join(clusters[: _SHORT_PATH - 2]) + "…"
    return host + path


def detect_facets(text: str, links: Sequence[tuple[str, str]] = ()) -> tuple[Facet, ...]:
    """Facets for the final `text` of a post, sorted by position, never overlapping.

    `links` are (shown text, uri) pairs the composer placed: every occurrence of
    the shown text becomes a link to uri. Then what the Bluesky app detects
    (`length.bluesky_facet_spans`) is added where it overlaps none of those.
    Mentions carry the handle (the publisher resolves it to a DID); tags carry
    the tag without '#' (a cashtag is "$TICKER", as the app makes it).
    """
    raw = text.encode("utf-8", "surrogatepass")
    found: list[tuple[int, int, str, str]] = []  # (byte start, byte end, kind, value)
    for shown, uri in links:
        needle = shown.encode("utf-8", "surrogatepass")
        if not needle:
            continue
        pos = raw.find(needle)
        while pos >= 0:
            found.append((pos, pos + len(needle), "link", uri))
            pos = raw.find(needle, pos + len(needle))
    found.extend((start, end, kind, value) for kind, start, end, value in _detected(text))
    kept: list[tuple[int, int, str, str]] = []
    for span in found:  # the composer's links come first and win over overlapping detections
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    kept.sort()
    return tuple(Facet(kind, start, end, value) for start, end, kind, value in kept)


def find_links(text: str) -> list[tuple[int, int, str]]:
    """(start, end, uri) of each link the Bluesky app would detect in `text` (code-point indices)."""
    raw = text.encode("utf-8", "surrogatepass")
    return [
        (_char_index(raw, start), _char_index(raw, end), uri)
        for kind, start, end, uri in _detected(text)
        if kind == "link"
    ]


def _detected(text: str) -> list[tuple[str, int, int, str]]:
    """`bluesky_facet_spans`, every link URI with a scheme."""
    # @atproto/api only checks startsWith('http'), so "httpfoo.com" keeps no scheme; a facet URI
    # without one fails the lexicon's `uri` format and the PDS would refuse the whole post.
    return [
        (kind, start, end, value if kind != "link" or value.startswith(("http://", "https://")) else "https://" + value)
        for kind, start, end, value in bluesky_facet_spans(text)
    ]


def _char_index(raw: bytes, byte_index: int) -> int:
    return len(raw[:byte_index].decode("utf-8", "surrogatepass"))
