"""Bluesky facet detection as @atproto/api's RichText.detectFacetsWithoutResolution does it.

Bluesky's servers detect nothing; the app (and @atproto/api) find links,
mentions and hashtags client-side. Observed rules, reproduced here:

* A detection starts at the text's start, after whitespace (JavaScript's \\s),
  or — for mentions, links and cashtags — after '('.
* Mention: '@' + ASCII letters, digits, '.', '-' up to a word boundary; kept
  only if it ends in '.' + a TLD from the npm `tlds` list (case-sensitive)
  or in '.test'. Its value is the handle (resolved to a DID later).
* Link: ``http(s)://`` (any case) + non-space characters; or a bare domain
  (ASCII letter first) + non-space characters, kept only if the domain's TLD
  is listed, and then given ``https://``. A text that only *starts* with the
  lower-case letters "http" counts as a full URI as it is, and one with an
  upper-case scheme is dropped: @atproto/api checks ``startsWith('http')``.
  One trailing '.', ',', ';', ':', '!' or '?' is cut, then one ')' if the URI
  has no '('.
* Hashtag: '#' or '＃' + a run of non-space characters (stopping at soft
  hyphens and zero-width characters) holding something other than digits
  and punctuation, not starting with U+FE0F; trailing punctuation is cut;
  at most 64 graphemes.
* Cashtag: '$' + a letter and up to 4 letters or digits, followed by space,
  the end or one of ``.,;:!?)"'’``; a tag facet with value '$' + upper case.

Facets come in detection order (mentions, links, tags, cashtags), stably
sorted by start. Offsets are UTF-8 byte offsets.
"""

from __future__ import annotations

import functools
import re

import regex

from syndicate.compose import _graphemes
from syndicate.compose._bsky_tlds import TLDS

MAX_TAG_GRAPHEMES = 64

# JavaScript's \s.
_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ZERO_WIDTH = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_MENTION = re.compile(rf"(?:^|[{_SPACE}(])@([a-zA-Z0-9.-]+)(?a:\b)")
_URL = re.compile(
    rf"(?:^|[{_SPACE}(])((?:[hH][tT][tT][pP][sS]?://[^{_SPACE}]+)"
    rf"|(?P<domain>[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)+)[^{_SPACE}]*)"
)
_TAG = regex.compile(
    rf"(?:^|[{_SPACE}])[#＃]((?!\ufe0f)[^{_SPACE}{_ZERO_WIDTH}]*"
    rf"[^0-9{_SPACE}\p{{P}}{_ZERO_WIDTH}]+[^{_SPACE}{_ZERO_WIDTH}]*)?"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+\Z")
_CASHTAG = re.compile(rf"(?:^|[{_SPACE}(])\$([A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_SPACE}]|\Z|[.,;:!?)\"'\u2019])")


@functools.cache
def _tlds() -> frozenset[str]:
    return frozenset(TLDS)


def _valid_domain(name: str) -> bool:
    """Ends in '.' + a listed TLD (as @atproto/api's isValidDomain, case-sensitive)."""
    head, dot, tld = name.rpartition(".")
    return bool(dot) and tld in _tlds()


def _utf16_len(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-16-le", "surrogatepass")) // 2


def facet_spans(text: str) -> list[tuple[str, int, int, str]]:
    """(kind, byte_start, byte_end, value) for each facet @atproto/api would detect in `text`.

    kind is "mention" (value: handle), "link" (value: URI) or "tag" (value: tag
    without '#', or '$TICKER' for a cashtag).
    """
    found: list[tuple[str, int, int, str]] = []  # code-point offsets until the end
    if "@" in text:
        for m in _MENTION.finditer(text):
            handle = m.group(1)
            if _valid_domain(handle) or handle.endswith(".test"):
                found.append(("mention", m.start(1) - 1, m.end(1), handle))
    if "." in text or "://" in text:  # a bare domain needs a dot; a URI with a scheme does not
        for m in _URL.finditer(text):
            uri = m.group(1)
            if not uri.startswith("http"):
                domain = m.group("domain")
                if not domain or not _valid_domain(domain):
                    continue
                uri = "https://" + uri
            start, end = m.start(1), m.end(1)
            if uri[-1] in ".,;:!?":
                uri, end = uri[:-1], end - 1
            if uri[-1] == ")" and "(" not in uri:
                uri, end = uri[:-1], end - 1
            found.append(("link", start, end, uri))
    if "#" in text or "＃" in text:
        for m in _TAG.finditer(text):
            tag = m.group(1)
            if not tag:
                continue
            tag = _TRAILING_PUNCTUATION.sub("", tag)
            if not tag or (_utf16_len(tag) > MAX_TAG_GRAPHEMES and _graphemes.count(tag) > MAX_TAG_GRAPHEMES):
                continue
            start = m.start(1) - 1
            found.append(("tag", start, start + 1 + len(tag), tag))
    if "$" in text:
        for m in _CASHTAG.finditer(text):
            found.append(("tag", m.start(1) - 1, m.end(1), "$" + m.group(1).upper()))
    if not found:
        return []
    found.sort(key=lambda f: f[1])  # stable, like the JavaScript sort by byteStart
    if text.isascii():
        return found
    return [(kind, _byte_offset(text, s), _byte_offset(text, e), value) for kind, s, e, value in found]


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))
