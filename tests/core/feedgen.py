"""Build small RSS documents for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def item(n: int, *, guid: str | None = None, link: str | None = None, title: str | None = None,
         body: str | None = None, categories: tuple[str, ...] = ()) -> str:
    guid = f"guid-{n}" if guid is None else guid
    link = f"https://news.example.org/story-{n}" if link is None else link
    title = f"Story number {n}: the council votes" if title is None else title
    body = body or f"<p>First paragraph of story {n}. It has two sentences.</p><p>Second paragraph.</p>"
    cats = "".join(f"<category>{escape(c)}</category>" for c in categories)
    guid_el = f'<guid isPermaLink="false">{escape(guid)}</guid>' if guid else ""
    return (f"<item><title>{escape(title)}</title><link>{escape(link)}</link>{guid_el}"
            f"<pubDate>{format_datetime(BASE + timedelta(hours=n))}</pubDate>{cats}"
            f"<description>{escape(body)}</description></item>")


def rss(items: list[str], *, title: str = "Test News") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://news.example.org/</link><description>t</description><language>en</language>"
            f"{''.join(reversed(items))}</channel></rss>").encode()
