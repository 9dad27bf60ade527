"""RSS / Atom bytes → feedparser's result, safely, with Media RSS alt text kept.

Two things feedparser (6.0.x) does not do for us, and why this module exists:

1. **Entity bombs.** feedparser keeps "safe-looking" `<!ENTITY>` declarations and
   its loose (non-XML) fallback parser expands them without any limit: a 160 KB
   feed with one 100 KB entity referenced 20,000 times took 49 s and 6 GB in our
   test. expat's own amplification guard only protects the strict pass. So
   `entity_bomb_reason` reads the DOCTYPE's internal subset before anything is
   parsed and refuses parameter entities, external entities (XXE), entities that
   refer to other entities ("billion laughs"), and declarations whose expansion in
   this document would exceed `MAX_EXPANSION` ("quadratic blowup").
   We did not use defusedxml: it cannot be plugged into feedparser's SAX setup and
   would not cover the loose parser anyway.

2. **media:description / media:title.** feedparser treats them as the entry's
   description and title, which overwrites the entry's real summary or content
   (depending on element order). Our parser subclasses capture them instead as
   `media_description` / `media_title`, on the media:content item they belong to
   or on the entry, so the image's alt text is right and the text is untouched.

`parse_xml` is feedparser's `parse()` for bytes, with those subclasses; it uses
feedparser internals that are stable across 6.0.x (pinned `<7` in pyproject).
"""

from __future__ import annotations

import html
import io
import re
import xml.sax
from collections import Counter
from typing import Any

from feedparser.api import LooseFeedParser, StrictFeedParser  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]
from feedparser.sanitizer import replace_doctype  # type: ignore[import-untyped]
from feedparser.urls import make_safe_absolute_uri  # type: ignore[import-untyped]
from feedparser.util import FeedParserDict  # type: ignore[import-untyped]

MAX_EXPANSION = 1024 * 1024  # characters that declared entities may add (or the doc's size, if larger)
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_ENTITY_DECL = re.compile(
    r"""<!ENTITY\s+(%\s+)?([^\s"'%>]+)\s+(?:(SYSTEM|PUBLIC)\b|"([^"]*)"|'([^']*)')""", re.S
)
_ENTITY_REF = re.compile(r"&([A-Za-z_:][\w.:-]*);")
_SUBSET_TOKEN = re.compile(r"""<!--.*?-->|"[^"]*"|'[^']*'|\]|[^"'\]<]+|<""", re.S)


# -- entity bombs ----------------------------------------------------------------------


