"""RSS / Atom bytes → feedparser's result, safely, with each entry's own fields kept.

What feedparser (6.0.x) does not do for us, and why this module exists:

1. **Entities.** Bombs refused and named HTML entities written out before any
   parsing: see `_entities`.

2. **media:description / media:title.** feedparser treats them as the entry's
   description and title, which overwrites the entry's real summary or content
   (depending on element order). Our parser subclasses capture them instead as
   `media_description` / `media_title`, on the media:content item they belong to
   or on the entry, so the image's alt text is right and the text is untouched.

3. **Titles (and summaries, links, ids, dates) from the entry's own elements.**
   `_EntryOwnFields` keeps a `<title>` nested in an `<author>`, `<image>` or any
   other element of the entry from overwriting the entry's own.

4. **Which links were relative.** `_RelativeLinks` records them, so parse.py can
   resolve them against the feed's site link first (see parse.py).

`parse_xml` is feedparser's `parse()` for bytes, with those subclasses; it uses
feedparser internals that are stable across 6.0.x (pinned `<7` in pyproject).
"""

from __future__ import annotations

import copy
import html
import io
import re
import xml.sax
from collections import Counter
from typing import Any

from feedparser.api import LooseFeedParser, StrictFeedParser
from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype
from feedparser.urls import make_safe_absolute_uri
from feedparser.util import FeedParserDict

from syndicate.watch._entities import expand_entities

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


# What an entry says about itself: feedparser stores these from any element of the
# right name anywhere inside the entry. A nested <title> (an author's job title in an
# <author> block, an <image>'s or an <og> block's title) overwrites `title_detail`
# (it is last-write-wins; only `title` keeps the shallowest), a nested <description>
# becomes the summary, a nested <link> the entry's link.
_ENTRY_OWN_KEYS = ("title", "title_detail", "summary", "summary_detail", "content", "link", "links",
                   "id", "guidislink", "published", "published_parsed", "updated", "updated_parsed")
# Elements that hold no other elements. Only the loose parser (ill-formed XML) leaves
# them unclosed; a title after an unclosed <enclosure ...> still belongs to the entry.
_EMPTY_LOCAL_NAMES = frozenset({"enclosure", "link", "category", "thumbnail", "content", "br", "img", "hr"})
# The elements whose feedparser handlers write those keys (by local name, any
# namespace: dc:date, itunes:summary, content:encoded …). Foreign elements of other
# names only write keys of their own name, so they need no snapshot (taking one for
# every nested element showed up in bench/bench_parse.py's blog-shaped feed).
_WRITE_ON_START = frozenset({"description", "summary", "abstract", "content", "encoded", "body",
                             "fullitem", "link", "enclosure"})
_WRITE_ON_END = _WRITE_ON_START | {"title", "guid", "id", "pubdate", "published", "updated", "issued",
                                   "modified", "created", "date", "lastbuilddate"}


def _local_name(tag: str) -> str:
    return tag.rpartition(":")[2].lower()


def _holds_other_elements(tag: str) -> bool:
    return tag.lower() != "itunes:image" and _local_name(tag) not in _EMPTY_LOCAL_NAMES


def _shallow(value: Any) -> Any:
    return [copy.copy(item) for item in value] if isinstance(value, list) else value


