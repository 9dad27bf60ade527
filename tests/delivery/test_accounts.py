"""Many accounts per network, on the real wire: two Mastodon accounts on one fake instance (two
tokens), two Bluesky accounts on the reference PDS, two X users (each on its own fake X: the fake
serves one user). Each feed's dispatches land on its own accounts only, once; a Bluesky session
per account, reused across runs; one account's 429 or outage defers only that account; X budgets
per account and app-wide; accounts delivered side by side; no secret of any account printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from delivery_support import (
    MASTODON_CANARY,
    X_CANARY,
    VirtualClock,
    cli_env,
    entries,
    make_mastodon_fake,
    make_x_fake,
    parts,
    run_cli,
    run_inproc,
    set_env,
    write_feed,
)
from fakes.mastodon_api import FakeMastodon
from fakes.x_api import XApiFake
from pds.harness import PdsHandle

BEN_MASTODON_TOKEN = "CANARYbenmasto77a1"
BEN_X_TOKEN = "1500000000000000002-CANARYbenx9f"
BEN_X_SECRET = "CANARYbenxsecret3c"


@dataclass
class Newsroom:  # also what run_inproc needs of a Setup: .config
    """Two reporters' feeds (ana, ben), each posting to its own three accounts."""

    dir: Path
    masto: FakeMastodon
    x_ana: XApiFake
    x_ben: XApiFake
    pds: PdsHandle
    env: dict[str, str]
    ben_masto_id: str
    extra: str = ""  # more TOML, appended
    account_extra: dict[str, str] | None = None  # more TOML lines per account name
    state_url: str | None = None  # a PostgreSQL state instead of state.db (test_hosts)

    @property
    def config(self) -> Path:
        return self.dir / "syndicate.toml"

    @property
    def state(self) -> Path:
        return self.dir / "state.db"

    def feed(self, who: str, n: int, start: int = 0) -> None:
        items = entries(n + start, prefix=who)
        write_feed(self.dir / f"{who}.xml", items)

    def write(self, *, bluesky: bool = True) -> Path:
        bob, carol = self.pds.accounts["bob"], self.pds.accounts["carol"]
        state = f"url = {json.dumps(self.state_url)}" if self.state_url else 'path = "state.db"'
        lines = ['[state]', state, '', '[compose]', 'mode = "teaser"', 'cards = false',
                 'hashtags = false', '', self.extra, '']
        accounts: list[tuple[str, str, dict[str, Any]]] = [
            ("ana-masto", "mastodon", {"instance": self.masto.base_url}),
            ("ben-masto", "mastodon", {"instance": self.masto.base_url}),
            ("ana-x", "x", {"api_base": self.x_ana.base_url, "handle": "syndicate_test"}),
            ("ben-x", "x", {"api_base": self.x_ben.base_url, "handle": "ben_x"}),
        ]
        if bluesky:
            accounts += [("ana-bsky", "bluesky", {"service": self.pds.url, "handle": bob.handle}),
                         ("ben-bsky", "bluesky", {"service": self.pds.url, "handle": carol.handle})]
        for name, platform, table in accounts:
            lines += ["[[accounts]]", f'name = "{name}"', f'platform = "{platform}"', "timeout = 10"]
            lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
            lines += (self.account_extra or {}).get(name, "").splitlines() + [""]
        for who in ("ana", "ben"):
            names = [n for n, _, _ in accounts if n.startswith(who)]
            lines += ["[[feeds]]", f'url = "{who}.xml"', f'name = "{who}"', "backfill = 10",
                      f"accounts = {json.dumps(names)}", ""]
        self.config.write_text("\n".join(lines), encoding="utf-8")
        return self.config