def _as_text(data: bytes) -> str | None:
    """The document as text if it may declare entities, else None (the fast, common case)."""
    for bom, codec in ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
                       (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                       (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le")):
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            return text if "<!ENTITY" in text else None
    return data.decode("latin-1") if b"<!ENTITY" in data else None


def _internal_subset(text: str) -> tuple[str, int] | None:
    """The DOCTYPE's internal subset and where the document after it starts, if there is one."""
    pos = 0
    n = len(text)
    while pos < n:  # walk the prolog: BOM, whitespace, <?...?>, comments, then DOCTYPE or the root
        if text[pos] in "\ufeff \t\r\n":
            pos += 1
        elif text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = n if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            pos = n if end < 0 else end + 3
        elif text.startswith("<!DOCTYPE", pos):
            m = re.compile(r"""<!DOCTYPE(?:"[^"]*"|'[^']*'|[^"'\[>])*""").match(text, pos)
            assert m is not None  # the pattern matches "<!DOCTYPE" at least
            pos = m.end()
            if not text.startswith("[", pos):
                return None
            start = pos + 1
            for tok in _SUBSET_TOKEN.finditer(text, start):
                if tok.group() == "]":
                    return text[start:tok.start()], tok.end()
            return text[start:], n
        else:
            return None
    return None


def entity_bomb_reason(data: bytes) -> str | None:
    """Why this document's entity declarations are unsafe to expand, or None if they are fine."""
    text = _as_text(data)
    if text is None:
        return None
    found = _internal_subset(text)
    if found is None:
        return None
    subset, body_start = found
    values: dict[str, str] = {}
    for m in _ENTITY_DECL.finditer(subset):
        parameter, name, external = m.group(1), m.group(2), m.group(3)
        value = m.group(4) if m.group(4) is not None else (m.group(5) or "")
        if parameter:
            return f"declares an XML parameter entity (%{name}): refusing a possible entity bomb"
        if external:
            return f"declares an external XML entity ({name}): refusing to read other resources"
        nested = [r for r in _ENTITY_REF.findall(value) if r not in _PREDEFINED]
        if nested:
            return (f"declares XML entity {name!r} that expands into other entities "
                    f"(&{nested[0]};): refusing a 'billion laughs' entity bomb")
        values[name] = value
    if not values:
        return None
    names = "|".join(re.escape(k) for k in values)
    counts = Counter(re.findall(rf"&({names});", text[body_start:]))
    expansion = sum(len(values[k]) * c for k, c in counts.items())
    limit = max(MAX_EXPANSION, len(data))
    if expansion > limit:
        return (f"its XML entities would expand to {expansion:,} characters (limit {limit:,}): "
                "refusing an entity bomb")
    return None


# -- feedparser with Media RSS alt text ----------------------------------------------


class _MediaText:
    """Mixin: keep media:description and media:title instead of letting them overwrite the entry's."""

    _media_depth = 0

    def _start_media_content(self, attrs_d: dict[str, str]) -> None:
        super()._start_media_content(attrs_d)  # type: ignore[misc]
        self._media_depth += 1

    def _end_media_content(self) -> None:
        self._media_depth = max(0, self._media_depth - 1)

    def _start_media_description(self, attrs_d: dict[str, str]) -> None:
        self.push("media_description", 0)  # type: ignore[attr-defined]

    def _end_media_description(self) -> None:
        self._keep("description", self.pop("media_description"))  # type: ignore[attr-defined]

    def _start_media_title(self, attrs_d: dict[str, str]) -> None:
        self.push("media_title", 0)  # type: ignore[attr-defined]

    def _end_media_title(self) -> None:
        self._keep("title", self.pop("media_title"))  # type: ignore[attr-defined]

    def _keep(self, key: str, value: str | None) -> None:
        if not value or not value.strip():
            return
        if isinstance(self, LooseFeedParser):  # the loose parser leaves references undecoded
            value = html.unescape(value)
        context: dict[str, Any] = self._get_context()  # type: ignore[attr-defined]
        items = context.get("media_content") if self._media_depth else None
        target: dict[str, Any] = items[-1] if items else context
        target.setdefault(f"media_{key}", " ".join(value.split()))


class _Strict(_MediaText, StrictFeedParser):  # type: ignore[misc]
    pass


class _Loose(_MediaText, LooseFeedParser):  # type: ignore[misc]
    pass


def parse_xml(data: bytes, *, base_url: str, content_type: str | None) -> Any:
    """feedparser.parse() of bytes (a FeedParserDict), with `_Strict` / `_Loose` as the parsers.

    `base_url` stands in for the Content-Location header, so relative links resolve
    against the feed's real address; `content_type` carries the charset.

    feedparser's HTML sanitiser is off: everything becomes plain text in
    `htmltext`, which drops script/style/iframe *with* their contents, whereas the
    sanitiser strips an <iframe> tag but keeps its fallback text (and is slow).
    Rewriting relative URIs inside embedded HTML is off too (a fifth of the parse
    time): the only URL we take from HTML is the first <img>, which parse.py
    resolves against the body's own base (xml:base aware, from the detail's "base").
    Element links (<link>, enclosures, guids) are still resolved by feedparser.
    """
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    result = FeedParserDict(bozo=False, entries=[], feed=FeedParserDict(), headers=headers)
    data = convert_to_utf8(result["headers"], data, result)
    use_strict = bool(result["encoding"])
    result["version"], data, entities = replace_doctype(data)
    baseuri = make_safe_absolute_uri(base_url) or ""
    parser: Any = None
    if use_strict:
        parser = _Strict(baseuri, None, "utf-8")
        parser.resolve_relative_uris = False
        parser.sanitize_html = False  # see the docstring
        sax = xml.sax.make_parser()
        sax.setFeature(xml.sax.handler.feature_namespaces, 1)
        sax.setFeature(xml.sax.handler.feature_external_ges, 0)
        sax.setContentHandler(parser)
        sax.setErrorHandler(parser)
        source = xml.sax.xmlreader.InputSource()
        source.setByteStream(io.BytesIO(data))
        try:
            sax.parse(source)
        except xml.sax.SAXException as exc:
            result["bozo"] = 1
            result["bozo_exception"] = parser.exc or exc
            use_strict = False
    if not use_strict:
        parser = _Loose(baseuri, None, "utf-8", entities)
        parser.resolve_relative_uris = False
        parser.sanitize_html = False
        parser.feed(data.decode("utf-8", "replace"))
    result["feed"] = parser.feeddata
    result["entries"] = parser.entries
    result["version"] = result["version"] or parser.version
    result["namespaces"] = parser.namespaces_in_use
    return result
