"""Fetch feeds: HTTP(S) with real timeouts, a size cap and conditional GET; or a local file.

Everything that can go wrong becomes one `FeedError(url, reason)` whose reason is a
single line a journalist can act on ("HTTP 404 Not Found", "timed out after 20 s
reading", "larger than the 10 MB cap"). The caller owns state: it passes the ETag
and Last-Modified it stored and keeps the ones we return.

Why we decode the body ourselves: httpx inflates each network chunk in one go, so
64 KB of gzip can become 64 MB before we see it. We read the raw stream and
inflate with zlib's `max_length`, so a gzip bomb stops at the cap without ever
holding more than the cap plus one slice in memory. That is also why we only offer
`gzip, deflate`: those are the encodings we can inflate with a bound.

`fetch_many` runs `fetch_feed` on a bounded thread pool sharing one
`httpx.Client` (connection reuse, one pool limit) and returns results and errors
in request order.

A configured feed URL is trusted, whatever its host resolves to; a redirect to
another host is content, not configuration: our clients connect through
`netguard` (trusting the configured feeds' hosts only) and follow at most
`netguard.MAX_REDIRECTS` hops themselves, each judged when it connects.
"""

from __future__ import annotations

import email.utils
import http
import mimetypes
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from syndicate import __version__, netguard
from syndicate.errors import FeedError
from syndicate.watch import _inflate

# Where a feed's owner can read who is polling them. Placeholder until the project
# has a homepage of its own: change it here (tests only check the "+https://" shape).
# No project homepage yet: name the program and what it does, not a URL that may be someone else's.
USER_AGENT = f"syndicate/{__version__} (feed reader; posts new entries to X, Bluesky, Mastodon)"
MAX_BYTES = 10 * 1024 * 1024
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


@dataclass(frozen=True)
class Timeouts:
    """How long to wait: to connect, between bytes while reading, and for the whole fetch.

    The total deadline is checked between reads, so a server that trickles bytes
    stops at most one `read` interval after it.
    """

    connect: float = 10.0
    read: float = 20.0
    total: float = 60.0


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class FeedRequest:
    """One feed to fetch, with the validators stored from its last successful fetch."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """A fetched feed. `status` is 304 (and `content` None) when nothing changed."""

    url: str  # as configured
    final_url: str  # after redirects; resolve relative links against this
    status: int
    content: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    elapsed: float  # seconds
    # How long the server says this answer stays fresh (Cache-Control max-age minus Age, else
    # Expires minus Date), in seconds, uncapped; None: it says nothing, or no-cache / no-store.
    fresh_for: float | None = None


class FeedThrottled(FeedError):
    """A 429 or 503: the server asked us to come back later (`retry_after` seconds; None: not said)."""

    def __init__(self, url: str, message: str, retry_after: float | None) -> None:
        super().__init__(url, message)
        self.retry_after = retry_after


def make_client(*, timeout: Timeouts = DEFAULT_TIMEOUTS, max_connections: int = 16,
                policy: netguard.FetchPolicy | None = None) -> httpx.Client:
    """An httpx.Client set up for feeds (our User-Agent, pool sized), connecting through the guard.

    `policy` None trusts no host: build it with `netguard.FetchPolicy.for_feeds(feed URLs)`.
    """
    return netguard.guarded_client(policy, headers={"User-Agent": USER_AGENT}, timeout=_httpx_timeout(timeout),
                                   max_connections=max_connections)


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
    timeout: Timeouts = DEFAULT_TIMEOUTS,
    max_bytes: int = MAX_BYTES,
    allow_private: Sequence[str] = (),
) -> FetchResult:
    """Fetch one feed (http(s) URL, file:// URL or local path); raise FeedError on any failure.

    Without a `client`, our own trusts `url`'s host; a redirect elsewhere reaches a private
    address only inside `allow_private` (CIDRs).
    """
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise FeedError(url, f"invalid URL: {exc}") from None
    if scheme in ("http", "https"):
        if client is not None:
            return _fetch_http(url, etag, last_modified, client, timeout, max_bytes)
        policy = netguard.FetchPolicy.for_feeds([url], allow_private)
        with make_client(timeout=timeout, max_connections=1, policy=policy) as own:
            return _fetch_http(url, etag, last_modified, own, timeout, max_bytes)
    if scheme == "file" or scheme == "" or re.fullmatch(r"[a-z]", scheme):  # C:\feeds\x.xml
        return _fetch_file(url, etag, last_modified, max_bytes)
    raise FeedError(url, f"unsupported URL scheme {scheme!r} (use http, https or a file path)")


def fetch_many(
    requests: Sequence[FeedRequest],
    *,
    concurrency: int = 16,
    client: httpx.Client | None = None,
    timeout: Timeouts = DEFAULT_TIMEOUTS,
    max_bytes: int = MAX_BYTES,
    allow_private: Sequence[str] = (),
) -> list[FetchResult | FeedError]:
    """Fetch every request, at most `concurrency` at a time; results in request order.

    Without a `client`, our own trusts every requested feed's host (see `fetch_feed`)."""
    if not requests:
        return []
    workers = max(1, min(concurrency, len(requests)))

    def one(req: FeedRequest, shared: httpx.Client) -> FetchResult | FeedError:
        try:
            return fetch_feed(req.url, etag=req.etag, last_modified=req.last_modified,
                              client=shared, timeout=timeout, max_bytes=max_bytes)
        except FeedError as exc:
            return exc

    def run(shared: httpx.Client) -> list[FetchResult | FeedError]:
        if workers == 1:  # one at a time is what a pool of one does; skip loading the pool
            return [one(r, shared) for r in requests]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            return list(pool.map(lambda r: one(r, shared), requests))

    if client is not None:
        return run(client)
    policy = netguard.FetchPolicy.for_feeds([r.url for r in requests], allow_private)
    with make_client(timeout=timeout, max_connections=workers, policy=policy) as own:
        return run(own)


# -- HTTP ------------------------------------------------------------------------------


def _httpx_timeout(t: Timeouts) -> httpx.Timeout:
    return httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.total)


