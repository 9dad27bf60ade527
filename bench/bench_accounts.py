"""Bench: 60 dispatches over 6 accounts, every post taking 0.2 s: accounts delivered side by side.

Six Mastodon accounts (six tokens) on one fake instance (tests/fakes), whose every
`POST /api/v1/statuses` waits DELAY seconds before it is handled. Ten teasers per
account are in the outbox; one delivery run (`deliver_due`, the real engine, the real
Mastodon.py publisher opened from each account's own `SYNDICATE_MASTODON_ACCESS_TOKEN__<ACCOUNT>`)
sends them all.

Reported, as medians over REPEATS runs:
  total        seconds from the start of the run to its end
  per-account  the minimum: one account's own posts one after another (posts per account × DELAY)
  ratio        total / per-account minimum (1.0 = every account fully in parallel)
  sequential   what one account after another would take (all posts × DELAY), for scale

Run:  .venv/bin/python bench/bench_accounts.py [--accounts 6] [--posts 60] [--delay 0.2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.mastodon_api import API_STATUSES, FakeMastodon  # noqa: E402

from syndicate.delivery import outbox  # noqa: E402
from syndicate.delivery.engine import deliver_due  # noqa: E402
from syndicate.model import Dispatch, DispatchPlan, PlatformPlan, Post  # noqa: E402
from syndicate.settings import Account, DeliverySettings, MastodonSettings, Settings, secret_variable  # noqa: E402
from syndicate.store import Store  # noqa: E402


def run_once(accounts: int, posts: int, delay: float, run: int) -> float:
    per_account = posts // accounts
    names = [f"desk-{i}" for i in range(accounts)]
    with tempfile.TemporaryDirectory() as tmp_dir, FakeMastodon(token="bench-token-0") as fake:
        for i, name in enumerate(names):
            token = f"bench-token-{i}"
            if i:
                fake.add_account(name, token)
            os.environ[secret_variable("SYNDICATE_MASTODON_ACCESS_TOKEN", name)] = token
        delivery = DeliverySettings(max_run_seconds=300, max_posts_per_run=per_account)
        settings = Settings(
            path=None, state_path=Path(tmp_dir) / "state.db", feeds=(), delivery=delivery,
            accounts=tuple(Account(name, "mastodon", MastodonSettings(enabled=True, instance=fake.base_url),
                                   delivery=delivery) for name in names))
        store = Store.open(settings.state_path)
        for i in range(per_account):
            text = f"Bench dispatch {run}-{i:03d}: the river, the council and the bridge."
            d = Dispatch(id=f"bench-{run}-{i:03d}", feed="bench", feed_url="bench", url=f"https://example.org/{i}",
                         title=text, text=text, summary=text, published=datetime(2026, 11, 2, tzinfo=UTC))
            post = Post(text, len(text), 500)
            outbox.accept(store, DispatchPlan(d, tuple(PlatformPlan("mastodon", (post,), account=n) for n in names)))
        fake.delay_next(delay, n=posts, method="POST", path=API_STATUSES)
        t0 = time.perf_counter()
        deliver_due(settings, store)
        total = time.perf_counter() - t0
        sent = store.conn.execute("SELECT COUNT(*) FROM parts WHERE state = 'sent'").fetchone()[0]
        store.close()
        if sent != posts or len(fake.statuses) != posts:
            raise SystemExit(f"{len(fake.statuses)} posts stored, {sent} marked sent; expected {posts}")
    return total


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--accounts", type=int, default=6)
    ap.add_argument("--posts", type=int, default=60, help="dispatches in all, shared evenly by the accounts")
    ap.add_argument("--delay", type=float, default=0.2, help="seconds every post takes on the server")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    totals = [run_once(args.accounts, args.posts, args.delay, r) for r in range(args.repeats)]
    minimum = args.posts // args.accounts * args.delay
    total = statistics.median(totals)
    print(f"accounts {args.accounts}, dispatches {args.posts}, {args.delay:g} s per post, {args.repeats} repeats")
    print(f"total (median)         {total:.2f} s   each: {' '.join(f'{t:.2f}' for t in totals)}")
    print(f"per-account minimum    {minimum:.2f} s")
    print(f"ratio total / minimum  {total / minimum:.2f}")
    print(f"sequential, for scale  {args.posts * args.delay:.2f} s")


if __name__ == "__main__":
    main()
