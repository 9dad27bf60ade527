"""Post text → segments (plain text, link, hashtag, mention) for the HTML preview.

Each network makes different spans of the same text clickable, and this module
says which, so the preview highlights exactly those:

* Bluesky detects nothing: only the post's facets link, and their offsets are
  UTF-8 *byte* offsets, so the text is sliced as bytes.
* X detects URLs with a scheme and bare domains (`example.com/path`), `#tags`
  and `@users` (not `@user@server`), and shows links without their scheme,
  cut after about 26 characters with an ellipsis.
* Mastodon detects URLs with a scheme only, `#tags`, `@user` and
  `@user@server` (shown as `@user`), and shows links without `https://www.`,
  cut after 30 characters with an ellipsis.

A segment's `text` is always exactly the characters of the post it covers, so
the concatenated segments give back the post; shortening is presentation only
(hidden spans plus a CSS ellipsis), as on the networks' own web pages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import regex

from syndicate.compose.length import x_urls

_IMAGE_DATA_PREFIXES = ("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp")
MASTODON_FALLBACK_INSTANCE = "mastodon.social"  # only when the config names no account
X_DISPLAY_CHARS = 26  # approximately where X cuts a link's display_url
MASTODON_DISPLAY_CHARS = 30  # Mastodon's TextFormatter: url[prefix.length, 30]


@dataclass(frozen=True)
class Segment:
    kind: str  # "text" | "link" | "tag" | "mention"
    text: str  # exactly the post's characters for this span
    href: str | None = None  # None: highlighted by nobody, or not a safe link
    hidden_before: str = ""  # the start of `text` the network hides (a link's scheme)
    shown: str = ""  # the part the network shows
    hidden_after: str = ""  # the end it hides (a long link's tail, a mention's @server)
    ellipsis: bool = False  # the network draws "…" after `shown`
    title: str | None = None


def safe_href(url: str) -> str | None:
    """`url` if a link to it is harmless (http or https with a host), else None."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def safe_src(url: str) -> str | None:
    """`url` if an <img> may load it: http(s), or an inline raster image (data: URI)."""
    if url.strip().lower().startswith(_IMAGE_DATA_PREFIXES):
        return url.strip()
    return safe_href(url)


def hashtag_href(platform: str, tag: str, instance: str | None = None) -> str:
    if platform == "x":
        return f"https://x.com/hashtag/{quote(tag)}"
    if platform == "bluesky":
        return f"https://bsky.app/hashtag/{quote(tag)}"
    return f"https://{instance or MASTODON_FALLBACK_INSTANCE}/tags/{quote(tag)}"


# --- Bluesky: facets ---------------------------------------------------------------------------


def from_facets(text: str, facets: Sequence[Mapping[str, Any]]) -> tuple[list[Segment], list[str]]:
    """Split a Bluesky post at its facets' byte ranges; returns the segments and notes on bad facets."""
    data = text.encode("utf-8")
    segments: list[Segment] = []
    notes: list[str] = []
    cursor = 0
    for n, facet in sorted(enumerate(facets, 1), key=lambda f: _byte(f[1], "byteStart")):
        kind, value = facet.get("type"), facet.get("value")
        start, end = _byte(facet, "byteStart"), _byte(facet, "byteEnd")
        problem = _facet_problem(data, kind, start, end, value, cursor)
        if problem:
            notes.append(f"facet {n} ({kind}, bytes {start}–{end}) not rendered: {problem}")
            continue
        assert isinstance(value, str)
        if start > cursor:
            segments.append(Segment("text", data[cursor:start].decode("utf-8")))
        covered = data[start:end].decode("utf-8")
        if kind == "link":
            href = safe_href(value)
            if href is None:
                notes.append(f"facet {n}: link to {value!r} is not http(s), so it is not made clickable")
            segments.append(Segment("link", covered, href, shown=covered, title=value))
        elif kind == "tag":
            segments.append(Segment("tag", covered, hashtag_href("bluesky", value), shown=covered))
        else:
            segments.append(Segment("mention", covered, f"https://bsky.app/profile/{quote(value)}", shown=covered))
        cursor = end
    if cursor < len(data):
        segments.append(Segment("text", data[cursor:].decode("utf-8")))
    return segments, notes


def _byte(facet: Mapping[str, Any], key: str) -> int:
    value = facet.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _facet_problem(data: bytes, kind: Any, start: int, end: int, value: Any, cursor: int) -> str | None:
    if kind not in ("link", "tag", "mention"):
        return f"unknown type {kind!r}"
    if not isinstance(value, str) or not value:
        return "no value"
    if not 0 <= start < end <= len(data):
        return f"range outside the text ({len(data)} bytes)"
    if start < cursor:
        return "overlaps the facet before it"
    # A UTF-8 continuation byte (10xxxxxx) at either edge means the range cuts a character.
    if data[start] & 0xC0 == 0x80 or (end < len(data) and data[end] & 0xC0 == 0x80):
        return "range cuts a character in half"
    return None


# --- X and Mastodon: detected by the network -------------------------------------------------------

_SCHEME_URL = regex.compile(r"(?<![\w@])https?://[^\s<>\"]+", regex.IGNORECASE)
_X_TAG = regex.compile(r"(?<![\p{L}\p{M}\p{Nd}_&])[#＃]([\p{L}\p{M}\p{Nd}_]+)")
_X_MENTION = regex.compile(r"(?<![A-Za-z0-9_!#$%&*@＠])[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@＠])")
_M_TAG = regex.compile(r"(?<![=/)\p{L}\p{N}_])#([\p{L}\p{M}\p{N}_]+)")
_M_MENTION = regex.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@(\w+(?:[.-]+\w+)*))?", regex.IGNORECASE
)
_MASTODON_HIDDEN_PREFIX = regex.compile(r"^https?://(?:www\.)?", regex.IGNORECASE)
_SCHEME = regex.compile(r"^https?://", regex.IGNORECASE)
_TRAILING = ".,:;!?'\"…"