@contextmanager
def newsroom(tmp_path: Path, pds: PdsHandle) -> Iterator[Newsroom]:
    with ExitStack() as stack:
        masto = stack.enter_context(make_mastodon_fake())
        ben_id = masto.add_account("ben", BEN_MASTODON_TOKEN)
        x_ana = stack.enter_context(make_x_fake())
        x_ben = stack.enter_context(XApiFake(
            consumer_key=X_CANARY["SYNDICATE_X_CONSUMER_KEY"], consumer_secret=X_CANARY["SYNDICATE_X_CONSUMER_SECRET"],
            access_token=BEN_X_TOKEN, access_token_secret=BEN_X_SECRET, user_id="1500000000000000002",
            username="ben_x"))
        bob, carol = pds.accounts["bob"], pds.accounts["carol"]
        env = cli_env(extra={
            # The app's consumer key and secret: the plain variables serve every X account.
            "SYNDICATE_X_CONSUMER_KEY": X_CANARY["SYNDICATE_X_CONSUMER_KEY"],
            "SYNDICATE_X_CONSUMER_SECRET": X_CANARY["SYNDICATE_X_CONSUMER_SECRET"],
            "SYNDICATE_X_ACCESS_TOKEN__ANA_X": X_CANARY["SYNDICATE_X_ACCESS_TOKEN"],
            "SYNDICATE_X_ACCESS_TOKEN_SECRET__ANA_X": X_CANARY["SYNDICATE_X_ACCESS_TOKEN_SECRET"],
            "SYNDICATE_X_ACCESS_TOKEN__BEN_X": BEN_X_TOKEN,
            "SYNDICATE_X_ACCESS_TOKEN_SECRET__BEN_X": BEN_X_SECRET,
            "SYNDICATE_MASTODON_ACCESS_TOKEN__ANA_MASTO": MASTODON_CANARY,
            "SYNDICATE_MASTODON_ACCESS_TOKEN__BEN_MASTO": BEN_MASTODON_TOKEN,
            "SYNDICATE_BLUESKY_APP_PASSWORD__ANA_BSKY": bob.password,
            "SYNDICATE_BLUESKY_APP_PASSWORD__BEN_BSKY": carol.password,
        })
        yield Newsroom(tmp_path, masto, x_ana, x_ben, pds, env, ben_id)


def bsky_texts(pds: PdsHandle, name: str, marker: str) -> list[str]:
    page = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords",
                     params={"repo": pds.accounts[name].did, "collection": "app.bsky.feed.post", "limit": "100",
                             "reverse": "true"}, timeout=10).json()
    return [r["value"]["text"] for r in page["records"] if marker in r["value"]["text"]]


def titles(texts: list[str]) -> list[str]:
    return [t.split("\n")[0] for t in texts]