def _fetch_http(url: str, etag: str | None, last_modified: str | None, client: httpx.Client,
                timeout: Timeouts, max_bytes: int) -> FetchResult:
    started = time.monotonic()
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": _inflate.ACCEPTED}
    # A validator that is not ASCII cannot be sent (and is not valid HTTP): fetch
    # unconditionally rather than fail the feed over a header the server made up.
    if etag and etag.isascii():
        headers["If-None-Match"] = etag
    if last_modified and last_modified.isascii():
        headers["If-Modified-Since"] = last_modified
    try:
        request = client.build_request("GET", httpx.URL(url), headers=headers,
                                       timeout=_httpx_timeout(timeout))
    except (httpx.InvalidURL, ValueError) as exc:
        raise FeedError(url, f"invalid URL: {_one_line(str(exc))}") from None
    try:
        response = netguard.follow(client, request)
    except httpx.HTTPError as exc:
        raise FeedError(url, _describe(exc, timeout, "waiting for the response")) from exc
    except (httpx.InvalidURL, ValueError) as exc:  # a bad redirect target; an over-long host name
        raise FeedError(url, f"invalid URL or redirect target: {_one_line(str(exc))}") from exc
    try:
        final_url = str(response.url)
        ctype = response.headers.get("content-type")
        new_etag = response.headers.get("etag")
        new_lm = response.headers.get("last-modified")
        fresh_for = freshness(response.headers)
        if response.status_code == 304:
            return FetchResult(url, final_url, 304, None, new_etag or etag, new_lm or last_modified,
                               ctype, time.monotonic() - started, fresh_for)
        if response.status_code in (429, 503):
            raise FeedThrottled(url, _status_reason(response),
                                retry_after(response.headers.get("retry-after"), response.headers.get("date")))
        if not 200 <= response.status_code < 300:
            raise FeedError(url, _status_reason(response))
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes and not response.headers.get("content-encoding"):
            raise FeedError(url, f"larger than the {_size(max_bytes)} cap "
                                 f"(Content-Length {int(length):,} bytes)")
        try:
            body = _read_capped(url, response, max_bytes, started + timeout.total, timeout.total)
        except httpx.HTTPError as exc:
            raise FeedError(url, _describe(exc, timeout, "reading the body")) from exc
    finally:
        response.close()
    _refuse_html(url, body, ctype)
    return FetchResult(url, final_url, response.status_code, body, new_etag, new_lm, ctype,
                       time.monotonic() - started, fresh_for)


