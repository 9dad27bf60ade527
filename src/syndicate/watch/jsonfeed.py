"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/) → `ParsedFeed`, by hand.

feedparser does not read JSON Feed. The mapping to `Dispatch` follows the same
rules as RSS/Atom (see `parse.py`); the JSON-specific parts:

* text — `content_html` as plain text, else `content_text`;
* summary — the item's `summary` (plain text in JSON Feed), else the lede;
* title, summary — plain text by the spec, but publishers escape them as HTML
  anyway (`Satechi&#039;s`): character references (`&…;`) are decoded, once;
* author — 1.1 `authors[0].name`, else 1.0 `author.name`; the item's, else the feed's;
* language — the item's `language` (1.1), else the feed's;
* published — `date_published`, else `date_modified`: RFC 3339 as the spec says,
  or RFC 822 as RSS habits make some publishers write it;
* links — relative ones resolve against `home_page_url`, then the address the
  feed came from (else its own `feed_url`, for a feed read from a file);
* image — `image` → `banner_image` → the first `attachments` entry with an
  image/* `mime_type` → the first <img> in `content_html`.

Values of the wrong JSON type are ignored rather than trusted: a feed is input
from the network.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from syndicate.errors import FeedError
from syndicate.model import Dispatch, Image
from syndicate.watch.htmltext import first_image, html_to_text, plain_text
from syndicate.watch.parse import (
    Bases,
    ParsedFeed,
    absolute_image_url,
    feed_title,
    link_bases,
    make_dispatch,
    resolve_link,
    unique,
)

# Both spellings are in the wild: 1.0's own examples used http, 1.1 uses https.
VERSION = re.compile(r"https?://(?:www\.)?jsonfeed\.org/version/\d", re.IGNORECASE)
_CHAR_REF = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def parse_json_feed(content: bytes, *, url: str, feed_name: str) -> ParsedFeed:
    """Parse JSON Feed bytes fetched from `url`; FeedError if it is not a JSON Feed."""
    try:
        doc = json.loads(content)
    except UnicodeDecodeError as exc:
        raise FeedError(url, f"malformed JSON Feed: not UTF-8 ({exc.reason})") from exc
    except ValueError as exc:
        raise FeedError(url, f"malformed JSON Feed: {exc}") from exc
    except RecursionError as exc:
        raise FeedError(url, "malformed JSON Feed: nested too deeply") from exc
    if not isinstance(doc, dict) or not VERSION.match(_str(doc.get("version")).strip()):
        raise FeedError(url, "not a feed: JSON without a JSON Feed version "
                             "(https://jsonfeed.org/version/1.1)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError(url, "malformed JSON Feed: 'items' is missing or not a list")
    language = _str(doc.get("language")).strip() or None
    author = _author(doc)
    own_url = _str(doc.get("feed_url"))
    site = resolve_link(link_bases(url, site=None, self_link=own_url), _str(doc.get("home_page_url")))
    bases = link_bases(url, site=site, self_link=own_url)
    dispatches = (
        _from_item(item, url=url, feed_name=feed_name, feed_language=language, feed_author=author,
                   bases=bases)
        for item in items
        if isinstance(item, dict)
    )
    return ParsedFeed(
        title=feed_title(_unescape(_str(doc.get("title"))), feed_name),
        language=language,
        link=site or None,
        dispatches=unique(dispatches),
    )


def _from_item(item: dict[str, Any], *, url: str, feed_name: str, feed_language: str | None,
               feed_author: str | None, bases: Bases) -> Dispatch:
    content_html = _str(item.get("content_html"))
    if content_html:
        text = html_to_text(content_html)
    else:
        text = plain_text(_str(item.get("content_text")))
    raw_id = item.get("id")
    guid = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    tags = item.get("tags")
    return make_dispatch(
        feed_url=url,
        feed_name=feed_name,
        bases=bases,
        guid=guid,
        link=_str(item.get("url")) or None,
        title=_unescape(_str(item.get("title"))),
        text=text,
        summary=plain_text(_unescape(_str(item.get("summary")))) or None,
        tags=(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        language=_str(item.get("language")).strip() or feed_language,
        author=_author(item) or feed_author,
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
        image=_image(item, bases, content_html),
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _unescape(text: str) -> str:
    """Character references decoded once; only complete ones (`&copy` alone, `AT&T` stay as they are)."""
    return _CHAR_REF.sub(lambda m: html.unescape(m.group()), text) if "&" in text else text


def _author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    candidates = list(authors) if isinstance(authors, list) else []
    candidates.append(obj.get("author"))  # JSON Feed 1.0
    for a in candidates:
        name = " ".join(_str(a.get("name")).split()) if isinstance(a, dict) else ""
        if name:
            return name
    return None


def _date(value: object) -> datetime | None:
    """RFC 3339 (the spec), else RFC 822 ("Tue, 03 Mar 2026 10:00:00 +0100"); None if neither."""
    text = _str(value).strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.upper())  # RFC 3339 allows a lower-case "t" and "z"
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:  # RFC 3339 requires an offset; treat a missing one (or -0000) as UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _image(item: dict[str, Any], base: Bases, content_html: str) -> Image | None:
    for key in ("image", "banner_image"):
        src = absolute_image_url(base, _str(item.get(key)))
        if src:
            return Image(src, "")
    attachments = item.get("attachments")
    for a in attachments if isinstance(attachments, list) else []:
        if isinstance(a, dict) and _str(a.get("mime_type")).startswith("image/"):
            src = absolute_image_url(base, _str(a.get("url")))
            if src:
                return Image(src, " ".join(_str(a.get("title")).split()))
    found = first_image(content_html)
    src = absolute_image_url(base, found[0]) if found else ""
    return Image(src, found[1]) if found and src else None
