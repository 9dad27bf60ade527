"""fetch_feed / fetch_many against a real HTTP server on 127.0.0.1 (and real files)."""

from __future__ import annotations

import gzip
import os
import socket
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate import __version__
from syndicate.errors import FeedError
from syndicate.netguard import FetchPolicy
from syndicate.watch.fetch import (
    FeedRequest,
    FetchResult,
    Timeouts,
    fetch_feed,
    fetch_many,
    make_client,
)
from watch.feedserver import FeedServer, Reply, Seen

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>One</title><link>https://example.org/1</link><guid>1</guid></item>
</channel></rss>"""
XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
FAST = Timeouts(connect=2.0, read=0.3, total=5.0)
MB = 1024 * 1024


def _fail(url: str, **kw: object) -> FeedError:
    with pytest.raises(FeedError) as info:
        fetch_feed(url, **kw)  # type: ignore[arg-type]
    assert info.value.url == url
    return info.value


# -- conditional GET -------------------------------------------------------------------


def test_etag_round_trip_sends_if_none_match_and_gets_304(feed_server: FeedServer) -> None:
    def etagged(req: Seen) -> Reply:
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, RSS, {**XML, "ETag": '"v1"'})

    url = feed_server.route("/etag.xml", etagged)
    first = fetch_feed(url)
    assert (first.status, first.content, first.etag) == (200, RSS, '"v1"')
    second = fetch_feed(url, etag=first.etag)
    assert (second.status, second.content, second.etag) == (304, None, '"v1"')
    sent = [r.headers for r in feed_server.requests_to("/etag.xml")]
    assert "if-none-match" not in sent[0]
    assert sent[1]["if-none-match"] == '"v1"'
    assert "if-modified-since" not in sent[1]


def test_last_modified_round_trip_and_validators_kept_when_304_omits_them(
        feed_server: FeedServer) -> None:
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"

    def dated(req: Seen) -> Reply:
        if req.headers.get("if-modified-since") == stamp:
            return Reply(304)  # many servers send no validators with a 304
        return Reply(200, RSS, {**XML, "Last-Modified": stamp})

    url = feed_server.route("/lm.xml", dated)
    first = fetch_feed(url)
    assert (first.status, first.last_modified, first.etag) == (200, stamp, None)
    second = fetch_feed(url, last_modified=first.last_modified)
    assert (second.status, second.content, second.last_modified) == (304, None, stamp)
    assert feed_server.requests_to("/lm.xml")[1].headers["if-modified-since"] == stamp


def test_request_headers_name_us_and_offer_only_bounded_encodings(feed_server: FeedServer) -> None:
    url = feed_server.route("/h.xml", Reply(200, RSS, XML))
    result = fetch_feed(url)
    headers = feed_server.requests_to("/h.xml")[0].headers
    assert headers["user-agent"].startswith(f"syndicate/{__version__} (")
    assert headers["accept-encoding"] == "gzip, deflate"
    assert "application/rss+xml" in headers["accept"]
    assert result.content_type == XML["Content-Type"]
    assert result.elapsed >= 0


# -- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "HTTP 404 Not Found"), (410, "HTTP 410 Gone"), (500, "HTTP 500 Internal Server Error")],
)
def test_http_errors_have_one_line_reasons(feed_server: FeedServer, status: int, reason: str) -> None:
    url = feed_server.route("/e", Reply(status, b"<html>oops</html>", {"Content-Type": "text/html"}))
    assert _fail(url).reason == reason
    assert str(_fail(url)) == f"{url}: {reason}"


def test_rate_limited_reason_carries_retry_after(feed_server: FeedServer) -> None:
    url = feed_server.route("/429", Reply(429, b"", {"Retry-After": "120"}))
    assert _fail(url).reason == "HTTP 429 Too Many Requests (Retry-After 120)"


def test_slow_server_hits_the_read_timeout(feed_server: FeedServer) -> None:
    url = feed_server.route("/slow", Reply(200, RSS, XML, delay=3.0))
    assert _fail(url, timeout=FAST).reason == "timed out after 0.3 s reading"


def test_trickling_server_hits_the_total_deadline(feed_server: FeedServer) -> None:
    url = feed_server.route("/trickle", Reply(200, headers=XML, chunk_delay=0.05,
                                              chunks=lambda: (b"<" for _ in range(400))))
    reason = _fail(url, timeout=Timeouts(connect=2, read=1, total=0.4)).reason
    assert reason == "timed out after 0.4 s (total deadline)"
    assert feed_server.sent["/trickle"] < 400


def test_connection_refused() -> None:
    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert _fail(f"http://127.0.0.1:{port}/feed.xml", timeout=FAST).reason == "connection refused"


def test_html_page_instead_of_a_feed(feed_server: FeedServer) -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Blog</title></head><body>Hi</body></html>"
    url = feed_server.route("/page", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    assert _fail(url).reason == "not a feed: got an HTML page (text/html)"


def test_feed_mislabelled_as_html_is_still_fetched(feed_server: FeedServer) -> None:
    url = feed_server.route("/mislabelled", Reply(200, RSS, {"Content-Type": "text/html"}))
    assert fetch_feed(url).content == RSS


def test_unsupported_scheme_and_unsolicited_encoding(feed_server: FeedServer) -> None:
    assert "unsupported URL scheme 'ftp'" in _fail("ftp://example.org/feed.xml").reason
    url = feed_server.route("/br", Reply(200, b"\x0b\x02\x80", {"Content-Encoding": "br"}))
    assert _fail(url).reason == "unsupported Content-Encoding 'br' (we asked for gzip, deflate)"


def test_invalid_urls_are_feed_errors_even_in_fetch_many(feed_server: FeedServer) -> None:
    assert _fail("http://[::1/feed").reason.startswith("invalid URL: ")
    url = feed_server.route("/badredirect", Reply(302, headers={"Location": "http://[::1/x"}))
    assert _fail(url).reason == ("HTTP protocol error while waiting for the response: "
                                 "Invalid URL in location header: Invalid port: ':1'.")
    ok = feed_server.route("/ok.xml", Reply(200, RSS, XML))
    bad, good = fetch_many([FeedRequest("http://[::1/feed"), FeedRequest(ok)])
    assert isinstance(bad, FeedError) and isinstance(good, FetchResult)


def test_non_ascii_stored_validators_are_not_sent(feed_server: FeedServer) -> None:
    url = feed_server.route("/v.xml", Reply(200, RSS, XML))
    assert fetch_feed(url, etag='"café"', last_modified="lundi 1er décembre").status == 200
    headers = feed_server.requests_to("/v.xml")[0].headers
    assert "if-none-match" not in headers and "if-modified-since" not in headers


# -- size cap ----------------------------------------------------------------------------


def _fifty_mb() -> Iterator[bytes]:
    chunk = b"<item>" + b"x" * (64 * 1024 - 6)
    for _ in range(50 * 16):
        yield chunk


def test_streamed_50_mb_body_stops_at_the_cap(feed_server: FeedServer) -> None:
    url = feed_server.route("/big", Reply(200, headers=XML, chunks=_fifty_mb))
    assert _fail(url).reason == "larger than the 10 MB cap"
    # We hung up early: the server got nowhere near 50 MB out (socket buffers hold a few MB).
    assert feed_server.sent["/big"] < 30 * MB


def test_announced_50_mb_body_is_refused_before_reading(feed_server: FeedServer) -> None:
    url = feed_server.route("/announced", Reply(200, headers=XML, chunks=_fifty_mb,
                                                content_length=50 * MB))
    assert _fail(url).reason == "larger than the 10 MB cap (Content-Length 52,428,800 bytes)"
    assert feed_server.sent.get("/announced", 0) < 30 * MB


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """100 MB of zeros in ~100 KB of gzip."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MB)
    return b"".join([*(z.compress(block) for _ in range(100)), z.flush()])