def test_each_feed_lands_on_its_own_accounts_once_and_no_secret_is_printed(tmp_path: Path, pds: PdsHandle) -> None:
    with newsroom(tmp_path, pds) as room:
        room.feed("ana", 2)
        room.feed("ben", 2)
        room.write()
        sessions_before = pds.call_count("com.atproto.server.createSession")
        first = run_cli(room.config, "run", env=room.env)
        assert first.returncode == 0, first.stderr
        ana, ben = ["Dispatch ana 001", "Dispatch ana 002"], ["Dispatch ben 001", "Dispatch ben 002"]
        ana_id = room.masto.account_id
        assert titles([s.text for s in room.masto.statuses if s.account_id == ana_id]) == ana
        assert titles([s.text for s in room.masto.statuses if s.account_id == room.ben_masto_id]) == ben
        assert titles([t.text for t in room.x_ana.tweets]) == ana
        assert titles([t.text for t in room.x_ben.tweets]) == ben
        assert titles(bsky_texts(pds, "bob", "Dispatch ana")) == ana and bsky_texts(pds, "bob", "Dispatch ben") == []
        assert titles(bsky_texts(pds, "carol", "Dispatch ben")) == ben and bsky_texts(pds, "carol", "Dispatch ana") == []
        # Messages name the account.
        assert "Mastodon ana-masto: posted 'Dispatch ana 001'" in first.stdout
        assert "Bluesky ben-bsky: posted 'Dispatch ben 002'" in first.stdout
        # One login per Bluesky account...
        assert pds.call_count("com.atproto.server.createSession") == sessions_before + 2

        # ...reused on the next run, which posts the new entries and nothing twice.
        room.feed("ana", 3)
        room.feed("ben", 3)
        second = run_cli(room.config, "run", env=room.env)
        assert second.returncode == 0, second.stderr
        assert pds.call_count("com.atproto.server.createSession") == sessions_before + 2
        assert titles(bsky_texts(pds, "bob", "Dispatch ana")) == [*ana, "Dispatch ana 003"]
        assert titles(bsky_texts(pds, "carol", "Dispatch ben")) == [*ben, "Dispatch ben 003"]
        assert len(room.masto.statuses) == len(room.x_ana.tweets) * 2 == len(room.x_ben.tweets) * 2 == 6
        third = run_cli(room.config, "run", env=room.env)
        assert third.returncode == 0 and len(room.masto.statuses) == 6  # nothing new, nothing resent

        # The outbox says whose each row is; the default accounts' key scheme is left to them.
        rows = parts(room.state)
        assert {r["account"] for r in rows} == {"ana-masto", "ben-masto", "ana-x", "ben-x", "ana-bsky", "ben-bsky"}
        assert len({r["key"] for r in rows}) == len(rows)

        status = run_cli(room.config, "status", env=room.env)
        dry = run_cli(room.config, "dry-run", "--format", "json", env=room.env)
        outputs = [p.stdout + p.stderr for p in (first, second, third, status, dry)]
        assert "ben-bsky 1/1 sent" in status.stdout and "ana-x spend this month" in status.stdout
        assert "X app spend this month (every X account)" in status.stdout
        secrets = [v for k, v in room.env.items() if k.startswith("SYNDICATE_") and "CONFIG" not in k]
        assert len(secrets) == 10
        for out in outputs:
            for secret in secrets:
                assert secret not in out


def test_dry_run_json_keys_accounts_by_name_with_their_platform(tmp_path: Path, pds: PdsHandle) -> None:
    with newsroom(tmp_path, pds) as room:
        room.feed("ana", 1)
        room.feed("ben", 1)
        room.write()
        dry = run_cli(room.config, "dry-run", "--format", "json", env=room.env)
        assert dry.returncode == 0, dry.stderr
        plan = json.loads(dry.stdout)
        by_title = {d["title"]: d for d in plan["dispatches"]}
        ana = by_title["Dispatch ana 001"]["platforms"]
        assert {k: v["platform"] for k, v in ana.items()} == {"ana-masto": "mastodon", "ana-x": "x",
                                                             "ana-bsky": "bluesky"}
        assert set(by_title["Dispatch ben 001"]["platforms"]) == {"ben-masto", "ben-x", "ben-bsky"}
        assert plan["accounts"]["ben-bsky"]["handle"] == pds.accounts["carol"].handle
        text = run_cli(room.config, "dry-run", env=room.env)
        assert "── Bluesky ana-bsky (teaser)" in text.stdout
        assert room.masto.statuses == [] and room.x_ana.tweets == []  # dry-run sends nothing


