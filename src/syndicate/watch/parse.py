"""Feed bytes → `ParsedFeed`: every entry normalised to one `Dispatch`.

RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom go through feedparser (on the bytes, never
a URL, with the feed's address and Content-Type so relative links resolve and
the charset is found; see `_entities` for the entity-bomb guard and named
entities, `_feedxml` for what our parser subclasses fix). JSON Feed 1.0/1.1 is
read by hand in `jsonfeed.py`: chosen when the body starts with `{`.

How each Dispatch field is filled (the same rules for both front ends):

* id — the entry's guid / id; else its canonical link; else
  "sha256:" + sha256(title, published) (plus the text when both are empty).
  Stable across runs as long as the feed says the same thing.
* url — the link made absolute, then `canonical_url`; only http(s) links are
  kept ("" otherwise). A relative link resolves against its xml:base, else the
  feed's own site link, else the feed's URL — never a file:// one (a feed read
  from a file stands in its own self link, if it has one). Images resolve alike.
* title, text, summary — plain text (`htmltext`); summary falls back to the first
  paragraph of the text when the feed has none of its own. Each field is read
  from the entry's own element, never one nested in another (see `_feedxml`).
* every text field is cleaned of control characters (`cleantext`).
* tags — category term (else label), "#" stripped, deduplicated ignoring case.
* language — the entry's xml:lang, else the feed's language, else None.
* author — a name, never a bare e-mail address; the feed's author if the entry has none.
* published — published, else updated, as a UTC-aware datetime.
* image — media:content image → media:thumbnail → image enclosure → first <img>
  in the body; alt from media:description / media:title / the img's alt.

Entries with the same id are kept once (the first, as the feed orders them).
"""

from __future__ import annotations

import calendar
import hashlib
import re
import xml.sax
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from syndicate.errors import FeedError
from syndicate.model import Dispatch, Image
from syndicate.watch._entities import entity_bomb_reason
from syndicate.watch._feedxml import parse_xml
from syndicate.watch.canonical import canonical_url
from syndicate.watch.cleantext import (
    clean_text,
    clean_title,
    escape_url_controls,
    has_controls,
)
from syndicate.watch.fetch import looks_like_html, looks_like_xml
from syndicate.watch.htmltext import (
    first_image,
    first_paragraph,
    html_to_text,
    plain_text,
)

