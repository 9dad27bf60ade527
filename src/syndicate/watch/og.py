"""Link-card metadata from an article page: Open Graph first, then Twitter tags, then plain HTML.

Bluesky shows a link card only if the client builds it
(https://docs.bsky.app/docs/advanced-guides/posts#website-card-embeds), so
before composing we GET the dispatch's page — with a timeout, a size cap and
an overall deadline (a server dripping bytes cannot hold a cron run) — and
read `og:title`, `og:description`, `og:image` (made absolute against the final
URL), falling back to `twitter:*`, `<title>` and `<meta name=description>`.
Any failure (network, status, not HTML, nothing usable) gives None: the
composer then builds the card from the feed's own title, summary and image.

The page's URL comes from the feed's content, so it is fetched through
`netguard` (no private, loopback or link-local addresses unless the policy
allows them; at most 5 redirects, each judged). A refusal is said in `notes`,
for dry-run to show.
"""

from __future__ import annotations

import re
import time
from contextlib import closing
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from syndicate import __version__, netguard
from syndicate.model import Card

__all__ = ["fetch_card", "parse_card"]

USER_AGENT = f"syndicate/{__version__} (link card)"
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def fetch_card(
    url: str,
    *,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    max_bytes: int = 1_000_000,
    policy: netguard.FetchPolicy | None = None,
    notes: list[str] | None = None,
) -> Card | None:
    """The card for `url`, or None on any failure. Never raises.

    `policy` None refuses every non-public address (pass the feed's host and `[fetch]
    allow_private`); `client`, when given, should be a `netguard.guarded_client`. A refused
    address adds a line to `notes`.
    """
    try:
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        if client is None:
            with netguard.guarded_client(policy, headers={"User-Agent": USER_AGENT}, timeout=timeout,
                                         max_connections=1) as own:
                return _fetch(own, url, timeout, max_bytes)
        return _fetch(client, url, timeout, max_bytes)
    except netguard.AddressRefused as exc:
        if notes is not None:
            notes.append(f"No link card from {url}: {exc}.")
        return None
    except Exception:  # a card is a nicety: nothing about it may stop a dispatch from going out
        return None


def _fetch(client: httpx.Client, url: str, timeout: float, max_bytes: int) -> Card | None:
    deadline = time.monotonic() + timeout
    headers = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1", "User-Agent": USER_AGENT}
    request = client.build_request("GET", url, headers=headers, timeout=timeout)
    response = netguard.follow(client, request)
    with closing(response):
        if response.status_code != 200:
            return None
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _HTML_TYPES:  # an image, a PDF or an unlabelled body is no page to read
            return None
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= max_bytes or b"</head>" in body[-len(chunk) - 7 :].lower():
                break  # the cards live in <head>; the rest of the page is not needed
            if time.monotonic() > deadline:
                return None
        html = _decode(bytes(body[:max_bytes]), response.charset_encoding)
        return parse_card(html, str(response.url), uri=url)


def _decode(body: bytes, declared: str | None) -> str:
    candidates = [declared]
    m = _CHARSET.search(body[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    for encoding in (*candidates, "utf-8"):
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


def parse_card(html: str, base_url: str, *, uri: str | None = None) -> Card | None:
    """The card described by an HTML page's head; image URLs resolved against `base_url`.

    None when the page names neither a title nor a description.
    """
    parser = _HeadParser()
    try:
        parser.feed(html)
        parser.close()
    except _Done:
        pass
    meta = parser.meta
    title = _first(meta.get("og:title"), meta.get("twitter:title"), parser.title)
    description = _first(meta.get("og:description"), meta.get("twitter:description"), meta.get("description"))
    if not title and not description:
        return None
    image = _first(meta.get("og:image:secure_url"), meta.get("og:image"), meta.get("og:image:url"),
                   meta.get("twitter:image"), meta.get("twitter:image:src"))
    image_url = None
    if image:
        absolute = urljoin(base_url, image)
        if urlsplit(absolute).scheme in ("http", "https"):
            image_url = absolute
    return Card(uri=uri or base_url, title=title, description=description, image_url=image_url)


def _first(*values: str | None) -> str:
    for value in values:
        if value and value.strip():
            return " ".join(value.split())
    return ""


class _Done(Exception):
    """Raised by the parser at </head> or <body>: nothing after matters."""


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}  # first value wins, as browsers and card scrapers do
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            values = {k.lower(): v or "" for k, v in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"])
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            raise _Done

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            raise _Done

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
