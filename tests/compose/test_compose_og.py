"""fetch_card against a small HTTP server on 127.0.0.1: Open Graph, fallbacks, caps, and never raising."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from syndicate.model import Card
from syndicate.netguard import FetchPolicy
from syndicate.watch.og import fetch_card, parse_card

# The test server plays the feed's own host: content URLs on it are trusted (netguard).
FEED_HOST = FetchPolicy(trusted_hosts=frozenset({"127.0.0.1"}))


def _card(url: str, **kw: object) -> Card | None:
    return fetch_card(url, policy=FEED_HOST, **kw)  # type: ignore[arg-type]

ARTICLE = """<!doctype html><html><head>
<meta charset="utf-8"><title>Plain title | Site</title>
<meta property="og:title" content="Floods &amp; fires: the week in review">
<meta property="og:description" content="What happened,   and why.">
<meta property="og:image" content="/img/lead.jpg">
<meta name="twitter:title" content="Twitter title">
</head><body><p>Body</p></body></html>"""

FALLBACK = """<html><head><title>
  Only a title tag
</title><meta name="description" content="Plain description">
<meta name="twitter:image" content="https://cdn.example.org/t.jpg"></head><body></body></html>"""

ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/article": (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE.encode()),
    "/fallback": (200, {"Content-Type": "text/html"}, FALLBACK.encode()),
    "/latin1": (200, {"Content-Type": "text/html; charset=iso-8859-1"},
                "<head><title>Caf\u00e9 cr\u00e8me</title></head>".encode("latin-1")),
    "/meta-charset": (200, {"Content-Type": "text/html"},
                      '<head><meta charset="windows-1252"><title>\u201cQuoted\u201d</title></head>'.encode("cp1252")),
    "/redirect": (301, {"Location": "/article"}, b""),
    "/missing": (404, {"Content-Type": "text/html"}, ARTICLE.encode()),
    "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.7 " + ARTICLE.encode()),
    "/empty": (200, {"Content-Type": "text/html"}, b"<html><head></head><body>nothing</body></html>"),
    "/late-tags": (200, {"Content-Type": "text/html"},
                   b"<html><head>" + b"<!-- padding -->" * 20_000 + b"<title>Too late</title></head></html>"),
    "/head-then-huge": (200, {"Content-Type": "text/html"},
                        ARTICLE.encode().replace(b"<p>Body</p>", b"<p>x</p>" * 500_000)),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                self.wfile.write(b"<html><head><title>Slow</title>")  # a card, if we waited to the end
                for _ in range(40):  # then a byte every 0.1 s: each read is quick, the whole takes 4 s
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            return
        status, headers, body = ROUTES.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client stopped reading at the cap: that is the point

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_open_graph_tags_with_absolute_image(server: str) -> None:
    assert _card(server + "/article") == Card(
        uri=server + "/article",
        title="Floods & fires: the week in review",
        description="What happened, and why.",
        image_url=server + "/img/lead.jpg",
    )


def test_redirects_are_followed_and_the_card_keeps_the_asked_url(server: str) -> None:
    card = _card(server + "/redirect")
    assert card is not None and card.uri == server + "/redirect" and card.image_url == server + "/img/lead.jpg"


def test_fallback_to_title_description_and_twitter_tags(server: str) -> None:
    assert _card(server + "/fallback") == Card(
        uri=server + "/fallback", title="Only a title tag", description="Plain description",
        image_url="https://cdn.example.org/t.jpg")


def test_charsets_from_header_and_meta(server: str) -> None:
    assert _card(server + "/latin1").title == "Café crème"  # type: ignore[union-attr]
    assert _card(server + "/meta-charset").title == "\u201cQuoted\u201d"  # type: ignore[union-attr]


def test_failures_give_none(server: str) -> None:
    for path in ("/missing", "/pdf", "/empty", "/nowhere"):
        assert _card(server + path) is None, path
    assert _card("ftp://127.0.0.1/file") is None
    assert _card("not a url") is None
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert _card(f"http://127.0.0.1:{closed}/x", timeout=2) is None


def test_size_cap_and_overall_deadline(server: str) -> None:
    # Tags past the cap are never read; a head followed by megabytes of body is read only to </head>.
    assert _card(server + "/late-tags", max_bytes=10_000) is None
    card = _card(server + "/head-then-huge", max_bytes=10_000)
    assert card is not None and card.title.startswith("Floods")
    # A server dripping bytes faster than the read timeout still cannot hold us past `timeout`.
    assert _card(server + "/slow", timeout=0.5) is None


def test_a_caller_supplied_client_is_used(server: str) -> None:
    seen: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]}) as client:
        assert _card(server + "/article", client=client) is not None
    assert seen == [server + "/article"]


def test_parse_card_on_its_own() -> None:
    assert parse_card("<head><meta property='og:image' content='x.png'></head>", "https://a.org/b/") is None
    card = parse_card("<title>T</title><meta property='og:image' content='javascript:alert(1)'>", "https://a.org/")
    assert card == Card(uri="https://a.org/", title="T", description="", image_url=None)
