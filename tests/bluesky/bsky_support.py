"""Helpers for the Bluesky tests: part identities, reading records back over plain HTTP, test images."""

from __future__ import annotations

import http.server
import io
import random
import threading
from collections.abc import Callable
from typing import Any

import httpx
from pds.harness import PdsHandle
from PIL import Image

from syndicate.platforms.base import PartIdentity
from syndicate.platforms.bluesky import BlueskyPublisher
from syndicate.platforms.tid import new_tid

PublisherFactory = Callable[..., BlueskyPublisher]


def identity(part: int = 1, dispatch: str = "dispatch-1") -> PartIdentity:
    """A fresh part identity with its record key chosen up front, as the outbox does."""
    return PartIdentity(dispatch_id=dispatch, part=part, key=f"key-{dispatch}-{part}", rkey=new_tid())


def get_record(pds: PdsHandle, did: str, rkey: str) -> dict[str, Any]:
    """Read a post back straight from the PDS (plain HTTP, not the SDK under test)."""
    r = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord",
                  params={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey}, timeout=10)
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    return data


def list_rkeys(pds: PdsHandle, did: str) -> list[str]:
    rkeys: list[str] = []
    cursor: str | None = None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": "100"}
        if cursor:
            params["cursor"] = cursor
        r = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=10)
        r.raise_for_status()
        page = r.json()
        rkeys += [rec["uri"].rsplit("/", 1)[1] for rec in page["records"]]
        cursor = page.get("cursor")
        if not cursor or not page["records"]:
            return rkeys


def get_blob(pds: PdsHandle, did: str, cid: str) -> bytes:
    r = httpx.get(f"{pds.url}/xrpc/com.atproto.sync.getBlob", params={"did": did, "cid": cid}, timeout=10)
    r.raise_for_status()
    return r.content


def noisy_png(width: int, height: int, seed: int = 1) -> bytes:
    """A PNG that does not compress: random pixels, several MB at 2000×1500."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (width, height), rnd.randbytes(width * height * 3))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def small_jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(out, "JPEG")
    return out.getvalue()


class ImageServer:
    """Serves fixed bytes at paths on 127.0.0.1 (port 0); anything else is a 404."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.files = files
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.requests.append(self.path)
                found = outer.files.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                body, mime = found
                self.send_response(200)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


ServeImages = Callable[[dict[str, tuple[bytes, str]]], ImageServer]
