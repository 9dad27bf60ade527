"""A small, generic, fault-injecting HTTP server for protocol fakes.

`FakeHTTPServer` runs a `ThreadingHTTPServer` on 127.0.0.1, port 0 (the OS
picks a free port), in a daemon thread, and is a context manager. Subclasses
register routes (`route(method, regex, handler)`) and may override two hooks:
`before(request)` (authentication, rate limiting: return a Response to answer
early) and `after(request, response)` (add headers to every answer).

Every request is logged (`requests`: method, path, query, headers, body), so
tests can count calls and grep what went over the wire for secrets.

Faults are queued per test with `faults.next(...)` and consumed by the next
matching requests, in order:

* `status=` answers with that status (and `body=`, `headers=`) *instead of*
  handling the request: nothing is stored.
* `delay=` waits before handling.
* `malformed=True` handles the request (side effects happen) and then sends a
  truncated, unparseable JSON body with the handler's status.
* `stall=` handles the request (the post IS stored) and then waits that long
  before answering: a client with a shorter timeout gives up although the
  write happened. This is the case that makes naive retries post twice.

Waits are interruptible: `stop()` releases every stalled handler at once.

Sources: none needed; this module holds no platform fact. What a platform
answers lives in the fake built on it (`x_api.py` names its sources).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Fault", "Faults", "FakeHTTPServer", "Request", "Response"]


@dataclass(frozen=True)
class Request:
    """One request as the server received it. Header names are lower-cased."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"content-type": "application/json; charset=utf-8"}
        hdrs.update(headers or {})
        return cls(status, json.dumps(payload).encode("utf-8"), hdrs)


Handler = Callable[[Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Fault:
    """What to do to one matching request (see the module docstring)."""

    status: int | None = None
    body: Any = None  # bytes, str, or anything JSON-serialisable
    headers: dict[str, str] | None = None
    delay: float = 0.0
    malformed: bool = False
    stall: float | None = None
    method: str | None = None  # match only this method (None: any)
    path: str | None = None  # match only paths this regex fully matches (None: any)

    def matches(self, request: Request) -> bool:
        if self.method is not None and self.method.upper() != request.method:
            return False
        return self.path is None or re.fullmatch(self.path, request.path) is not None

    def response(self) -> Response:
        assert self.status is not None
        if isinstance(self.body, bytes):
            return Response(self.status, self.body, dict(self.headers or {}))
        if isinstance(self.body, str):
            return Response(self.status, self.body.encode("utf-8"), dict(self.headers or {}))
        payload = self.body if self.body is not None else {"title": "Fault", "status": self.status}
        return Response.json(self.status, payload, self.headers)


class Faults:
    """A thread-safe queue of faults; each request takes the first one that matches it."""

    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()

    def next(
        self,
        n: int = 1,
        *,
        status: int | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        malformed: bool = False,
        stall: float | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Apply this fault to the next `n` matching requests."""
        fault = Fault(status, body, headers, delay, malformed, stall, method, path)
        with self._lock:
            self._queue.extend([fault] * n)

    def malformed_json(self, n: int = 1, *, method: str | None = None, path: str | None = None) -> None:
        self.next(n, malformed=True, method=method, path=path)

    def delay(self, seconds: float, n: int = 1, *, method: str | None = None, path: str | None = None) -> None:
        self.next(n, delay=seconds, method=method, path=path)

    def store_then_stall(
        self, seconds: float, n: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        self.next(n, stall=seconds, method=method, path=path)

    def take(self, request: Request) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._queue):
                if fault.matches(request):
                    return self._queue.pop(i)
        return None

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stalled handlers must not hold up stop()


class FakeHTTPServer:
    """Base class: routes, request log, faults, lifecycle. Subclasses add the API."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults = Faults()
        self.requests: list[Request] = []
        self.lock = threading.RLock()  # guards the subclass's state and the log
        self._stopping = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- routes and hooks -------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def before(self, request: Request) -> Response | None:
        """Run before the handler (after faults); a Response answers the request early."""
        return None

    def after(self, request: Request, response: Response) -> Response:
        """Run on every answer the API gives (not on injected status faults)."""
        return response

    def not_found(self, request: Request) -> Response:
        return Response.json(404, {"title": "Not Found", "status": 404, "detail": f"no route {request.path}"})

    # -- lifecycle --------------------------------------------------------

    def start(self) -> FakeHTTPServer:
        handler = _make_handler(self)
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        self._stopping.wait(seconds)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no request is being handled (e.g. a delayed one finished); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _begin(self) -> None:
        with self._idle:
            self._in_flight += 1

    def _end(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    # -- request log --------------------------------------------------------

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Logged requests, optionally filtered by method and path regex."""
        with self.lock:
            log = list(self.requests)
        return [
            r
            for r in log
            if (method is None or r.method == method.upper()) and (path is None or re.fullmatch(path, r.path))
        ]

    # -- dispatch -----------------------------------------------------------

    def handle(self, request: Request) -> tuple[Response, Fault | None]:
        with self.lock:
            self.requests.append(request)
        fault = self.faults.take(request)
        if fault is not None and fault.delay:
            self.wait(fault.delay)
        if fault is not None and fault.status is not None:
            return fault.response(), fault
        early = self.before(request)
        if early is not None:
            return self.after(request, early), fault
        for method, pattern, handler in self._routes:
            m = pattern.fullmatch(request.path)
            if m and method == request.method:
                return self.after(request, handler(request, m.groupdict())), fault
        return self.after(request, self.not_found(request)), fault


def _make_handler(fake: FakeHTTPServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms delayed-ACK stall

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            fake._begin()
            try:
                self._answer(request)
            finally:
                fake._end()

        def _answer(self, request: Request) -> None:
            response, fault = fake.handle(request)
            payload = response.body
            if fault is not None and fault.malformed:
                payload = payload[: max(1, len(payload) // 2)] or b"{"
            if fault is not None and fault.stall:
                fake.wait(fault.stall)
            try:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); the side effect already happened

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; the request log is `fake.requests`

    return _Handler
