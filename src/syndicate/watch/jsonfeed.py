"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/) → `ParsedFeed`, by hand.

feedparser does not read JSON Feed. The mapping to `Dispatch` follows the same
rules as RSS/Atom (see `parse.py`); the JSON-specific parts:

* text — `content_html` as plain text, else `content_text`;
* summary — the item's `summary` (plain text in JSON Feed), else the lede;
* author — 1.1 `authors[0].name`, else 1.0 `author.name`; the item's, else the feed's;
* language — the item's `language` (1.1), else the feed's;
* published — `date_published` (RFC 3339), else `date_modified`;
* image — `image` → `banner_image` → the first `attachments` entry with an
  image/* `mime_type` → the first <img> in `content_html`.

Values of the wrong JSON type are ignored rather than trusted: a feed is input
from the network.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from syndicate.errors import FeedError
from syndicate.model import Dispatch, Image
from syndicate.watch.htmltext import first_image, html_to_text, plain_text
from syndicate.watch.parse import (
    ParsedFeed,
    absolute_image_url,
    make_dispatch,
    resolve_link,
    unique,
)

VERSION_PREFIX = "https://jsonfeed.org/version/"


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
    if not isinstance(doc, dict) or not _str(doc.get("version")).startswith(VERSION_PREFIX):
        raise FeedError(url, "not a feed: JSON without a JSON Feed version "
                             f"({VERSION_PREFIX}1.1)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError(url, "malformed JSON Feed: 'items' is missing or not a list")
    language = _str(doc.get("language")).strip() or None
    author = _author(doc)
    dispatches = (
        _from_item(item, url=url, feed_name=feed_name, feed_language=language, feed_author=author)
        for item in items
        if isinstance(item, dict)
    )
    return ParsedFeed(
        title=" ".join(_str(doc.get("title")).split()) or feed_name,
        language=language,
        link=resolve_link(url, _str(doc.get("home_page_url"))) or None,
        dispatches=unique(dispatches),
    )


def _from_item(item: dict[str, Any], *, url: str, feed_name: str, feed_language: str | None,
               feed_author: str | None) -> Dispatch:
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
        guid=guid,
        link=_str(item.get("url")) or None,
        title=_str(item.get("title")),
        text=text,
        summary=plain_text(_str(item.get("summary"))) or None,
        tags=(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        language=_str(item.get("language")).strip() or feed_language,
        author=_author(item) or feed_author,
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
        image=_image(item, url, content_html),
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


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
    text = _str(value).strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if when.tzinfo is None:  # RFC 3339 requires an offset; treat a missing one as UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _image(item: dict[str, Any], base: str, content_html: str) -> Image | None:
    for key in ("image", "banner_image"):
        src = absolute_image_url(base, _str(item.get(key)))
        if src:
            return Image(src, "", None)
    attachments = item.get("attachments")
    for a in attachments if isinstance(attachments, list) else []:
        if isinstance(a, dict) and _str(a.get("mime_type")).startswith("image/"):
            src = absolute_image_url(base, _str(a.get("url")))
            if src:
                return Image(src, " ".join(_str(a.get("title")).split()), _str(a.get("mime_type")))
    found = first_image(content_html)
    src = absolute_image_url(base, found[0]) if found else ""
    return Image(src, found[1], None) if found and src else None