class _EntryOwnFields:
    """Mixin: inside an entry, elements nested in another element never set the entry's own fields.

    We track the elements open inside the current entry (with, for each, how many
    of its ancestors below the entry hold other elements). An element with such an
    ancestor is "foreign": whatever feedparser's handlers write into the entry's
    `_ENTRY_OWN_KEYS` while it starts or ends is put back as it was.
    """

    _open: list[tuple[str, int]] | None = None  # (tag, containers above it), None outside entries
    _open_count: Counter[str]

    def unknown_starttag(self, tag: str, attrs: Any) -> Any:
        entries: list[Any] = self.entries  # type: ignore[attr-defined]
        before = len(entries)
        foreign = self._containers_above_next() > 0
        writes = _local_name(tag) in _WRITE_ON_START
        saved = self._save_entry() if foreign and writes else None
        result = super().unknown_starttag(tag, attrs)  # type: ignore[misc]
        if saved is not None:
            self._restore_entry(saved)
        if len(entries) > before:  # this tag opened a new entry: its children come next
            self._open, self._open_count = [], Counter()
        elif self._open is not None:
            self._open.append((tag, self._containers_above_next()))
            self._open_count[tag] += 1
        return result

    def unknown_endtag(self, tag: str) -> Any:
        saved = None
        if self._open is not None and self._open_count[tag]:
            i = len(self._open) - 1
            while self._open[i][0] != tag:  # ill-formed input: close what was left open
                i -= 1
            if self._open[i][1] and _local_name(tag) in _WRITE_ON_END:
                saved = self._save_entry()
            for closed, _ in self._open[i:]:
                self._open_count[closed] -= 1
            del self._open[i:]
        result = super().unknown_endtag(tag)  # type: ignore[misc]
        if saved is not None:
            self._restore_entry(saved)
        if not self.inentry:  # type: ignore[attr-defined]
            self._open = None
        return result

    def _containers_above_next(self) -> int:
        if not self._open:
            return 0
        tag, above = self._open[-1]
        return above + _holds_other_elements(tag)

    def _save_entry(self) -> tuple[Any, dict[str, Any], dict[str, Any], int, int] | None:
        entries = self.entries  # type: ignore[attr-defined]
        if not entries or not self.inentry:  # type: ignore[attr-defined]
            return None
        entry = entries[-1]
        depths = self.property_depth_map.get(entry, {})  # type: ignore[attr-defined]
        # Plain dict access: FeedParserDict's own maps "updated" to "published" and so on.
        # feedparser replaces these values when it writes them, except that it appends
        # to the lists and sets the last link's href in place: copying the lists and
        # their items is enough (a deepcopy would copy every body, for each element).
        own = {k: _shallow(dict.__getitem__(entry, k)) for k in _ENTRY_OWN_KEYS
               if dict.__contains__(entry, k)}
        return entry, own, dict(depths), self.title_depth, self.hasContent

    def _restore_entry(self, saved: tuple[Any, dict[str, Any], dict[str, Any], int, int]) -> None:
        entry, own, depths, self.title_depth, self.hasContent = saved
        for key in _ENTRY_OWN_KEYS:
            if key in own:
                dict.__setitem__(entry, key, own[key])
            else:
                dict.pop(entry, key, None)
        self.property_depth_map[entry] = depths  # type: ignore[attr-defined]


class _RelativeLinks:
    """Mixin: remember which links were relative to the document's own URL (no xml:base).

    feedparser resolves them against the address the bytes came from; parse.py
    resolves those against the feed's site link first (and a feed read from a
    file has no web address at all). Keys are feedparser's resolved values.
    """

    document_base = ""
    relative_links: dict[str, str]

    def resolve_uri(self, uri: str) -> str:
        resolved: str = super().resolve_uri(uri)  # type: ignore[misc]
        if uri and self.baseuri == self.document_base and not _has_scheme(uri):  # type: ignore[attr-defined]
            self.relative_links.setdefault(resolved, uri.strip())
        return resolved


_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*:")


def _has_scheme(uri: str) -> bool:
    return bool(_SCHEME.match(uri))


class _Strict(_RelativeLinks, _EntryOwnFields, _MediaText, StrictFeedParser):  # type: ignore[misc]
    pass


class _Loose(_RelativeLinks, _EntryOwnFields, _MediaText, LooseFeedParser):  # type: ignore[misc]
    def handle_charref(self, ref: str) -> None:
        # feedparser encodes chr(ref) as UTF-8: a surrogate (&#xD800;) or a number past
        # U+10FFFF raised out of parse_feed. Ill-formed XML only (expat refuses them).
        try:
            code = int(ref[1:], 16) if ref[:1] in ("x", "X") else int(ref)
        except ValueError:
            code = -1
        if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            ref = "65533"  # U+FFFD REPLACEMENT CHARACTER
        super().handle_charref(ref)


def _prepare(parser: Any, baseuri: str) -> Any:
    parser.resolve_relative_uris = False
    parser.sanitize_html = False  # see parse_xml's docstring
    # As feedparser spells the base once the root element has started (its _urljoin
    # turns file:///a into file://a): equal to it means no xml:base is in effect.
    parser.document_base = make_safe_absolute_uri(baseuri, baseuri) or baseuri
    parser.relative_links = {}
    return parser


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
    data = expand_entities(data)
    use_strict = bool(result["encoding"])
    result["version"], data, entities = replace_doctype(data)
    baseuri = make_safe_absolute_uri(base_url) or ""
    parser: Any = None
    if use_strict:
        parser = _prepare(_Strict(baseuri, None, "utf-8"), baseuri)
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
        parser = _prepare(_Loose(baseuri, None, "utf-8", entities), baseuri)
        parser.feed(data.decode("utf-8", "replace"))
    result["feed"] = parser.feeddata
    result["entries"] = parser.entries
    result["version"] = result["version"] or parser.version
    result["namespaces"] = parser.namespaces_in_use
    result["relative_links"] = parser.relative_links
    return result