Bases = tuple[str, ...]  # where relative links resolve, in order (http(s) addresses only)

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its own title, language and link, and its entries in feed order."""

    title: str
    language: str | None
    link: str | None
    dispatches: tuple[Dispatch, ...]
    ttl: float | None = None  # RSS <ttl>: seconds the feed asks readers to wait between fetches


def parse_feed(content: bytes, *, url: str, feed_name: str,
               content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes; `url` is where they came from (FetchResult.final_url).

    Raises FeedError when the bytes are not a feed (an HTML page, random bytes),
    are malformed with no entries to salvage, or declare an entity bomb.
    """
    body = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        raise FeedError(url, "not a feed: the response is empty")
    if body.startswith(b"{"):
        from syndicate.watch.jsonfeed import parse_json_feed  # it builds on this module

        return parse_json_feed(content, url=url, feed_name=feed_name)
    reason = entity_bomb_reason(content)
    if reason:
        raise FeedError(url, reason)
    try:
        result = parse_xml(content, base_url=url, content_type=content_type)
    except (LookupError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        # feedparser's handlers trust their input in places (an end tag with no start
        # tag, a NUL in the declared encoding's name): a feed's bytes must not be able
        # to end the run with a traceback. Found by mutating the corpus documents.
        raise FeedError(url, f"unreadable feed: the parser failed on it ({type(exc).__name__}: {exc})") from exc
    version = result.get("version") or ""
    if not result.entries:
        _explain_empty(url, body, version, content_type, result.get("bozo_exception"))
    feed = result.feed
    relative: dict[str, str] = result.get("relative_links") or {}
    language = _language(feed.get("language"))
    feed_author = _author(feed.get("author_detail"), feed.get("author"))
    site = _site_link(feed, url, relative)
    self_link = next((link.get("href") for link in feed.get("links") or []
                      if link.get("rel") == "self"), None)
    bases = link_bases(url, site=site, self_link=self_link)
    dispatches = (_from_entry(e, url=url, feed_name=feed_name, feed_language=language,
                              feed_author=feed_author, bases=bases, relative=relative)
                  for e in result.entries)
    return ParsedFeed(
        title=feed_title(_detail_text(feed.get("title_detail"), feed.get("title")), feed_name),
        language=language,
        link=site or None,
        dispatches=unique(dispatches),
        ttl=_ttl(feed.get("ttl")),
    )


def _ttl(value: object) -> float | None:
    """RSS <ttl> is whole minutes; anything else is ignored (a broken hint must not stop a feed)."""
    text = str(value).strip() if value is not None else ""
    return int(text) * 60.0 if text.isdigit() else None


def _site_link(feed: Mapping[str, Any], url: str, relative: Mapping[str, str]) -> str:
    """The feed's own site link; a relative one resolves against the feed's (web) address only."""
    link = feed.get("link")
    if not isinstance(link, str):
        return ""
    return resolve_link(link_bases(url, site=None), relative.get(link, link))


def _explain_empty(url: str, body: bytes, version: str, content_type: str | None,
                   exc: object) -> None:
    """No entries: fine for a real (empty) feed; otherwise say what the bytes were."""
    malformed = isinstance(exc, xml.sax.SAXParseException)
    if looks_like_html(body) and not version:
        ctype = (content_type or "no Content-Type").split(";")[0].strip()
        raise FeedError(url, f"not a feed: got an HTML page ({ctype})")
    if malformed and (version or looks_like_xml(body)):
        assert isinstance(exc, xml.sax.SAXParseException)
        raise FeedError(url, f"malformed XML: {exc.getMessage()} "
                             f"(line {exc.getLineNumber()}, column {exc.getColumnNumber()})")
    if not version:
        raise FeedError(url, "not a feed: no RSS, Atom or JSON Feed found")


# -- shared normalisation (jsonfeed.py uses these too) ---------------------------------


def link_bases(feed_url: str, *, site: str | None, self_link: str | None = None) -> Bases:
    """Where relative links resolve: the site link, then the feed's URL (else its self link).

    Only web addresses count: a feed read from a file has a file:// URL, against
    which a root-relative link would name a file, not the article.
    """
    out: list[str] = []
    for base in (site, feed_url if _is_web(feed_url) else self_link):
        if base and _is_web(base) and base not in out:
            out.append(base.strip())
    return tuple(out)


def _is_web(url: str | None) -> bool:
    if not url:
        return False
    try:
        return urlsplit(url.strip()).scheme.lower() in ("http", "https")
    except ValueError:
        return False


def _absolute(bases: Bases, link: str | None) -> str:
    """`link` made absolute against the first of `bases` that gives a web address; "" if none does."""
    if not link or not link.strip():
        return ""
    for base in bases or ("",):
        try:
            absolute = urljoin(base, link.strip())
        except ValueError:
            continue
        if _is_web(absolute):
            return escape_url_controls(absolute)
    return ""


def resolve_link(bases: Bases, link: str | None) -> str:
    """`link` made absolute (see `link_bases`) and canonical; "" unless it is http(s)."""
    absolute = _absolute(bases, link)
    return canonical_url(absolute) if absolute else ""


def absolute_image_url(bases: Bases, src: str | None) -> str:
    """An image address made absolute (not canonicalised: CDNs sign their query strings)."""
    return _absolute(bases, src)


def feed_title(title: str, feed_name: str) -> str:
    return _one_line(clean_title(title)) or feed_name


def make_dispatch(*, feed_url: str, feed_name: str, bases: Bases, guid: str | None,
                  link: str | None, title: str, text: str, summary: str | None,
                  tags: Iterable[str], language: str | None, author: str | None,
                  published: datetime | None, image: Image | None) -> Dispatch:
    """One Dispatch from already-extracted plain-text fields (rules in the module docstring)."""
    url = resolve_link(bases, link)
    # The id keeps the link as earlier versions resolved it (against the feed's own
    # address only): an entry whose id changed on upgrade would be posted again.
    id_url = url if link == url else resolve_link((feed_url,), link)
    title = _one_line(clean_title(title))
    text = _clean_block(text)
    summary = _clean_block(summary) if summary else None
    return Dispatch(
        id=clean_text((guid or "").strip()) or id_url or hash_id(title, published, text),
        feed=feed_name,
        feed_url=feed_url,
        url=url,
        title=title,
        text=text,
        summary=summary or first_paragraph(text),
        tags=unique_tags(clean_text(t) for t in tags),
        language=_language(language),
        author=_one_line(clean_text(author)) or None if author else None,
        published=published,
        image=replace(image, alt=_one_line(clean_text(image.alt))) if image else None,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clean_block(text: str) -> str:
    """Text without control characters, its paragraphs tidied again if one was removed."""
    return plain_text(clean_text(text)) if has_controls(text) else text


def hash_id(title: str, published: datetime | None, text: str) -> str:
    """A stable id for an entry with neither guid nor link."""
    key = f"{title}\n{published.isoformat() if published else ''}"
    if not title and not published:
        key += f"\n{text}"
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def unique_tags(tags: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        clean = " ".join(str(tag).split()).lstrip("#")
        if clean and clean.casefold() not in seen:
            seen.add(clean.casefold())
            out.append(clean)
    return tuple(out)


def unique(dispatches: Iterable[Dispatch]) -> tuple[Dispatch, ...]:
    seen: set[str] = set()
    out = []
    for d in dispatches:
        if d.id not in seen and (d.title or d.text or d.url):
            seen.add(d.id)
            out.append(d)
    return tuple(out)


def _language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    clean = value.strip().replace("_", "-")
    return clean or None


# -- feedparser entries ----------------------------------------------------------------


def _from_entry(e: Mapping[str, Any], *, url: str, feed_name: str, feed_language: str | None,
                feed_author: str | None, bases: Bases, relative: Mapping[str, str]) -> Dispatch:
    contents = e.get("content") or []
    content = next((c for c in contents if c.get("type") in _HTML_TYPES), None)
    content = content or (contents[0] if contents else None)
    summary_detail = e.get("summary_detail")
    summary_value = e.get("summary") or ""
    if content is not None:
        text = _detail_text(content, content.get("value"))
    else:
        text = _detail_text(summary_detail, summary_value)
    # feedparser copies an Atom <content> into `summary` when there is no <summary>.
    own_summary = summary_value and (content is None or summary_value != content.get("value"))
    detail_langs = [(content or {}).get("language"), (summary_detail or {}).get("language"),
                    (e.get("title_detail") or {}).get("language")]
    # Each HTML body with the bases its relative URLs resolve against (xml:base first).
    bodies = [(content.get("value", ""), _body_bases(content, url, bases)) if content else ("", bases),
              (summary_value, _body_bases(summary_detail, url, bases))]
    link = e.get("link")
    return make_dispatch(
        feed_url=url,
        feed_name=feed_name,
        bases=bases,
        guid=e.get("id"),
        link=relative.get(link, link) if isinstance(link, str) else None,
        title=_detail_text(e.get("title_detail"), e.get("title")),
        text=text,
        summary=_detail_text(summary_detail, summary_value) if own_summary else None,
        tags=((t.get("term") or t.get("label") or "") for t in e.get("tags") or []),
        language=next((lang for lang in detail_langs if lang), None) or feed_language,
        author=_author(e.get("author_detail"), e.get("author")) or feed_author,
        published=_when(e.get("published_parsed")) or _when(e.get("updated_parsed")),
        image=_image(e, bases, bodies, relative),
    )


def _body_bases(detail: Mapping[str, Any] | None, url: str, bases: Bases) -> Bases:
    """An HTML body's xml:base (when it has its own) goes before the feed's bases."""
    base = (detail or {}).get("base")
    if isinstance(base, str) and base and base != url and _is_web(base):
        return (base, *bases)
    return bases


def _detail_text(detail: Mapping[str, Any] | None, fallback: object) -> str:
    value = detail.get("value") if detail else None
    value = value if isinstance(value, str) else (fallback if isinstance(fallback, str) else "")
    ctype = (detail or {}).get("type") or "text/html"
    return html_to_text(value) if ctype in _HTML_TYPES else plain_text(value)


_AUTHOR_EMAIL_NAME = re.compile(r"^\s*(?:mailto:)?[^\s()<>]+@[^\s()<>]+\s*\((.+)\)\s*$")
_AUTHOR_NAME_EMAIL = re.compile(r"^\s*(.+?)\s*[<(](?:mailto:)?[^<>()]*@[^<>()]*[>)]\s*$")


def _author(detail: Mapping[str, Any] | None, fallback: object) -> str | None:
    """A person's name, never a bare e-mail address (an RSS <author> often is just one)."""
    raw = fallback if isinstance(fallback, str) else ""
    if "@" in raw:
        # feedparser's own split mangles addresses (TLDs over four letters), so read
        # the conventions ourselves: "email (Name)", "Name <email>", "Name (email)".
        m = _AUTHOR_EMAIL_NAME.match(raw) or _AUTHOR_NAME_EMAIL.match(raw)
        name = m.group(1) if m else ""
    else:
        detail_name = (detail or {}).get("name")
        name = detail_name if isinstance(detail_name, str) and detail_name.strip() else raw
    name = " ".join(name.split())
    return name if name and "@" not in name else None


def _when(parsed: object) -> datetime | None:
    if parsed is None:
        return None
    try:
        # feedparser's *_parsed are UTC struct_times; timegm reads them as UTC (mktime would not).
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _is_image(medium: object, mime: object, url: str) -> bool:
    if medium == "image" or (isinstance(mime, str) and mime.startswith("image/")):
        return True
    return not medium and not mime and urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES)


def _image(e: Mapping[str, Any], base: Bases, bodies: list[tuple[str, Bases]],
           relative: Mapping[str, str]) -> Image | None:
    entry_alt = e.get("media_description") or e.get("media_title") or ""
    for m in e.get("media_content") or []:
        src = absolute_image_url(base, m.get("url"))
        if src and _is_image(m.get("medium"), m.get("type"), src):
            alt = m.get("media_description") or m.get("media_title") or entry_alt
            return Image(src, alt)
    for t in e.get("media_thumbnail") or []:
        src = absolute_image_url(base, t.get("url"))
        if src:
            return Image(src, entry_alt)
    for link in e.get("links") or []:
        href = link.get("href")
        src = absolute_image_url(base, relative.get(href, href) if isinstance(href, str) else None)
        if src and link.get("rel") == "enclosure" and _is_image(None, link.get("type"), src):
            return Image(src, entry_alt)
    for html, html_base in bodies:
        found = first_image(html)
        src = absolute_image_url(html_base, found[0]) if found else ""
        if found and src:
            return Image(src, found[1])
    return None
