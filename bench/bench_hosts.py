"""Bench: several hosts on one PostgreSQL state — 1 host against 3, and what claiming costs.

A throwaway PostgreSQL cluster (tests/pgserver.py) and the fake Mastodon instance
(tests/fakes) with ACCOUNTS accounts ([[accounts]], a token each), every post answered after
POST_DELAY seconds. DISPATCHES teasers are queued, an equal share per account (a feed each).
Then `syndicate run` processes deliver them: 1 host, or 3 started together (each its own
config file on the same state). One host already delivers its accounts side by side (a worker
each); more hosts divide the accounts between them (a claim each).

Reported, as medians over REPEATS rounds:
  1 host      wall seconds until every part is sent (its workers deliver the accounts side by side)
  3 hosts     the same with three hosts (each account is claimed by one host at a time)
  minimum     the per-account floor: the busiest account's posts × POST_DELAY
  ratio       1 host / 3 hosts, and 3 hosts / minimum
  claim       milliseconds per account claim (a connection, a row lock) and per feed claim
              (12 feeds, one transaction), and the account claim divided by the parts one run
              sends to that account (the claim overhead per part)
  per part    in-process delivery of PARTS posts with no post delay, PostgreSQL vs SQLite state:
              milliseconds per part (every state transition commits; PostgreSQL is a round trip away).
              Not a verdict on the backends: the throwaway cluster runs with fsync off, the SQLite
              file syncs its WAL as usual.

Run:  .venv/bin/python bench/bench_hosts.py [--accounts 6] [--dispatches 60] [--delay 0.5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "delivery"))

from delivery_support import MASTODON_CANARY, make_mastodon_fake  # noqa: E402
from fakes.mastodon_api import API_STATUSES  # noqa: E402
from pgserver import start_postgres  # noqa: E402

from syndicate.commands.run import run_once  # noqa: E402
from syndicate.config import load_config  # noqa: E402
from syndicate.settings import secret_variable  # noqa: E402
from syndicate.store import Store  # noqa: E402

SYNDICATE = Path(sys.executable).with_name("syndicate")
TOKEN = "bench-token-{}"


def feed_xml(network: str, n: int) -> str:
    items = "".join(
        f"<item><title>Bench {network} {i}</title><link>https://example.org/{network}/{i}</link>"
        f"<guid>{network}-{i}</guid><description>Dispatch {i} for {network}.</description>"
        f"<pubDate>Tue, 03 Nov 2026 {8 + i // 60:02d}:{i % 60:02d}:00 +0000</pubDate></item>"
        for i in range(n))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{network}</title>'
            f"<link>https://example.org/</link><description>d</description>{items}</channel></rss>")


def names(accounts: int) -> list[str]:
    return [f"desk-{i}" for i in range(accounts)]


def write_config(path: Path, state: str, feeds: dict[str, Path], mastodon: str, per_account: int) -> Path:
    state_line = f'url = "{state}"' if state.startswith("postgresql") else f'path = "{state}"'
    lines = ["[state]", state_line, ""]
    for name in feeds:
        lines += ["[[accounts]]", f'name = "{name}"', 'platform = "mastodon"', f'instance = "{mastodon}"', ""]
    for name, feed in feeds.items():
        lines += ["[[feeds]]", f'url = "{feed}"', f'name = "{name}"', f"backfill = {per_account}",
                  f'accounts = ["{name}"]', ""]
    lines += ["[compose]", 'mode = "teaser"', "cards = false", "hashtags = false", "",
              "[delivery]", "max_posts_per_run = 1000", "max_run_seconds = 900", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def env(accounts: int) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    for i, name in enumerate(names(accounts)):
        out[secret_variable("SYNDICATE_MASTODON_ACCESS_TOKEN", name)] = TOKEN.format(i)
    return out


def fake_with_accounts(accounts: int) -> Any:
    fake = make_mastodon_fake()
    fake.__enter__()
    for i, name in enumerate(names(accounts)):
        fake.add_account(name, TOKEN.format(i))
    return fake


def one_round(pg: Any, tmp: Path, hosts: int, accounts: int, dispatches: int, delay: float) -> tuple[float, int]:
    per_account = dispatches // accounts
    url = pg.new_database()
    mf = fake_with_accounts(accounts)
    try:
        mf.delay_next(delay, n=10_000, method="POST", path=API_STATUSES)
        round_dir = Path(tempfile.mkdtemp(dir=tmp))
        feeds = {}
        for name in names(accounts):
            feeds[name] = round_dir / f"{name}.xml"
            feeds[name].write_text(feed_xml(name, per_account), encoding="utf-8")
        configs = [write_config(round_dir / f"host{i}.toml", url, feeds, mf.base_url, per_account)
                   for i in range(hosts)]
        run_once(load_config(configs[0]), deliver=False)  # queue everything (no post yet)
        started = time.perf_counter()
        procs = [subprocess.Popen([str(SYNDICATE), "run", "--config", str(c)],
                                  env={**env(accounts), "SYNDICATE_HOST": f"host{i}"}, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for i, c in enumerate(configs)]
        for p in procs:
            _, err = p.communicate(timeout=1800)
            if p.returncode != 0:
                raise SystemExit(f"a host failed: {err.decode()[-2000:]}")
        wall = time.perf_counter() - started
        posted = sum(1 for s in mf.statuses if "Bench" in s.text)
    finally:
        mf.__exit__(None, None, None)
    if posted != dispatches:
        raise SystemExit(f"posted {posted}, expected {dispatches}: something was lost or doubled")
    return wall, posted


def claim_costs(pg: Any, repeats: int = 30) -> tuple[float, float]:
    url = pg.new_database()
    store = Store.open_url(url)
    account = []
    for _ in range(repeats):
        t = time.perf_counter()
        with store.claim_account("x") as got:
            assert got
        account.append(time.perf_counter() - t)
    feeds = []
    for i in range(repeats):
        wanted: dict[str, tuple[str, float | None]] = {f"https://example.org/{i}/{n}": (str(n), None) for n in range(12)}
        t = time.perf_counter()
        assert len(store.claim_feeds(wanted, now=1e9 + i)) == 12
        feeds.append(time.perf_counter() - t)
    store.close()
    return statistics.median(account) * 1000, statistics.median(feeds) * 1000


def per_part(pg: Any, tmp: Path, parts: int) -> dict[str, float]:
    """In-process delivery of `parts` teasers to the Mastodon fake (no delay): ms per part, per backend."""
    from syndicate.delivery.engine import deliver_due

    out = {}
    for backend in ("sqlite", "postgresql"):
        with make_mastodon_fake() as mf:
            d = Path(tempfile.mkdtemp(dir=tmp))
            feed = d / "mastodon.xml"
            feed.write_text(feed_xml("mastodon", parts), encoding="utf-8")
            state = pg.new_database() if backend == "postgresql" else str(d / "state.db")
            cfg = write_config(d / "c.toml", state, {"mastodon": feed}, mf.base_url, parts)
            cfg.write_text(cfg.read_text().replace('[[accounts]]\nname = "mastodon"\nplatform = "mastodon"\n',
                                                   '[mastodon]\nenabled = true\n'))
            settings = load_config(cfg)
            run_once(settings, deliver=False)
            os.environ["SYNDICATE_MASTODON_ACCESS_TOKEN"] = MASTODON_CANARY
            store = Store.open_url(state) if backend == "postgresql" else Store.open(Path(state))
            t = time.perf_counter()
            deliver_due(settings, store)
            out[backend] = (time.perf_counter() - t) / parts * 1000
            store.close()
            assert sum(1 for s in mf.statuses if "Bench" in s.text) == parts
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=6)
    ap.add_argument("--dispatches", type=int, default=60)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--parts", type=int, default=60)
    args = ap.parse_args()
    pg = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            one = [one_round(pg, tmp, 1, args.accounts, args.dispatches, args.delay)[0] for _ in range(args.repeats)]
            three = [one_round(pg, tmp, 3, args.accounts, args.dispatches, args.delay)[0] for _ in range(args.repeats)]
            account_ms, feeds_ms = claim_costs(pg)
            backends = per_part(pg, tmp, args.parts)
    finally:
        pg.stop()
    per_account = args.dispatches // args.accounts
    minimum = per_account * args.delay
    m1, m3 = statistics.median(one), statistics.median(three)
    print(f"{args.dispatches} dispatches over {args.accounts} Mastodon accounts, {args.delay} s per post, "
          f"medians of {args.repeats}:")
    print(f"  1 host    {m1:7.2f} s   (runs: {', '.join(f'{v:.2f}' for v in one)})")
    print(f"  3 hosts   {m3:7.2f} s   (runs: {', '.join(f'{v:.2f}' for v in three)})")
    print(f"  minimum   {minimum:7.2f} s   (the busiest account's posts x {args.delay} s)")
    print(f"  ratio     1 host / 3 hosts = {m1 / m3:.2f}x; 3 hosts / minimum = {m3 / minimum:.2f}")
    per_run = per_account
    print(f"  claim     account {account_ms:.2f} ms (= {account_ms / per_run:.3f} ms per part at {per_run} parts "
          f"per run), 12 feeds {feeds_ms:.2f} ms")
    print(f"  per part  {args.parts} posts in-process, no post delay: SQLite {backends['sqlite']:.2f} ms, "
          f"PostgreSQL {backends['postgresql']:.2f} ms ({backends['postgresql'] / backends['sqlite']:.2f}x; the test "
          "cluster runs with fsync off)")


if __name__ == "__main__":
    main()