def test_gzip_bomb_stops_at_the_decompressed_cap(feed_server: FeedServer, gzip_bomb: bytes) -> None:
    url = feed_server.route("/bomb", Reply(200, gzip_bomb, {**XML, "Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        reason = _fail(url, max_bytes=2 * MB).reason
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason == "larger than the 2 MB cap"
    assert peak < 12 * MB, f"peak {peak / MB:.1f} MB while refusing a gzip bomb"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_feed_is_inflated(feed_server: FeedServer, encoding: str) -> None:
    body = gzip.compress(RSS) if encoding == "gzip" else zlib.compress(RSS)
    url = feed_server.route("/z", Reply(200, body, {**XML, "Content-Encoding": encoding}))
    assert fetch_feed(url).content == RSS


# -- redirects ---------------------------------------------------------------------------


def test_redirect_is_followed_and_final_url_reported(feed_server: FeedServer) -> None:
    final = feed_server.route("/new.xml", Reply(200, RSS, XML))
    url = feed_server.route("/old.xml", Reply(301, headers={"Location": "/new.xml"}))
    result = fetch_feed(url)
    assert (result.url, result.final_url, result.status, result.content) == (url, final, 200, RSS)


def test_redirect_loop_is_reported(feed_server: FeedServer) -> None:
    url = feed_server.route("/loop", Reply(302, headers={"Location": "/loop"}))
    assert _fail(url).reason == "too many redirects (a redirect loop?)"


# -- local files -------------------------------------------------------------------------


def test_local_path_and_file_url_with_conditional_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    first = fetch_feed(str(path))
    assert (first.status, first.content, first.final_url) == (200, RSS, path.as_uri())
    assert first.etag and first.last_modified
    via_url = fetch_feed(path.as_uri(), etag=first.etag)
    assert (via_url.status, via_url.content) == (304, None)
    path.write_bytes(RSS + b"\n")
    assert fetch_feed(str(path), etag=first.etag).status == 200


def test_local_file_errors(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.xml")
    assert _fail(missing).reason == f"no such file: {missing}"
    assert _fail("example.org/feed.xml").reason == (
        "no such file: example.org/feed.xml (for a web feed, start the URL with https://)")
    big = tmp_path / "big.xml"
    with open(big, "wb") as fh:
        fh.truncate(MB + 1)
    assert _fail(str(big), max_bytes=MB).reason == "larger than the 1 MB cap (1,048,577 bytes)"
    page = tmp_path / "index.html"
    page.write_bytes(b"<html><body>hi</body></html>")
    assert _fail(str(page)).reason == "not a feed: got an HTML page (text/html)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file; permission errors cannot happen")
def test_unreadable_local_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.xml"
    path.write_bytes(RSS)
    path.chmod(0)
    assert _fail(str(path)).reason == f"permission denied reading {path}"


# -- fetch_many --------------------------------------------------------------------------


def test_fetch_many_bounds_concurrency_and_keeps_order(feed_server: FeedServer) -> None:
    urls = [feed_server.route(f"/slow{i}.xml", Reply(200, RSS, XML, delay=0.3)) for i in range(12)]
    urls.insert(5, feed_server.route("/gone.xml", Reply(410)))
    results = fetch_many([FeedRequest(u) for u in urls], concurrency=4)
    assert feed_server.max_in_flight == 4
    assert len(results) == 13
    assert isinstance(results[5], FeedError) and results[5].reason == "HTTP 410 Gone"
    ok = [r for i, r in enumerate(results) if i != 5]
    assert all(isinstance(r, FetchResult) and r.content == RSS for r in ok)
    assert [r.url for r in ok if isinstance(r, FetchResult)] == urls[:5] + urls[6:]


def test_fetch_many_passes_validators_and_shares_a_client(feed_server: FeedServer) -> None:
    url = feed_server.route("/v.xml", Reply(304))
    # A caller's client trusts only what its policy names (netguard): here the feed's own host.
    with make_client(policy=FetchPolicy.for_feeds([url])) as client:
        [result] = fetch_many([FeedRequest(url, etag='"e"', last_modified="x")], client=client)
        assert not client.is_closed  # a caller's client is the caller's to close
    assert isinstance(result, FetchResult) and (result.status, result.etag) == (304, '"e"')
    headers = feed_server.requests_to("/v.xml")[0].headers
    assert (headers["if-none-match"], headers["if-modified-since"]) == ('"e"', "x")
    assert fetch_many([]) == []
