"""What `syndicate stats` and `syndicate report` cost (issue 12).

1. `stats` for 1,000 sent posts across three networks (334 Mastodon, 333 X, 333 Bluesky) on the
   fakes (tests/fakes: Mastodon, X, a stand-in AppView seeded in memory), through the real
   readers and SDKs over loopback: API calls made per network, and wall time. Baseline: the same
   1,000 posts where Mastodon has no batch route (a server before 4.3, one call per status; its
   334 calls would pass a real server's 300 per 5 minutes, so the fake's limit is lifted here).
2. `report` for 1,000 dispatches × 3 accounts with 3 snapshots per post: time to gather and
   render, and the page size.
3. The due check a cron run makes (`commands.run._snapshots_due`) on a state file with those
   3,000 posts when nothing is due.

    .venv/bin/python bench/bench_stats.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes.appview import FakeAppView  # noqa: E402
from fakes.mastodon_api import FakeMastodon  # noqa: E402
from fakes.x_api import XApiFake  # noqa: E402

from syndicate.commands.run import _snapshots_due  # noqa: E402
from syndicate.commands.stats import gather, report_data  # noqa: E402
from syndicate.preview.report import render_report  # noqa: E402
from syndicate.settings import BlueskySettings, MastodonSettings, Settings, StatsSettings, XSettings  # noqa: E402
from syndicate.store import Store  # noqa: E402

DID = "did:plc:benchbenchbenchbenchbench"
X_ENV = {"SYNDICATE_X_CONSUMER_KEY": "ck", "SYNDICATE_X_CONSUMER_SECRET": "cs",
         "SYNDICATE_X_ACCESS_TOKEN": "1500000000000000001-at", "SYNDICATE_X_ACCESS_TOKEN_SECRET": "ats",
         "SYNDICATE_MASTODON_ACCESS_TOKEN": "bench-token"}


def _insert(store: Store, dispatch: str, platform: str, remote_id: str, uri: str | None, sent_at: float) -> None:
    store.conn.execute("INSERT OR IGNORE INTO dispatches (id, feed, url, title, accepted_at, plan) "
                       "VALUES (?, 'bench', ?, ?, ?, '{}')", (dispatch, f"https://e.org/{dispatch}",
                                                             f"Dispatch {dispatch}", sent_at))
    # The default account of each network (named like it): the `account` column migration 7 added.
    store.conn.execute("INSERT INTO parts (dispatch_id, account, platform, part, of_parts, state, key, post, remote_id, "
                       "remote_url, uri, sent_at, updated_at) VALUES (?, ?, ?, 1, 1, 'sent', 'k', '{}', ?, ?, ?, ?, ?)",
                       (dispatch, platform, platform, remote_id, f"https://{platform}.example/{remote_id}", uri, sent_at, sent_at))


def bench_stats(runs: int, version: str) -> tuple[float, dict[str, int]]:
    now = time.time()
    with tempfile.TemporaryDirectory() as tmp, FakeMastodon(token="bench-token", version=version, rate_limit=100_000) as masto, \
            XApiFake(consumer_key="ck", consumer_secret="cs", access_token="1500000000000000001-at",
                     access_token_secret="ats") as x, FakeAppView(None, {DID: "bench.test"}) as appview:
        x.set_limit("GET /2/tweets", 10_000)
        state = Path(tmp) / "s.db"
        store = Store.open(state)
        with store.transaction():
            for i in range(1000):
                d = f"d{i // 3}"
                sent = now - 3600 * (1 + i // 3)
                if i % 3 == 0:
                    _insert(store, d, "mastodon", masto.seed_status(f"post {i}").id, None, sent)
                elif i % 3 == 1:
                    _insert(store, d, "x", x.seed(f"post {i}").id, None, sent)
                else:
                    uri = f"at://{DID}/app.bsky.feed.post/3k{i:011d}"
                    appview.seed(uri, f"bafy{i}", {"$type": "app.bsky.feed.post", "text": f"post {i}",
                                                   "createdAt": "2026-11-01T00:00:00.000Z"})
                    _insert(store, d, "bluesky", f"3k{i:011d}", uri, sent)
        store.close()
        settings = Settings(path=None, state_path=state, feeds=(),
                            x=XSettings(enabled=True, api_base=x.base_url, stats=True),
                            bluesky=BlueskySettings(enabled=True, handle="bench.test", appview=appview.base_url),
                            mastodon=MastodonSettings(enabled=True, instance=masto.base_url),
                            stats=StatsSettings(window_days=365))
        import os

        os.environ.update(X_ENV)
        times, calls = [], {}
        for _ in range(runs):
            start = time.perf_counter()
            data, outcome = gather(settings, now=time.time())
            times.append(time.perf_counter() - start)
            assert outcome is not None and not outcome.errors, outcome.errors
            assert sum(len(a["posts"]) for d in data["dispatches"] for a in d["platforms"].values()) == 1000
            calls = outcome.calls
        return statistics.median(times), calls


def bench_report(runs: int) -> tuple[float, float, int]:
    from syndicate.audience.snapshots import SentPost, record_snapshots
    from syndicate.platforms.base import Counts

    now = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "s.db"
        store = Store.open(state)
        posts = []
        with store.transaction():
            for i in range(1000):
                for platform in ("x", "bluesky", "mastodon"):
                    sent = now - 86400 * (i % 30) - 3600 * (i % 24)
                    _insert(store, f"d{i}", platform, f"{platform}{i}", None, sent)
                    posts.append(SentPost(f"d{i}", platform, platform, 1, 1, sent, f"{platform}{i}", None, None, None))
        # Each post read at each of its marks that has passed by `now` (as cron would have): nothing is due.
        for k, after in enumerate((3600, 86400, 7 * 86400)):
            for i, p in enumerate(posts):
                if p.sent_at + after <= now:
                    record_snapshots(store, [(p, Counts(3 * k + i % 7, k + i % 3, k, None), 0.0)], p.sent_at + after)
        store.close()
        settings = Settings(path=None, state_path=state, feeds=())
        times, gathers, size = [], [], 0
        for _ in range(runs):
            start = time.perf_counter()
            data = report_data(settings)
            gathered = time.perf_counter()
            page = render_report(data)
            times.append(time.perf_counter() - start)
            gathers.append(gathered - start)
            size = len(page.encode())
        store = Store.open(state)
        due_times = []
        wide = Settings(path=None, state_path=state, feeds=(), x=XSettings(enabled=True, stats=True),
                        bluesky=BlueskySettings(enabled=True, handle="b"),
                        mastodon=MastodonSettings(enabled=True, instance="http://m"), stats=StatsSettings())
        for _ in range(max(runs, 20)):
            start = time.perf_counter()
            assert not _snapshots_due(wide, store, now)
            due_times.append(time.perf_counter() - start)
        store.close()
        print(f"{'cron due check, 3,000 sent posts, nothing due':58} {statistics.median(due_times) * 1000:9.2f} ms")
        return statistics.median(times), statistics.median(gathers), size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    batched, calls = bench_stats(args.runs, "4.4.3")
    single, single_calls = bench_stats(args.runs, "4.2.10")
    print(f"{'stats, 1,000 posts on 3 networks (Mastodon 4.4: batched)':58} {batched * 1000:9.1f} ms   calls "
          f"{sum(calls.values())} {calls}")
    print(f"{'baseline: Mastodon 4.2, no batch route (one call a status)':58} {single * 1000:9.1f} ms   calls "
          f"{sum(single_calls.values())} {single_calls}")
    print(f"{'ratio batched / baseline':58} {batched / single:9.2f}")
    total, gather_s, size = bench_report(args.runs)
    print(f"{'report, 1,000 dispatches x 3 accounts, 3 snapshots each':58} {total * 1000:9.1f} ms   "
          f"(gather {gather_s * 1000:.0f} ms)   page {size / 1024:.0f} KiB")
    print(f"(median of {args.runs} runs each; calls are per run)")


if __name__ == "__main__":
    main()
