"""Helpers for the Mastodon publisher tests: posts, identities, a fake clock, an image server."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image as PILImage

from syndicate.model import Post
from syndicate.platforms.base import PartIdentity
from syndicate.platforms.mastodon import MastodonPublisher

TOKEN = "test-token-mastodon"
MakePublisher = Callable[..., MastodonPublisher]


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def post(text: str, **kw: Any) -> Post:
    return Post(text=text, length=len(text), limit=500, **kw)


def identity(part: int = 1, dispatch: str = "dispatch-1") -> PartIdentity:
    return PartIdentity(dispatch_id=dispatch, part=part, key=f"key-{dispatch}-{part}")


class FakeClock:
    """time.time stand-in that only moves when someone sleeps on it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ImageServer:
    """A loopback web server for images: `routes[path] = (status, body)`, fetched at `base_url + path`."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
