"""Helpers for the delivery tests: feeds, configs, canary credentials, running `syndicate`, virtual time.

Everything a test needs to drive the real `syndicate run` (in-process or as a
subprocess) against the fakes and the reference PDS on loopback, and to read
back what the *servers* stored.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

SYNDICATE = Path(sys.executable).with_name("syndicate")  # the installed console script
# Set by the `both_backends` fixture (tests/conftest.py) for a test on PostgreSQL: every Setup then
# gets a fresh database of its own (as it would a state file of its own), and `parts(setup.state)`
# reads that database (the file is never created).
NEW_STATE_URL: Callable[[], str] | None = None
_POSTGRES_STATES: dict[Path, str] = {}  # a Setup's state file path → the database standing for it

# Canary secrets: distinctive values that must never appear in any output.
X_CANARY = {
    "SYNDICATE_X_CONSUMER_KEY": "CANARYck5d1e0b7a",
    "SYNDICATE_X_CONSUMER_SECRET": "CANARYcs93f0c2aa",
    "SYNDICATE_X_ACCESS_TOKEN": "1500000000000000001-CANARYat44e1",
    "SYNDICATE_X_ACCESS_TOKEN_SECRET": "CANARYats71b0d9e",
}
MASTODON_CANARY = "CANARYmastodon8c2f4e"


def make_x_fake(**kw: Any) -> Any:
    """A fake X API that accepts the canary OAuth 1.0a credentials (start it with `with`)."""
    from fakes.x_api import XApiFake

    return XApiFake(
        consumer_key=X_CANARY["SYNDICATE_X_CONSUMER_KEY"],
        consumer_secret=X_CANARY["SYNDICATE_X_CONSUMER_SECRET"],
        access_token=X_CANARY["SYNDICATE_X_ACCESS_TOKEN"],
        access_token_secret=X_CANARY["SYNDICATE_X_ACCESS_TOKEN_SECRET"],
        **kw,
    )


def make_mastodon_fake(**kw: Any) -> Any:
    """A fake Mastodon instance whose account token is the canary (start it with `with`)."""
    from fakes.mastodon_api import FakeMastodon

    return FakeMastodon(token=MASTODON_CANARY, **kw)


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    body: str
    published: datetime
    link: str | None = None  # e.g. https://example.org/...: never fetched (cards are off in every config)

    @property
    def url(self) -> str:
        # By default loopback (which twitter-text does not count as a link); unique per entry.
        return self.link or f"http://127.0.0.1:9/dispatch/{self.guid}"


def thread_body(marker: str, sentences: int = 40) -> str:
    """A body long enough for a thread of at least 4 parts on every platform; each sentence carries `marker`."""
    return " ".join(
        f"[{marker}] Sentence {i} reports what the river did to the town and what the council said about it."
        for i in range(1, sentences + 1)
    )


def entries(n: int, *, prefix: str = "e", start: datetime | None = None, body: str | None = None) -> list[Entry]:
    """n entries, the i-th published i minutes after `start` (so their order is known)."""
    t0 = start or datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    return [
        Entry(f"{prefix}-{i:03d}", f"Dispatch {prefix} {i:03d}", body or f"Short report {prefix} {i:03d}.",
              t0 + timedelta(minutes=i))
        for i in range(1, n + 1)
    ]


def thread_entries(n: int, *, prefix: str) -> list[Entry]:
    """n entries with long bodies, each its own (X refuses the same words twice, even in replies)."""
    return [Entry(e.guid, e.title, thread_body(e.guid), e.published) for e in entries(n, prefix=prefix)]


def feed_xml(items: Iterable[Entry]) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel><title>Test wire</title>',
           "<link>http://127.0.0.1:9/</link><description>tests</description>"]
    for e in items:
        out.append(
            f"<item><title>{escape(e.title)}</title><link>{escape(e.url)}</link>"
            f'<guid isPermaLink="false">{escape(e.guid)}</guid><pubDate>{format_datetime(e.published)}</pubDate>'
            f"<description>{escape(e.body)}</description></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out)


def write_feed(path: Path, items: Iterable[Entry]) -> Path:
    path.write_text(feed_xml(items), encoding="utf-8")
    return path


@dataclass
class Setup:
    """One config file (and its state file) for a test."""

    dir: Path
    feed: str  # a file path or http URL
    x_api: str | None = None
    mastodon: str | None = None
    bluesky: tuple[str, str] | None = None  # (service URL, handle)
    mode: str = "thread"
    max_parts: int = 4
    backfill: int = 1
    delivery: dict[str, Any] = field(default_factory=dict)
    x_extra: dict[str, Any] = field(default_factory=dict)
    timeout: float = 10.0  # every platform's request timeout
    state_url: str | None = None  # a PostgreSQL state (several hosts) instead of state.db
    name: str = "syndicate.toml"  # the config file's name (hosts sharing a state each have their own)
    feeds: list[str] = field(default_factory=list)  # more feeds beside `feed`

    def __post_init__(self) -> None:
        if self.state_url is None and NEW_STATE_URL is not None:
            self.state_url = NEW_STATE_URL()
            _POSTGRES_STATES[self.state] = self.state_url

    @property
    def config(self) -> Path:
        return self.dir / self.name

    @property
    def state(self) -> Path:
        return self.dir / "state.db"

    @property
    def where(self) -> Path | str:
        """The state to read back: the file, or the PostgreSQL URL."""
        return self.state_url or self.state

    def write(self) -> Path:
        state = f"url = {_toml(self.state_url)}" if self.state_url else 'path = "state.db"'
        lines = ["[state]", state, "", "[[feeds]]", f"url = {_toml(self.feed)}", 'name = "wire"',
                 f"backfill = {self.backfill}", ""]
        for i, url in enumerate(self.feeds, start=1):
            lines += ["[[feeds]]", f"url = {_toml(url)}", f'name = "wire{i}"', f"backfill = {self.backfill}", ""]
        if self.x_api:
            lines += ["[x]", "enabled = true", f"api_base = {_toml(self.x_api)}", 'handle = "syndicate_test"',
                      f"timeout = {self.timeout}"]
            lines += [f"{k} = {_toml(v)}" for k, v in self.x_extra.items()] + [""]
        if self.mastodon:
            lines += ["[mastodon]", "enabled = true", f"instance = {_toml(self.mastodon)}", f"timeout = {self.timeout}", ""]
        if self.bluesky:
            lines += ["[bluesky]", "enabled = true", f"service = {_toml(self.bluesky[0])}",
                      f"handle = {_toml(self.bluesky[1])}", f"timeout = {self.timeout}", ""]
        lines += ["[compose]", f'mode = "{self.mode}"', f"max_parts = {self.max_parts}", "cards = false",
                  "hashtags = false", ""]
        lines += ["[delivery]"] + [f"{k} = {_toml(v)}" for k, v in self.delivery.items()] + [""]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text("\n".join(lines), encoding="utf-8")
        return self.config


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def cli_env(*, x: bool = False, mastodon: str | None = None, bluesky: str | None = None,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a `syndicate` subprocess: no inherited SYNDICATE_* variables, then ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    if x:
        env.update(X_CANARY)
    if mastodon:
        env["SYNDICATE_MASTODON_ACCESS_TOKEN"] = mastodon
    if bluesky:
        env["SYNDICATE_BLUESKY_APP_PASSWORD"] = bluesky
    env.update(extra or {})
    return env


def run_cli(config: Path, *args: str, env: Mapping[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SYNDICATE), *args, "--config", str(config)], env=dict(env), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def start_gated(config: Path, *args: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start `syndicate ARGS` held at a gate: its pid is known (and can be armed for a kill)
    before it makes any request. `release()` it by writing a line to its stdin (sh then execs
    syndicate in the same process, so the pid stays the one armed)."""
    return subprocess.Popen(
        ["sh", "-c", 'read _gate; exec "$0" "$@"', str(SYNDICATE), *args, "--config", str(config)],
        env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def release(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(b"go\n")
    proc.stdin.close()
    proc.stdin = None  # so that proc.communicate() only reads


# -- reading the state file (read-only, as a user would with sqlite3) ----------------------

def parts(state: Path | str, platform: str | None = None) -> list[dict[str, Any]]:
    """The outbox rows; `state`: the state file, or a PostgreSQL state's URL."""
    sql = ("SELECT p.*, d.accepted_at, d.title FROM parts p JOIN dispatches d ON d.id = p.dispatch_id"
           + (" WHERE p.platform = ?" if platform else "") + " ORDER BY d.accepted_at, d.rowid, p.part")
    return rows(state, sql, (platform,) if platform else ())


def rows(state: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of an SQLite-flavoured query on the state (file or PostgreSQL), read-only, as dicts."""
    state = _on_postgresql(state)
    if isinstance(state, str):
        import psycopg
        from psycopg.rows import dict_row

        from syndicate.store_postgres import translate

        with psycopg.connect(state, row_factory=dict_row) as pg:
            return [dict(r) for r in pg.execute(translate(sql), params)]
    conn = sqlite3.connect(f"{state.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def execute(state: Path | str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """One SQLite-flavoured write on the state (file or PostgreSQL), committed: what a user might do by hand."""
    state = _on_postgresql(state)
    if isinstance(state, str):
        import psycopg

        from syndicate.store_postgres import translate

        with psycopg.connect(state, autocommit=True) as pg:
            pg.execute(translate(sql), params)
        return
    with sqlite3.connect(state) as conn:
        conn.execute(sql, params)


def open_store(state: Path | str) -> Any:
    """A `Store` on the state (file or PostgreSQL)."""
    from syndicate.store import Store

    state = _on_postgresql(state)
    return Store.open_url(state) if isinstance(state, str) else Store.open(state)


def _on_postgresql(state: Path | str) -> Path | str:
    """A state file path stands for the test's PostgreSQL state under `both_backends`."""
    if isinstance(state, Path) and state in _POSTGRES_STATES:
        return _POSTGRES_STATES[state]
    return state


def planned_texts(state: Path | str, platform: str) -> dict[str, list[str]]:
    """dispatch id → the texts of its parts on `platform`, in order, as the outbox planned them."""
    import json

    out: dict[str, list[str]] = {}
    for p in parts(state, platform):
        out.setdefault(p["dispatch_id"], []).append(json.loads(p["post"])["text"])
    return out


def bluesky_account_name() -> str:
    """The PDS account a both-backends test posts as: the session's PDS keeps every post, so the
    PostgreSQL run of a test posts as another account than its SQLite run (same markers, clean repo)."""
    return "erin" if NEW_STATE_URL is not None else "alice"


def window_clear_of_edges(now: float, around: float, *, start: float = 60.0, end: float = 900.0) -> float:
    """A rate-limit period near `around` seconds whose window holding `now` began at least `start`
    seconds ago and ends at least `end` seconds from now. The fakes' windows are aligned to the epoch
    (as rack-attack's are), so a test that runs near a boundary would see a fresh window mid-run: a
    quota "used up" would be there again, a reset minutes away would be seconds away. Not a jump of
    the clock: Mastodon.py corrects resets for the server's Date against real time."""
    return next(float(p) for p in range(int(around), int(around) + 2000) if start <= now % p <= p - end)


class VirtualClock:
    """Virtual time for in-process runs: sleeping advances it at once; `jump()` moves it on.

    `wall()` is real time plus an offset, so servers and SDKs that read the real
    clock agree with it until a test jumps ahead.
    """

    def __init__(self) -> None:
        import time

        self._time = time
        self.offset = 0.0
        self._mono = 0.0
        self.sleeps: list[float] = []

    def wall(self) -> float:
        return self._time.time() + self.offset

    def monotonic(self) -> float:
        return self._mono + self._time.monotonic()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += max(seconds, 0.0)
        self._mono += max(seconds, 0.0)

    def jump(self, seconds: float) -> None:
        self.offset += seconds
        self._mono += seconds

    def deliver_clock(self) -> Any:
        from syndicate.delivery.engine import Clock

        return Clock(wall=self.wall, monotonic=self.monotonic, sleep=self.sleep)


def run_inproc(setup: Setup, clock: VirtualClock | None = None, *, publishers: Mapping[str, Any] | None = None) -> Any:
    """One `syndicate run` in this process (credentials from os.environ: use monkeypatch.setenv)."""
    from syndicate.commands.run import run_once
    from syndicate.config import load_config

    settings = load_config(setup.config)
    return run_once(settings, clock=clock.deliver_clock() if clock else None, publishers=publishers)


def set_env(monkeypatch: Any, env: Mapping[str, str]) -> None:
    for k, v in env.items():
        if k.startswith("SYNDICATE_"):
            monkeypatch.setenv(k, v)


def states(state: Path | str, platform: str) -> list[str]:
    return [p["state"] for p in parts(state, platform)]


def assert_dry_run_writes_nothing(setup: Setup) -> None:
    """`dry-run` (the same pipeline, on an in-memory copy; PostgreSQL: a rolled-back transaction) leaves
    the state as it was."""
    from syndicate.commands.dryrun import dry_run_plan
    from syndicate.config import load_config

    before = _snapshot(setup)
    dry_run_plan(load_config(setup.config), show_all=False, fetch_cards=False)
    dry_run_plan(load_config(setup.config), show_all=True, fetch_cards=False)
    assert _snapshot(setup) == before


def _snapshot(setup: Setup) -> Any:
    """The state as it stands: the file's bytes, or every PostgreSQL table's rows."""
    if not setup.state_url:
        return setup.state.read_bytes()
    import psycopg

    with psycopg.connect(setup.state_url) as pg:
        tables = [r[0] for r in pg.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'public' ORDER BY table_name")]
        return {t: sorted(map(repr, pg.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