# -- what the server asks about the next fetch (RFC 9111 freshness, RFC 9110 Retry-After) ------


def freshness(headers: httpx.Headers) -> float | None:
    """Seconds the response stays fresh, by the server's own word; None when it says nothing or
    forbids reuse (no-cache, no-store: no floor on the next fetch). Unparseable values count as
    nothing said: a broken header must not stop a feed."""
    directives = {}
    for part in headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-cache" in directives or "no-store" in directives:
        return None
    age = _seconds(headers.get("age")) or 0.0
    if "max-age" in directives:
        max_age = _seconds(directives["max-age"])
        if max_age is not None:
            return max(max_age - age, 0.0)
    expires = _http_date(headers.get("expires"))
    if headers.get("expires") is not None:
        if expires is None:
            return 0.0  # an invalid Expires means "already expired" (RFC 9111 5.3)
        return max(expires - (_http_date(headers.get("date")) or time.time()) - age, 0.0)
    return None


def retry_after(value: str | None, date: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (against the response's Date)."""
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    when = _http_date(value)
    if when is None:
        return None
    return max(when - (_http_date(date) or time.time()), 0.0)


def _seconds(value: str | None) -> float | None:
    value = (value or "").strip()
    return float(value) if value.isdigit() else None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # HTTP dates are GMT
        return parsed.replace(tzinfo=UTC).timestamp()
    return parsed.timestamp()


def _read_capped(url: str, response: httpx.Response, max_bytes: int, deadline: float,
                 total: float) -> bytes:
    encoding = response.headers.get("content-encoding", "")
    try:
        inflater = _inflate.Inflater(encoding)
    except ValueError as exc:
        raise FeedError(url, str(exc)) from None
    body = bytearray()
    try:
        for raw in response.iter_raw():  # no chunk_size: httpx would buffer up to it
            for piece in inflater.feed(raw):
                body += piece
                if len(body) > max_bytes:
                    raise FeedError(url, f"larger than the {_size(max_bytes)} cap")
            if time.monotonic() > deadline:
                raise FeedError(url, f"timed out after {total:g} s (total deadline)")
        for piece in inflater.flush():
            body += piece
            if len(body) > max_bytes:
                raise FeedError(url, f"larger than the {_size(max_bytes)} cap")
    except _inflate.InflateError as exc:
        raise FeedError(url, f"could not decompress the body ({encoding}): {exc}") from exc
    return bytes(body)


def _status_reason(response: httpx.Response) -> str:
    code = response.status_code
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = response.reason_phrase or "error"
    reason = f"HTTP {code} {phrase}"
    retry_after = response.headers.get("retry-after")
    if code in (429, 503) and retry_after:
        reason += f" (Retry-After {retry_after.strip()[:40]})"
    if code in (401, 403):
        reason += " (the feed needs credentials or blocks us)"
    return reason


def _describe(exc: httpx.HTTPError, timeout: Timeouts, phase: str) -> str:
    """One line for an httpx error (the mapping lives here, in one place)."""
    if isinstance(exc, netguard.AddressRefused):
        return f"redirect refused: {exc}"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out after {timeout.connect:g} s connecting"
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return f"timed out after {timeout.read:g} s reading"
    if isinstance(exc, httpx.PoolTimeout):
        return f"timed out after {timeout.total:g} s waiting for a free connection"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects (a redirect loop?)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL or redirect target: {exc}"
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if isinstance(exc, httpx.ConnectError):
        if "refused" in low:
            return "connection refused"
        if "name or service not known" in low or "nodename nor servname" in low \
                or "getaddrinfo" in low or "name resolution" in low:
            host = exc.request.url.host if _has_request(exc) else "the host"
            return f"could not resolve host {host}"
        if "ssl" in low or "certificate" in low:
            return f"TLS error: {_one_line(text)}"
        return f"could not connect: {_one_line(text)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"HTTP protocol error while {phase}: {_one_line(text)}"
    if isinstance(exc, httpx.InvalidURL):
        return f"invalid URL: {_one_line(text)}"
    return f"network error while {phase}: {_one_line(text)}"


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when httpx never built one
    except RuntimeError:
        return False
    return True


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _size(n: int) -> str:
    mb = 1024 * 1024
    return f"{n // mb} MB" if n % mb == 0 else f"{n:,} bytes"


_HTML_START = re.compile(
    rb"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.I | re.S
)
_XML_START = re.compile(rb"\s*(<\?xml|<rss|<feed|<rdf:rdf|<channel)", re.I)


def looks_like_html(body: bytes) -> bool:
    """True when the bytes open like an HTML page (doctype, <html>, <head> or <body>)."""
    return bool(_HTML_START.match(body[:4096].lstrip(b"\xef\xbb\xbf")))


def looks_like_xml(body: bytes) -> bool:
    """True when the bytes open like an XML document or a feed's root element."""
    return bool(_XML_START.match(body[:4096].lstrip(b"\xef\xbb\xbf")))


def _refuse_html(url: str, body: bytes, content_type: str | None) -> None:
    """An HTML page where a feed should be (a login wall, a moved blog) is an error, said plainly."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not looks_like_html(head):
        if looks_like_xml(head) or head.startswith(b"{"):
            return  # a feed served as text/html by a misconfigured server is still a feed
        if ctype not in ("text/html", "application/xhtml+xml"):
            return
    raise FeedError(url, f"not a feed: got an HTML page ({ctype or 'no Content-Type'})")


# -- local files -----------------------------------------------------------------------


def _fetch_file(url: str, etag: str | None, last_modified: str | None,
                max_bytes: int) -> FetchResult:
    started = time.monotonic()
    path = _local_path(url)
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > max_bytes:
                raise FeedError(url, f"larger than the {_size(max_bytes)} cap ({st.st_size:,} bytes)")
            file_etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
            file_lm = email.utils.formatdate(st.st_mtime, usegmt=True)
            ctype = mimetypes.guess_type(path.name)[0]
            final_url = path.resolve().as_uri()
            # The ETag (mtime in ns + size) is exact; Last-Modified has 1 s resolution
            # and only counts when no ETag was stored.
            if (etag and etag == file_etag) or (not etag and last_modified == file_lm):
                return FetchResult(url, final_url, 304, None, file_etag, file_lm, ctype,
                                   time.monotonic() - started)
            body = fh.read(max_bytes + 1)
    except FileNotFoundError:
        hint = " (for a web feed, start the URL with https://)" if _DOMAIN_LIKE.match(url) else ""
        raise FeedError(url, f"no such file: {path}{hint}") from None
    except IsADirectoryError:
        raise FeedError(url, f"is a directory, not a feed file: {path}") from None
    except PermissionError:
        raise FeedError(url, f"permission denied reading {path}") from None
    except OSError as exc:
        raise FeedError(url, f"could not read {path}: {exc.strerror or exc}") from exc
    if len(body) > max_bytes:  # the file grew after fstat
        raise FeedError(url, f"larger than the {_size(max_bytes)} cap")
    _refuse_html(url, body, ctype)
    return FetchResult(url, final_url, 200, body, file_etag, file_lm, ctype,
                       time.monotonic() - started)


_DOMAIN_LIKE = re.compile(r"(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}/", re.I)  # "host.tld/..."


def _local_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise FeedError(url, f"file URL on another host ({parts.netloc}) is not supported")
        return Path(url2pathname(parts.path))
    return Path(url).expanduser()
