"""A programmable HTTP server on 127.0.0.1 for feed-fetching tests and the fetch benchmark.

Each path gets a `Reply` (or a function of the `Seen` request that returns one):
status, headers, body, a delay before answering, or a streamed body (`chunks`,
sent with chunked transfer encoding, optionally with a pause between chunks).
The server records what actually arrived (`seen`), how many bytes it managed to
send per path (`sent`), and the most requests it ever had in flight at once
(`max_in_flight`: received, not yet answered), so tests assert on the wire, not
on our own code's say-so.

Waits are interruptible: `stop()` releases every sleeping handler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class Seen:
    """One request as received. Header names are lower-cased."""

    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    chunks: Callable[[], Iterable[bytes]] | None = None  # a streamed body, instead of `body`
    chunk_delay: float = 0.0  # seconds between chunks
    content_length: int | None = None  # announce this length (with `chunks`: a raw stream)


Route = Reply | Callable[[Seen], Reply]


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        """`host`: any loopback address (127.0.0.2 plays "another host" in the fetch-rule tests)."""
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.sent: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    # -- setup -------------------------------------------------------------------------
    def route(self, path: str, reply: Route) -> str:
        """Serve `reply` at `path`; returns the full URL."""
        self.routes[path] = reply
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- called by the handler ---------------------------------------------------------
    def _enter(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] = self.sent.get(path, 0) + n

    def _wait(self, seconds: float) -> bool:
        """Sleep; False when the server is stopping (the handler should give up)."""
        return not self._stopping.wait(seconds) if seconds > 0 else True


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus
        # the client's delayed ACK add ~40 ms to every response (it skews the bench).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep test output clean

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
                self.close_connection = True  # a client hanging up on a kept-alive connection

        def do_GET(self) -> None:  # noqa: N802
            seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
            server._enter(seen)
            self._in_flight = True
            try:
                self._answer(seen)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self.close_connection = True  # the client gave up: that is what some tests want
            finally:
                self._answered()

        def _answered(self) -> None:
            """A request stops counting as in flight when its answer starts: from then on the client
            may read it whole and send its next request before this thread gets to run again, and a
            count taken after the last write would see both (one more than the client ever had)."""
            if self._in_flight:
                self._in_flight = False
                server._leave()

        def _answer(self, seen: Seen) -> None:
            route = server.routes.get(seen.path) or server.routes.get(seen.path.split("?")[0])
            if route is None:
                route = Reply(404, b"no such route")
            reply = route(seen) if callable(route) else route
            if not server._wait(reply.delay):
                return
            self._answered()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.chunks is not None:
                self._stream(seen.path, reply)
                return
            no_body = reply.status in (204, 304)
            if not no_body:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if not no_body:
                self.wfile.write(reply.body)
                server._count(seen.path, len(reply.body))

        def _stream(self, path: str, reply: Reply) -> None:
            assert reply.chunks is not None
            chunked = reply.content_length is None
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(reply.content_length))
            self.end_headers()
            for chunk in reply.chunks():
                if not server._wait(reply.chunk_delay):
                    return
                if not chunk:
                    continue
                if chunked:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    self.wfile.write(chunk)
                self.wfile.flush()
                server._count(path, len(chunk))
            if chunked:
                self.wfile.write(b"0\r\n\r\n")

    return Handler


def conditional(body: Callable[[], bytes], content_type: str = "application/rss+xml") -> Callable[[Seen], Reply]:
    """A feed route that answers a conditional GET as real servers do: 304 when the client's
    If-None-Match names the current body's ETag, else 200 with the body and its ETag.
    `body` is read on every request, so a test can change the feed between runs."""
    import hashlib

    def reply(seen: Seen) -> Reply:
        current = body()
        etag = '"' + hashlib.sha256(current).hexdigest()[:16] + '"'
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, current, headers={"ETag": etag, "Content-Type": content_type})

    return reply
