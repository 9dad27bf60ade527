"""The HTTP and text plumbing under the fake Mastodon server (`fakes.mastodon_api`).

Kept apart from the routes so each stays small: a threaded request handler
that parses what Mastodon.py sends (query, form, JSON, multipart), writes a
response (its `Date` header from the fake's clock), and can hold an answer
back (to time out a client *after* the work was done); the server's length
rule; its plain-text → HTML rendering of statuses; fixed-window counters.

Sources (docs/platforms.md §3 in this repository): mastodon/mastodon
`app/validators/status_length_validator.rb` (length rule), `app/lib/text_formatter.rb`
(HTML of a status), `app/lib/rate_limiter.rb` and `/api/rate-limits/` on
docs.joinmastodon.org (windows, ISO 8601 `X-RateLimit-Reset`), Mastodon 4.4.
"""

from __future__ import annotations

import email.utils
import html
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex
from mastodon._url_regex import url_regex  # twitter-text's valid_url: the extractor the server counts with

_MENTION = regex.compile(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9\.\-]+[a-z0-9]+)", regex.IGNORECASE)
_HASHTAG = regex.compile(r"(?<![\p{L}\p{N}_/#&])#([\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*)")


def status_length(text: str, spoiler_text: str = "", *, url_length: int = 23) -> int:
    """StatusLengthValidator: graphemes of spoiler_text + text, URLs (with scheme) → url_length, @u@d → @u."""
    countable = url_regex.sub(lambda m: m.group(2) + "x" * url_length, text)
    countable = _MENTION.sub(r"\1@\3", countable)
    return len(regex.findall(r"\X", spoiler_text + countable))


def iso8601(epoch: float) -> str:
    """How Mastodon writes times: `2026-01-01T12:05:00.000000Z` (X-RateLimit-Reset), created_at likewise."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def render_content(text: str, base_url: str) -> str:
    """Plain text → the HTML Mastodon stores: <p> per paragraph, <br /> per line, links and hashtags."""
    paragraphs = [p for p in regex.split(r"\n{2,}", text.strip("\n")) if p]
    return "".join(f"<p>{_render_block(p, base_url)}</p>" for p in paragraphs)


def _render_block(block: str, base_url: str) -> str:
    out: list[str] = []
    pos = 0
    for m in url_regex.finditer(block):
        out.append(_render_text(block[pos : m.start(3)], base_url))
        out.append(_render_link(m.group(3)))
        pos = m.end(3)
    out.append(_render_text(block[pos:], base_url))
    return "".join(out).replace("\n", "<br />")


def _render_text(text: str, base_url: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _HASHTAG.finditer(text):
        tag = m.group(1)
        out.append(html.escape(text[pos : m.start()]))
        out.append(f'<a href="{base_url}/tags/{html.escape(tag.lower())}" class="mention hashtag" rel="tag">'
                   f"#<span>{html.escape(tag)}</span></a>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _render_link(url: str) -> str:
    scheme, _, rest = url.partition("://")
    prefix = scheme + "://"
    if rest.startswith("www."):
        prefix, rest = prefix + "www.", rest[4:]
    shown, hidden = rest[:30], rest[30:]
    e = html.escape
    return (f'<a href="{e(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{e(prefix)}</span><span class="{"ellipsis" if hidden else ""}">{e(shown)}</span>'
            f'<span class="invisible">{e(hidden)}</span></a>')


@dataclass
class Bucket:
    """A fixed-window counter per client, like rack-attack's throttles (windows aligned to the epoch)."""

    limit: int
    period: float
    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def state(self, who: str, now: float) -> tuple[int, int, float]:
        """(limit, remaining, reset epoch) for `who` at `now`."""
        window = int(now // self.period)
        used = self.counts.get((who, window), 0)
        return self.limit, max(self.limit - used, 0), (window + 1) * self.period

    def hit(self, who: str, now: float) -> bool:
        """Count one request; False when it goes over the limit."""
        key = (who, int(now // self.period))
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key] <= self.limit

    def full(self, who: str, now: float) -> bool:
        return self.counts.get((who, int(now // self.period)), 0) >= self.limit


@dataclass(frozen=True)
class Upload:
    file_name: str | None
    mime_type: str
    data: bytes


@dataclass
class Request:
    method: str
    path: str  # without the query string and without a trailing slash
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    form: dict[str, list[str]] = field(default_factory=dict)
    json: Any = None
    files: dict[str, Upload] = field(default_factory=dict)
    client: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Response:
    status: int
    payload: Any  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to hold the answer back after the work is done


def parse_request(method: str, target: str, headers: dict[str, str], body: bytes, client: str) -> Request:
    parts = urlsplit(target)
    req = Request(method, parts.path.rstrip("/") or "/", parse_qs(parts.query, keep_blank_values=True),
                  headers, body, client=client)
    ctype = req.header("Content-Type") or ""
    if ctype.startswith("application/json") and body:
        req.json = json.loads(body)
    elif ctype.startswith("application/x-www-form-urlencoded"):
        req.form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    elif ctype.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if part.get_filename() is not None or name in ("file", "thumbnail"):
                req.files[name] = Upload(part.get_filename(), part.get_content_type(), data)
            else:
                req.form.setdefault(name, []).append(data.decode("utf-8"))
    return req


def http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


def make_handler(dispatch: Callable[[Request], Response], closing: threading.Event) -> type[BaseHTTPRequestHandler]:
    """A request handler class that hands every request to `dispatch`."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "Mastodon"
        sys_version = ""

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_HEAD(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def send_response(self, code: int, message: str | None = None) -> None:
            # No automatic Date: `dispatch` sets it from the fake's clock, so the request log shows it too.
            self.log_request(code)
            self.send_response_only(code, message)
            self.send_header("Server", self.version_string())

        def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures anyway
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = parse_request(self.command, self.path, dict(self.headers.items()), body, self.client_address[0])
            resp = dispatch(req)
            if resp.stall and closing.wait(resp.stall):
                return  # server closing: drop the connection unanswered
            raw = resp.payload if isinstance(resp.payload, bytes) else json.dumps(resp.payload).encode("utf-8")
            try:
                self.send_response(resp.status)
                if "Content-Type" not in resp.headers:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in resp.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timed out) before we answered: that is the point of a stall

    return Handler
