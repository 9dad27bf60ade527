"""A forwarding HTTP proxy on loopback that SIGKILLs a client process at request k.

Crash-injection tests put it between `syndicate run` (a subprocess) and a fake
API (`api_base` / `instance` = the proxy's `base_url`). It forwards every
request unchanged (the Host header too, so OAuth 1.0a signatures still verify
upstream), counts them, and, when armed with `arm(k, when, pid)`:

* `when="before"`: at the k-th request it kills the process *before*
  forwarding: the server never sees the request;
* `when="after"`: it forwards the k-th request, reads the upstream's whole
  answer (the post IS stored), then kills the process: the client never hears
  the answer.

The kill is made synchronous: after `SIGKILL` the proxy waits until the
process is a zombie (or gone) before it closes the connection, so the client
cannot react to the dropped connection in between. Unarmed, it counts the
requests of a clean run (`count`, `log`).
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["KillProxy", "kill_and_wait"]

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}


def kill_and_wait(pid: int, timeout: float = 10.0) -> None:
    """SIGKILL `pid` and return once it is dead (a zombie waiting to be reaped, or gone)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.002)
    raise TimeoutError(f"process {pid} did not die within {timeout} s of SIGKILL")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class KillProxy:
    """Forward to `upstream` (a base URL like http://127.0.0.1:PORT); kill a client at request k."""

    def __init__(self, upstream: str) -> None:
        split = urlsplit(upstream)
        self.upstream_host = split.hostname or "127.0.0.1"
        self.upstream_port = split.port or 80
        self.count = 0
        self.log: list[tuple[str, str]] = []  # (method, path) of every request, in arrival order
        self.killed: tuple[int, str, str, str] | None = None  # (k, when, method, path) once it fired
        self._kill_at: int | None = None
        self._when = "before"
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None

    # -- control ------------------------------------------------------------------------

    def arm(self, k: int, when: str, pid: int) -> None:
        """Kill `pid` at the k-th request (1-based, counted from now) `when` = "before" | "after"."""
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {when!r}")
        with self._lock:
            self.count, self.log, self.killed = 0, [], None
            self._kill_at, self._when, self._pid = k, when, pid

    def disarm(self) -> None:
        """Forward (and count) without killing, from zero."""
        with self._lock:
            self.count, self.log, self.killed = 0, [], None
            self._kill_at, self._pid = None, None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> KillProxy:
        self._server = _Server(("127.0.0.1", 0), _make_handler(self))
        threading.Thread(target=self._server.serve_forever, args=(0.02,), name="killproxy", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> KillProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "proxy not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- one request ----------------------------------------------------------------------

    def _decide(self, method: str, path: str) -> tuple[str | None, int | None]:
        """Count the request; say whether (and when) to kill at it."""
        with self._lock:
            self.count += 1
            self.log.append((method, path))
            if self._kill_at is not None and self.count == self._kill_at and self._pid is not None:
                self.killed = (self.count, self._when, method, path)
                return self._when, self._pid
        return None, None

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP], data
        finally:
            conn.close()


def _make_handler(proxy: KillProxy) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            when, pid = proxy._decide(self.command, urlsplit(self.path).path)
            if when == "before" and pid is not None:
                kill_and_wait(pid)
                self.close_connection = True
                return
            try:
                status, resp_headers, data = proxy.forward(self.command, self.path, headers, body)
            except OSError as exc:
                status, resp_headers, data = 502, [("Content-Type", "text/plain")], f"proxy: {exc}".encode()
            if when == "after" and pid is not None:
                kill_and_wait(pid)
                self.close_connection = True
                return
            try:
                self.send_response_only(status)  # upstream's own Date/Server headers, not ours as well
                for name, value in resp_headers:
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler
