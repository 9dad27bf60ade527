"""`[corrections] retract_when_gone`: an article that answers 410 Gone takes its dispatch down.

A small site on 127.0.0.1 serves the feed and the articles (200, 404, 410, as the test sets
them) and records every request; `syndicate run` (the console script) posts to the X fake.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from delivery_support import Entry, Setup, cli_env, feed_xml, make_x_fake, parts, run_cli

from syndicate.delivery.gone import MAX_HEADS_PER_RUN

PUBLISHED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Site:
    """The journalist's site: /feed.xml and /articles/NAME with a status per article."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.status: dict[str, int] = {}  # article name -> status (default 200)
        self.requests: list[tuple[str, str]] = []  # (method, path)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _answer(self, with_body: bool) -> None:
                site.requests.append((self.command, self.path))
                if self.path == "/feed.xml":
                    body = feed_xml(site.entries).encode()
                    code, ctype = 200, "application/rss+xml"
                else:
                    name = self.path.rsplit("/", 1)[-1]
                    code = site.status.get(name, 200)
                    body, ctype = f"<html><title>{name}</title></html>".encode(), "text/html"
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def article(self, name: str) -> Entry:
        return Entry(name, f"Story {name}", f"A short report about {name}.",
                     PUBLISHED + timedelta(minutes=len(self.entries)), link=f"{self.base}/articles/{name}")

    def heads(self) -> list[str]:
        return [p.rsplit("/", 1)[-1] for m, p in self.requests if m == "HEAD"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def wire(tmp: Path, names: list[str], *, gone: bool = True) -> Iterator[tuple[Site, Setup, dict[str, str], Any]]:
    site = Site()
    site.entries = [site.article(n) for n in names]
    try:
        with make_x_fake() as fake:
            setup = Setup(tmp, feed=f"{site.base}/feed.xml", x_api=fake.base_url, mode="teaser",
                          backfill=len(names), delivery={"max_posts_per_run": 50})
            setup.write()
            if gone:
                with setup.config.open("a", encoding="utf-8") as fh:
                    fh.write("\n[corrections]\nretract_when_gone = true\n")
            yield site, setup, cli_env(x=True), fake
    finally:
        site.close()


def run(setup: Setup, env: dict[str, str]) -> str:
    result = run_cli(setup.config, "run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def live(fake: Any) -> list[str]:
    return sorted(t.text.split("\n")[0] for t in fake.tweets)


def test_only_a_410_retracts_and_a_dropped_entry_does_not(tmp_path: Path) -> None:
    with wire(tmp_path, ["ok", "missing", "pulled", "dropped"]) as (site, setup, env, fake):
        run(setup, env)
        assert live(fake) == ["Story dropped", "Story missing", "Story ok", "Story pulled"]

        site.status.update({"missing": 404, "pulled": 410})
        site.entries = [e for e in site.entries if e.guid != "dropped"]  # drops off the feed: not a retraction
        site.requests.clear()
        out = run(setup, env)
        assert sorted(site.heads()) == ["dropped", "missing", "ok", "pulled"]
        assert live(fake) == ["Story dropped", "Story missing", "Story ok"]
        assert "Story pulled" in out and "410 Gone" in out
        deletes = [p for p in parts(setup.state) if p["action"] == "delete"]
        assert [(d["dispatch_id"], d["state"]) for d in deletes] == [("pulled", "sent")]

        # Never posted again, nothing deleted twice, however often it is checked.
        for _ in range(2):
            run(setup, env)
        assert live(fake) == ["Story dropped", "Story missing", "Story ok"]
        assert sum(1 for r in fake.requests if r.method == "DELETE") == 1
        assert "pulled" not in site.heads()[4:], "a retracted dispatch is checked again"


def test_heads_are_bounded_per_run_and_old_dispatches_are_left_alone(tmp_path: Path) -> None:
    names = [f"s{i:02d}" for i in range(MAX_HEADS_PER_RUN + 3)]
    with wire(tmp_path, names) as (site, setup, env, _):
        run(setup, env)  # accepts and posts all, then checks the first MAX_HEADS_PER_RUN
        first = site.heads()
        assert len(first) == MAX_HEADS_PER_RUN
        site.requests.clear()
        run(setup, env)
        second = site.heads()
        assert len(second) == MAX_HEADS_PER_RUN
        assert set(names) - set(first) <= set(second), "the dispatches not checked yet go first"

        # Accepted over 7 days ago: no longer checked.
        conn = sqlite3.connect(setup.state)
        conn.execute("UPDATE dispatches SET accepted_at = accepted_at - 8 * 86400 WHERE id != 's00'")
        conn.commit()
        conn.close()
        site.requests.clear()
        run(setup, env)
        assert site.heads() == ["s00"]


def test_off_by_default_no_head_requests(tmp_path: Path) -> None:
    with wire(tmp_path, ["a", "b"], gone=False) as (site, setup, env, fake):
        site.status["b"] = 410
        run(setup, env)
        run(setup, env)
        assert site.heads() == []
        assert live(fake) == ["Story a", "Story b"]
