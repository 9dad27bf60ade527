"""A real headless Chromium for the preview tests, driven by Playwright (Python).

We use Debian's `/usr/bin/chromium` (package `chromium`), never a browser that
Playwright downloads: `launch_persistent_context(executable_path=...)` with a
fresh user-data-dir and the flags below. Every request the page makes goes
through a route that lets only loopback, file: and data: URLs through and
records the rest, so a test can assert the page tried to reach nothing else.
`serve_directory` serves files on 127.0.0.1 (port 0) for the page and its images.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path(os.environ.get("SYNDICATE_CHROMIUM", "/usr/bin/chromium"))
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
INSTALL_HINT = "install it with `apt-get install chromium` (or run tests/preview/install.sh as root)"


class BrowserMissing(RuntimeError):
    """Chromium or Playwright is not installed; the message says how to install it."""


@dataclass
class Traffic:
    """What the page did: every URL it requested, those we refused, and any dialog it opened."""

    requested: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def allowed(url: str) -> bool:
    """Only the loopback server, local files and inline data may be loaded."""
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "about"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname == "127.0.0.1"


def check_installed() -> None:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        raise BrowserMissing(f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise BrowserMissing("Python Playwright is missing: pip install playwright (never `playwright install`)") from exc


@contextmanager
def chromium_page(*, width: int = 1280, height: int = 900) -> Iterator[tuple[Any, Traffic]]:
    """A fresh Chromium page (viewport width x height) and the record of its traffic."""
    check_installed()
    from playwright.sync_api import Route, sync_playwright

    traffic = Traffic()
    profile = tempfile.mkdtemp(prefix="syndicate-chromium-")

    def route(r: Route) -> None:
        url = r.request.url
        traffic.requested.append(url)
        if allowed(url):
            r.continue_()
        else:
            traffic.refused.append(url)
            r.abort("blockedbyclient")

    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=list(FLAGS),
                viewport={"width": width, "height": height},
                service_workers="block",
            )
            try:
                context.route("**/*", route)
                page = context.pages[0] if context.pages else context.new_page()

                def on_dialog(dialog: Any) -> None:
                    traffic.dialogs.append(f"{dialog.type}: {dialog.message}")
                    dialog.dismiss()

                page.on("dialog", on_dialog)
                yield page, traffic
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 at an OS-chosen port; yields the base URL (no trailing slash)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
