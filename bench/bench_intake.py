"""Benchmark the intake: one pass of `intake.prepare` with Bluesky link cards; prints a table.

A local server (127.0.0.1) serves one feed of N new entries whose article
pages each answer after --delay seconds. The pass fetches every card, composes
and commits the feed in one transaction. Wall time (median of --runs, a fresh
state file each run) with the planning pool at its default width, against a
width of 1 — the baseline: cards fetched one after another, as before the pool.

    python bench/bench_intake.py [--entries 20] [--delay 0.2] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's feed server and feed builder

from core.feedgen import item, rss  # noqa: E402
from watch.feedserver import FeedServer, Reply, conditional  # noqa: E402

from syndicate.config import load_config  # noqa: E402
from syndicate.delivery import intake  # noqa: E402
from syndicate.store import Store  # noqa: E402

PAGE = b'<html><head><meta property="og:title" content="T"><meta property="og:description" content="D"></head></html>'


def one_pass(server: FeedServer, entries: int, width: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "syndicate.toml"
        config.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "{server.url('/feed.xml')}"
backfill = {entries}
[bluesky]
enabled = true
handle = "me.test"
service = "http://127.0.0.1:9"
[compose]
cards = true
""", encoding="utf-8")
        settings = load_config(config)
        store = Store.open(settings.state_path)
        saved, intake.CARD_CONCURRENCY = intake.CARD_CONCURRENCY, width
        try:
            start = time.perf_counter()
            prepared = intake.prepare(settings, store)
            elapsed = time.perf_counter() - start
        finally:
            intake.CARD_CONCURRENCY = saved
            store.close()
        assert len(prepared.accepted) == entries
        return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with FeedServer() as server:
        body = rss([item(i, link=server.url(f"/a-{i}")) for i in range(1, args.entries + 1)])
        server.route("/feed.xml", conditional(lambda: body))
        for i in range(1, args.entries + 1):
            server.route(f"/a-{i}", Reply(200, PAGE, headers={"Content-Type": "text/html"}, delay=args.delay))
        width = intake.CARD_CONCURRENCY
        pooled = statistics.median(one_pass(server, args.entries, width) for _ in range(args.runs))
        serial = statistics.median(one_pass(server, args.entries, 1) for _ in range(args.runs))
    print(f"intake pass: {args.entries} new entries, card pages answering after {args.delay:.2f} s, "
          f"median of {args.runs}")
    print(f"  pool of {width:<2}            {pooled:7.2f} s")
    print(f"  baseline: one at a time {serial:7.2f} s   (ratio baseline/pool {serial / pooled:.1f}x)")


if __name__ == "__main__":
    main()
