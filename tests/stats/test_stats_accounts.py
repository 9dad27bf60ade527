"""Stats per account, on the real wire: two Mastodon accounts on one fake instance (two tokens),
two Bluesky accounts on the reference PDS (each with its own stand-in AppView), two X users (each
on its own fake X: the fake serves one user). Each account's posts are read with that account's
own credentials and settings, the readings are stored under that account, and the JSON is keyed
by account name with its platform. X reads are billed against the account's monthly_budget and
[x] app_monthly_budget, and never pass either."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from delivery.delivery_support import (
    MASTODON_CANARY,
    X_CANARY,
    cli_env,
    entries,
    make_mastodon_fake,
    make_x_fake,
    parts,
    run_cli,
    write_feed,
)
from fakes.appview import GET_POSTS, FakeAppView
from fakes.mastodon_api import FakeMastodon
from fakes.x_api import XApiFake
from pds.harness import PdsHandle
from stats_support import snapshots

BEN_MASTODON_TOKEN = "CANARYbenmasto77a1"
BEN_X_TOKEN = "1500000000000000002-CANARYbenx9f"
BEN_X_SECRET = "CANARYbenxsecret3c"
PLATFORM = {"masto": "mastodon", "x": "x", "bsky": "bluesky"}  # by the account name's suffix


@dataclass
class Room:
    """Two reporters (ana, ben), each with a feed and an account on each network."""

    dir: Path
    masto: FakeMastodon
    x_ana: XApiFake
    x_ben: XApiFake
    pds: PdsHandle
    appviews: dict[str, FakeAppView]  # by account name
    env: dict[str, str]

    @property
    def config(self) -> Path:
        return self.dir / "syndicate.toml"

    @property
    def state(self) -> Path:
        return self.dir / "state.db"

    def write(self, *, bluesky: bool = True, extra: str = "", account_extra: dict[str, str] | None = None) -> None:
        lines = ['[state]', 'path = "state.db"', '', '[compose]', 'mode = "teaser"', 'cards = false',
                 'hashtags = false', '', '[stats]', 'after = ["1h"]', '', extra, '']
        accounts: list[tuple[str, str, dict[str, Any]]] = [
            ("ana-masto", "mastodon", {"instance": self.masto.base_url}),
            ("ben-masto", "mastodon", {"instance": self.masto.base_url}),
            ("ana-x", "x", {"api_base": self.x_ana.base_url, "handle": "syndicate_test", "stats": True}),
            ("ben-x", "x", {"api_base": self.x_ben.base_url, "handle": "ben_x", "stats": True}),
        ]
        if bluesky:
            accounts += [(name, "bluesky", {"service": self.pds.url, "handle": self.pds.accounts[who].handle,
                                            "appview": self.appviews[name].base_url})
                         for name, who in (("ana-bsky", "bob"), ("ben-bsky", "carol"))]
        for name, platform, table in accounts:
            lines += ["[[accounts]]", f'name = "{name}"', f'platform = "{platform}"', "timeout = 10"]
            lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
            lines += (account_extra or {}).get(name, "").splitlines() + [""]
        for who in ("ana", "ben"):
            names = [n for n, _, _ in accounts if n.startswith(who)]
            lines += ["[[feeds]]", f'url = "{who}.xml"', f'name = "{who}"', "backfill = 10",
                      f"accounts = {json.dumps(names)}", ""]
        self.config.write_text("\n".join(lines), encoding="utf-8")

    def post(self, ana: int, ben: int) -> None:
        write_feed(self.dir / "ana.xml", entries(ana, prefix="ana"))
        write_feed(self.dir / "ben.xml", entries(ben, prefix="ben"))
        done = run_cli(self.config, "run", env=self.env)
        assert done.returncode == 0, done.stderr

    def stats(self, *args: str) -> dict[str, Any]:
        done = run_cli(self.config, "stats", "--format", "json", *args, env=self.env)
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data


@contextmanager
def room(tmp_path: Path, pds: PdsHandle) -> Iterator[Room]:
    with ExitStack() as stack:
        masto = stack.enter_context(make_mastodon_fake())
        masto.add_account("ben", BEN_MASTODON_TOKEN)
        x_ana = stack.enter_context(make_x_fake())
        x_ben = stack.enter_context(XApiFake(
            consumer_key=X_CANARY["SYNDICATE_X_CONSUMER_KEY"], consumer_secret=X_CANARY["SYNDICATE_X_CONSUMER_SECRET"],
            access_token=BEN_X_TOKEN, access_token_secret=BEN_X_SECRET, user_id="1500000000000000002",
            username="ben_x"))
        repos = {a.did: a.handle for a in pds.accounts.values()}
        appviews = {name: stack.enter_context(FakeAppView(pds.url, repos)) for name in ("ana-bsky", "ben-bsky")}
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
        yield Room(tmp_path, masto, x_ana, x_ben, pds, appviews, env)


def _bearer(headers: dict[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)


def _sent(state: Path, account: str) -> list[dict[str, Any]]:
    return [p for p in parts(state) if p["account"] == account and p["state"] == "sent"]


def test_each_account_is_read_with_its_own_credentials_and_keyed_by_its_name(tmp_path: Path, pds: PdsHandle) -> None:
    with room(tmp_path, pds) as r:
        r.write()
        r.post(ana=1, ben=1)
        names = ("ana-masto", "ben-masto", "ana-x", "ben-x", "ana-bsky", "ben-bsky")
        posts = {name: _sent(r.state, name) for name in names}
        assert all(len(p) == 1 for p in posts.values()), posts
        likes = {"ana-masto": 3, "ben-masto": 7, "ana-x": 11, "ben-x": 13, "ana-bsky": 17, "ben-bsky": 19}
        r.masto.set_counts(posts["ana-masto"][0]["remote_id"], favourites=3)
        r.masto.set_counts(posts["ben-masto"][0]["remote_id"], favourites=7)
        r.x_ana.set_metrics(posts["ana-x"][0]["remote_id"], likes=11)
        r.x_ben.set_metrics(posts["ben-x"][0]["remote_id"], likes=13)
        for name in ("ana-bsky", "ben-bsky"):  # each AppView scripts its own account's count
            r.appviews[name].set_counts(posts[name][0]["uri"], likes=likes[name])

        data = r.stats()

        # Mastodon: one instance, two tokens: each status read with its own account's token.
        read_by = {_bearer(req.headers): req.query["id[]"] for req in r.masto.requests_to("GET", "/api/v1/statuses")}
        assert read_by == {f"Bearer {MASTODON_CANARY}": [posts["ana-masto"][0]["remote_id"]],
                           f"Bearer {BEN_MASTODON_TOKEN}": [posts["ben-masto"][0]["remote_id"]]}
        # X: each user's post looked up on its own fake (which checks that user's OAuth signature).
        for fake, name in ((r.x_ana, "ana-x"), (r.x_ben, "ben-x")):
            [lookup] = fake.calls("GET", "/2/tweets")
            assert lookup.query["ids"] == [posts[name][0]["remote_id"]]
        # Bluesky: each account at its own `appview`.
        for name, view in r.appviews.items():
            [call] = view.calls("GET", GET_POSTS)
            assert call.query["uris"] == [posts[name][0]["uri"]]

        stored = {(s["account"], s["platform"]): s["likes"] for s in snapshots(r.state)}
        assert stored == {(n, PLATFORM[n.split("-")[1]]): v for n, v in likes.items()}

        by_reporter = {d["title"].split()[1]: d for d in data["dispatches"]}  # "Dispatch ana 001"
        for who in ("ana", "ben"):
            accounts = by_reporter[who]["platforms"]
            assert set(accounts) == {f"{who}-masto", f"{who}-x", f"{who}-bsky"}
            for name, acct in accounts.items():
                assert acct["platform"] == PLATFORM[name.split("-")[1]]
                assert acct["likes"] == likes[name] == acct["posts"][0]["likes"]

        table = run_cli(r.config, "stats", "--cached", env=r.env)
        assert table.returncode == 0, table.stderr
        rows = {line.split()[0]: line.split() for line in table.stdout.splitlines() if line.startswith("  ")}
        assert rows["ben-bsky"][1:3] == ["1", "19"] and rows["ana-masto"][1:3] == ["1", "3"]  # posts, likes


def test_a_disabled_account_is_skipped_without_error(tmp_path: Path, pds: PdsHandle) -> None:
    with room(tmp_path, pds) as r:
        r.write(bluesky=False)
        r.post(ana=1, ben=1)
        r.write(bluesky=False, account_extra={"ben-masto": "enabled = false"})
        before = len(r.masto.requests_to("GET", "/api/v1/statuses"))
        done = run_cli(r.config, "stats", env=r.env)
        assert done.returncode == 0, done.stderr
        assert "ben-masto" not in done.stderr
        reads = r.masto.requests_to("GET", "/api/v1/statuses")[before:]
        assert [_bearer(q.headers) for q in reads] == [f"Bearer {MASTODON_CANARY}"]
        assert {s["account"] for s in snapshots(r.state)} == {"ana-masto", "ana-x", "ben-x"}


def _month_spend(state: Path, *, account: str | None = None) -> float:
    """Posts, deletes and reads billed on X, as the budgets count them (outbox.month_spend; all
    in this month): one account's, or every X account's."""
    conn = sqlite3.connect(f"{state.resolve().as_uri()}?mode=ro", uri=True)
    try:
        where, args = ("account = ?", (account,)) if account else ("platform = 'x'", ())
        posts = conn.execute(f"SELECT COALESCE(SUM(cost), 0) FROM parts WHERE state = 'sent' AND {where}", args)
        spent = float(posts.fetchone()[0])
        reads = conn.execute(f"SELECT COALESCE(SUM(cost), 0) FROM snapshots WHERE {where}", args)
        return spent + float(reads.fetchone()[0])
    finally:
        conn.close()


def test_x_reads_are_billed_per_account_and_app_wide_and_never_pass_either(tmp_path: Path, pds: PdsHandle) -> None:
    """Three posts each. Then ana-x may read 2 more posts (0.01 at 0.005) by her own budget, the app
    6 (0.03) over both. First round: ana reads 2 (her budget binds), ben 3, whichever goes first.
    Second round: ana nothing, ben 1 (the app's last 0.005). The budgets are met, never passed."""
    with room(tmp_path, pds) as r:
        r.write(bluesky=False)
        r.post(ana=3, ben=3)
        ana_spent, app_spent = _month_spend(r.state, account="ana-x"), _month_spend(r.state)
        assert len(_sent(r.state, "ana-x")) == len(_sent(r.state, "ben-x")) == 3
        ana_budget, app_budget = ana_spent + 0.01, app_spent + 0.03
        r.write(bluesky=False, extra=f"[x]\napp_monthly_budget = {app_budget!r}\n",
                account_extra={"ana-x": f"monthly_budget = {ana_budget!r}\nprice_read = 0.005"})
        done = run_cli(r.config, "stats", env=r.env)
        assert done.returncode == 0, done.stderr
        assert (r.x_ana.posts_read, r.x_ben.posts_read) == (2, 3)
        assert "ana-x: 1 of 3 posts not read" in done.stderr and "monthly_budget of account ana-x" in done.stderr
        taken = [s for s in snapshots(r.state) if s["platform"] == "x"]
        assert sorted(s["account"] for s in taken) == ["ana-x"] * 2 + ["ben-x"] * 3
        assert all(s["cost"] == pytest.approx(0.005) for s in taken)

        again = run_cli(r.config, "stats", env=r.env)
        assert again.returncode == 0, again.stderr
        assert (r.x_ana.posts_read, r.x_ben.posts_read) == (2, 4)
        assert "ben-x: 2 of 3 posts not read" in again.stderr and "[x] app_monthly_budget" in again.stderr
        assert _month_spend(r.state, account="ana-x") == pytest.approx(ana_budget)
        assert _month_spend(r.state) == pytest.approx(app_budget)
        assert _month_spend(r.state, account="ana-x") <= ana_budget + 1e-9 and _month_spend(r.state) <= app_budget + 1e-9


def test_the_table_lines_up_under_long_account_names() -> None:
    from syndicate.preview.stats_text import render_stats

    def acct(platform: str, likes: int) -> dict[str, Any]:
        return {"platform": platform, "likes": likes, "reposts": 0, "replies": 0, "quotes": None,
                "posts": [{"url": "u", "likes": likes, "reposts": 0, "replies": 0, "quotes": None, "read_at": None}]}

    data = {"dispatches": [{"id": "d", "title": "T", "url": "https://e.org/d", "published": None,
                            "platforms": {"x": acct("x", 1), "desk-mastodon-europe": acct("mastodon", 22)}}]}
    lines = render_stats(data).splitlines()
    header = next(line for line in lines if "likes" in line)
    rows = [line for line in lines if line.lstrip().startswith(("x ", "desk-"))]
    assert len(rows) == 2
    end = header.index("likes") + len("likes")  # figures are right-aligned under their heading
    assert [row[end - 2:end] for row in rows] == [" 1", "22"]