def x_segments(text: str) -> list[Segment]:
    """The spans X makes clickable: URLs (with or without scheme), #hashtags, @mentions."""
    spans = []
    for s, e, url in _x_url_spans(text):
        covered = text[s:e]
        href = url if _SCHEME.match(url) else "https://" + url
        spans.append(((s, e), _shortened(covered, href, _SCHEME, X_DISPLAY_CHARS)))

    def rest(chunk: str) -> list[Segment]:
        return _tags_and_mentions(chunk, _X_TAG, _X_MENTION, _x_tag, _x_mention)

    return _weave(text, spans, rest)


def mastodon_segments(text: str, *, instance: str | None) -> list[Segment]:
    """The spans Mastodon makes clickable: URLs with a scheme, #hashtags, @user and @user@server."""
    spans = []
    for m in _SCHEME_URL.finditer(text):
        s, e = m.start(), _trim(text, m.start(), m.end())
        spans.append(((s, e), _shortened(text[s:e], text[s:e], _MASTODON_HIDDEN_PREFIX, MASTODON_DISPLAY_CHARS)))

    def tag(name: str, matched: str) -> Segment | None:
        return Segment("tag", matched, hashtag_href("mastodon", name, instance), shown=matched)

    def mention(m: regex.Match[str]) -> Segment | None:
        user, server = m.group(1), m.group(2)
        home = server or instance or MASTODON_FALLBACK_INSTANCE
        href = f"https://{home}/@{quote(user)}"
        at_user = m.group(0)[: 1 + len(user)]
        whole = m.group(0)
        return Segment("mention", whole, href, shown=at_user, hidden_after=whole[len(at_user) :], title=whole)

    return _weave(text, spans, lambda chunk: _tags_and_mentions(chunk, _M_TAG, _M_MENTION, tag, mention))


def _x_tag(name: str, matched: str) -> Segment | None:
    return Segment("tag", matched, hashtag_href("x", name), shown=matched)


def _x_mention(m: regex.Match[str]) -> Segment | None:
    return Segment("mention", m.group(0), f"https://x.com/{m.group(1)}", shown=m.group(0))


def _shortened(covered: str, href: str, hidden: regex.Pattern[str], keep: int) -> Segment:
    prefix_match = hidden.match(covered)
    prefix = prefix_match.group(0) if prefix_match else ""
    body = covered[len(prefix) :]
    return Segment(
        "link",
        covered,
        safe_href(href),
        hidden_before=prefix,
        shown=body[:keep],
        hidden_after=body[keep:],
        ellipsis=len(body) > keep,
        title=href,
    )


def _weave(
    text: str, links: Iterable[tuple[tuple[int, int], Segment]], between: Callable[[str], list[Segment]]
) -> list[Segment]:
    """Link segments at their spans, and `between` applied to the text around them."""
    out: list[Segment] = []
    cursor = 0
    for (s, e), seg in links:
        if s < cursor:
            continue
        out += between(text[cursor:s])
        out.append(seg)
        cursor = e
    out += between(text[cursor:])
    return out


def _tags_and_mentions(
    chunk: str,
    tag_re: regex.Pattern[str],
    mention_re: regex.Pattern[str],
    tag: Callable[[str, str], Segment | None],
    mention: Callable[[regex.Match[str]], Segment | None],
) -> list[Segment]:
    found: list[tuple[int, int, Segment]] = []
    for m in tag_re.finditer(chunk):
        name = m.group(1)
        after = chunk[m.end() : m.end() + 3]
        # Both networks need a letter in a tag (#2024 is not one); X refuses "#tag#" and "#tag://".
        if regex.search(r"\p{L}", name) and not after.startswith(("#", "＃", "://")):
            seg = tag(name, m.group(0))
            if seg:
                found.append((m.start(), m.end(), seg))
    for m in mention_re.finditer(chunk):
        seg = mention(m)
        if seg and not any(s < m.end() and m.start() < e for s, e, _ in found):
            found.append((m.start(), m.end(), seg))
    out: list[Segment] = []
    cursor = 0
    for s, e, seg in sorted(found, key=lambda f: f[0]):
        if s > cursor:
            out.append(Segment("text", chunk[cursor:s]))
        out.append(seg)
        cursor = e
    if cursor < len(chunk):
        out.append(Segment("text", chunk[cursor:]))
    return out


def _trim(text: str, start: int, end: int) -> int:
    """Drop trailing punctuation from a URL match, and a ")" that closes nothing inside the URL."""
    while end > start:
        last = text[end - 1]
        if last in _TRAILING or (last == ")" and text[start:end].count("(") < text[start:end].count(")")):
            end -= 1
        else:
            return end
    return end


def _x_url_spans(text: str) -> list[tuple[int, int, str]]:
    """Where X finds URLs, as (start, end, url): twitter-text's rules (`compose.length.x_urls`), the ones
    posts are measured by, mapped back onto the post's own characters.

    X works on NFC(text) (so do x_urls' offsets); a post that is not NFC is mapped through the NFC
    length of each of its prefixes, exact at every boundary where normalization does not merge across.
    """
    found = x_urls(text)
    if unicodedata.is_normalized("NFC", text):
        return sorted(found)
    back: dict[int, int] = {}
    for i in range(len(text) + 1):
        back.setdefault(len(unicodedata.normalize("NFC", text[:i])), i)
    return sorted((back[s], back[e], url) for s, e, url in found if s in back and e in back)