def test_one_accounts_429_or_outage_defers_only_that_account(tmp_path: Path, pds: PdsHandle,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with newsroom(tmp_path, pds) as room:
        room.feed("ana", 2)
        room.feed("ben", 2)
        room.write(bluesky=False)
        set_env(monkeypatch, room.env)
        room.x_ana.set_limit("POST /2/tweets", 5, remaining=0)  # ana-x: rate limited, resets in 15 min
        room.x_ben.faults.next(100, status=503, method="POST", path="/2/tweets")  # ben-x: X is down for it
        clock = VirtualClock()
        report = run_inproc(room, clock)  # type: ignore[arg-type]  # run_inproc reads .config only
        states = {a: [r["state"] for r in parts(room.state) if r["account"] == a]
                  for a in ("ana-masto", "ben-masto", "ana-x", "ben-x")}
        assert states["ana-x"] == ["deferred", "planned"]  # kept in order: the second waits behind the first
        assert states["ben-x"] == ["deferred", "planned"]
        assert states["ana-masto"] == states["ben-masto"] == ["sent", "sent"]
        assert room.x_ana.tweets == [] and room.x_ben.tweets == []
        assert len(room.masto.statuses) == 4
        deferred = {e.platform: e.message for e in report.events if e.kind == "deferred"}
        assert set(deferred) == {"ana-x", "ben-x"}
        assert deferred["ana-x"].startswith("X ana-x: rate limited until")
        assert deferred["ben-x"].startswith("X ben-x: unavailable")

        # Past the reset and the outage, the next run sends the rest, once, in order.
        room.x_ben.faults.clear()
        room.x_ana.set_limit("POST /2/tweets", 5)  # the fake's window is on real time: it has reset too
        clock.jump(3600)
        run_inproc(room, clock)  # type: ignore[arg-type]
        assert titles([t.text for t in room.x_ana.tweets]) == ["Dispatch ana 001", "Dispatch ana 002"]
        assert titles([t.text for t in room.x_ben.tweets]) == ["Dispatch ben 001", "Dispatch ben 002"]
        assert len(room.masto.statuses) == 4


def test_x_budgets_per_account_and_app_wide_hold_across_parallel_workers(tmp_path: Path, pds: PdsHandle,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """ana-x may spend 0.03 (2 posts at 0.015), the app 0.06 (4 posts) over every X account; 3 + 3
    dispatches are due and both X workers run side by side: exactly 4 posts go, ana-x at most 2,
    and every skipped dispatch names the budget that stopped it."""
    with newsroom(tmp_path, pds) as room:
        room.feed("ana", 3)
        room.feed("ben", 3)
        room.extra = "[x]\napp_monthly_budget = 0.06\n"
        room.account_extra = {"ana-x": "monthly_budget = 0.03"}
        room.write(bluesky=False)
        set_env(monkeypatch, room.env)
        report = run_inproc(room, VirtualClock())  # type: ignore[arg-type]
        ana, ben = len(room.x_ana.tweets), len(room.x_ben.tweets)
        assert ana + ben == 4 and ana <= 2
        skipped = [r for r in parts(room.state) if r["platform"] == "x" and r["state"] == "skipped"]
        assert len(skipped) == 2
        for r in skipped:
            assert r["last_error"].startswith("budget: ")
            assert "app_monthly_budget 0.060" in r["last_error"] or "monthly_budget 0.030" in r["last_error"]
        spent = sum(r["cost"] for r in parts(room.state) if r["platform"] == "x")
        assert spent == pytest.approx(0.06)
        lines = [e.message for e in report.events if e.kind == "skipped"]
        assert len(lines) == 2 and all(m.startswith(("X ana-x: skipped", "X ben-x: skipped")) for m in lines)
        status = run_cli(room.config, "status", env=room.env)
        assert "X ana-x spend this month: " in status.stdout and " of 0.030" in status.stdout
        assert "X app spend this month (every X account): 0.060 of 0.060" in status.stdout


def test_accounts_are_delivered_side_by_side(tmp_path: Path, pds: PdsHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every post takes 1 s on the instance; two accounts with three dispatches each. On the fake's
    timeline the two accounts' posts overlap (each account still in its own order): ben's first
    post is stored before ana's last, and ana's first before ben's last. One after the other, the
    second account's first post would come a whole second after the first account's last."""
    with newsroom(tmp_path, pds) as room:
        room.feed("ana", 3)
        room.feed("ben", 3)
        room.write(bluesky=False)
        room.x_ana.faults.next(100, status=503, method="POST", path="/2/tweets")  # only Mastodon here
        room.x_ben.faults.next(100, status=503, method="POST", path="/2/tweets")
        set_env(monkeypatch, room.env)
        room.masto.delay_next(1.0, n=6, method="POST", path="/api/v1/statuses")
        run_inproc(room, VirtualClock())  # type: ignore[arg-type]
        stored = sorted(room.masto.statuses, key=lambda s: s.created_at)
        ana = [s for s in stored if s.account_id == room.masto.account_id]
        ben = [s for s in stored if s.account_id == room.ben_masto_id]
        assert titles([s.text for s in ana]) == ["Dispatch ana 001", "Dispatch ana 002", "Dispatch ana 003"]
        assert titles([s.text for s in ben]) == ["Dispatch ben 001", "Dispatch ben 002", "Dispatch ben 003"]
        assert ben[0].created_at < ana[-1].created_at and ana[0].created_at < ben[-1].created_at


def test_a_missing_secret_names_the_account_and_its_variable_and_others_post(tmp_path: Path,
                                                                             pds: PdsHandle) -> None:
    with newsroom(tmp_path, pds) as room:
        room.feed("ana", 1)
        room.feed("ben", 1)
        room.write(bluesky=False)
        env = {k: v for k, v in room.env.items() if k != "SYNDICATE_X_ACCESS_TOKEN_SECRET__BEN_X"}
        run = run_cli(room.config, "run", env=env)
        assert run.returncode == 1
        assert ("X ben-x: credentials refused: missing credentials: set SYNDICATE_X_ACCESS_TOKEN_SECRET__BEN_X "
                "(or SYNDICATE_X_ACCESS_TOKEN_SECRET__BEN_X_FILE naming a file)") in run.stderr
        assert len(room.x_ana.tweets) == 1 and len(room.masto.statuses) == 2 and room.x_ben.tweets == []
        check = run_cli(room.config, "check", env=env)
        assert check.returncode == 1
        assert "Mastodon ben-masto: ok, posting as @ben" in check.stdout
        assert "X ana-x: ok, posting as @syndicate_test" in check.stdout
        assert "X ben-x: credentials refused: missing credentials" in check.stdout
        retry = run_cli(room.config, "status", env=env)
        assert "    X ben-x  1/1 planned\n" in retry.stdout  # queued, not failed
        for out in (run.stdout + run.stderr, check.stdout + check.stderr, retry.stdout):
            for secret in (BEN_X_TOKEN, BEN_MASTODON_TOKEN, MASTODON_CANARY, *X_CANARY.values()):
                assert secret not in out


def test_quiet_hours_and_max_posts_per_run_are_each_accounts_own(tmp_path: Path, pds: PdsHandle,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """ana-masto is in its own quiet hours now (queued, not dropped); ben-x posts one dispatch per
    run; the others, with [delivery]'s defaults, post everything."""
    from datetime import UTC, datetime, timedelta

    clock = VirtualClock()
    now = datetime.fromtimestamp(clock.wall(), UTC)
    quiet = [(now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime("%H:%M")]
    with newsroom(tmp_path, pds) as room:
        room.feed("ana", 2)
        room.feed("ben", 2)
        room.account_extra = {"ana-masto": f"quiet_hours = {json.dumps(quiet)}", "ben-x": "max_posts_per_run = 1"}
        room.write(bluesky=False)
        set_env(monkeypatch, room.env)
        run_inproc(room, clock)  # type: ignore[arg-type]
        states = {a: [r["state"] for r in parts(room.state) if r["account"] == a]
                  for a in ("ana-masto", "ben-masto", "ana-x", "ben-x")}
        assert states == {"ana-masto": ["planned", "planned"], "ben-masto": ["sent", "sent"],
                          "ana-x": ["sent", "sent"], "ben-x": ["sent", "planned"]}
        clock.jump(3 * 3600)  # past ana-masto's quiet hours
        run_inproc(room, clock)  # type: ignore[arg-type]
        assert {r["state"] for r in parts(room.state)} == {"sent"}
        assert titles([s.text for s in room.masto.statuses if s.account_id == room.masto.account_id]) == [
            "Dispatch ana 001", "Dispatch ana 002"]
