"""What change detection costs a feed re-read in full: one `intake.prepare` pass over a feed that
answers 200 (no validators: every entry read) whose N entries were all accepted before.

Three cases, median of --runs each, on a copy of the same state:
  unchanged   every entry's digest matches: one indexed lookup and one sha256 per entry, no compose
  typo        every entry's body changed deep down: each is recomposed, nothing is written
  baseline    what it would cost without the stored digest: every entry recomposed on every re-read
              (measured by making every stored digest stale, so each entry is recomposed and compared)
The ratio baseline/unchanged is what the digest saves a feed that serves a 200 each run.

    .venv/bin/python bench/bench_reread.py [--entries 50] [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's feed server and feed builder

from core.feedgen import item, rss  # noqa: E402
from watch.feedserver import FeedServer, Reply  # noqa: E402

from syndicate.config import load_config  # noqa: E402
from syndicate.delivery import intake  # noqa: E402
from syndicate.store import Store  # noqa: E402

BODY = " ".join(f"Sentence {i} says what the council decided about the river and the bridge." for i in range(60))


def feed(n: int, body: str) -> bytes:
    return rss([item(i, body=f"<p>{body}</p>") for i in range(1, n + 1)])


def timed_pass(config: Path, state: Path, work: Path, *, stale_digests: bool = False) -> float:
    shutil.copy(state, work)
    settings = load_config(config)
    store = Store.open(work)
    try:
        if stale_digests:
            store.conn.execute("UPDATE entries SET digest = 'stale'")
        start = time.perf_counter()
        prepared = intake.prepare(settings, store, fetch_cards=False)
        elapsed = time.perf_counter() - start
        assert not prepared.accepted and not any(r.corrections for r in prepared.revisions)
        return elapsed
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=50)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        body = {"now": feed(args.entries, BODY)}
        server.route("/feed.xml", lambda seen: Reply(200, body["now"], headers={"Content-Type": "application/rss+xml"}))
        config = Path(tmp) / "syndicate.toml"
        config.write_text(f"""
[state]
path = "work.db"
[[feeds]]
url = "{server.url('/feed.xml')}"
backfill = {args.entries}
[x]
enabled = true
[mastodon]
enabled = true
instance = "http://127.0.0.1:9"
[compose]
mode = "thread"
cards = false
[corrections]
updates = "reply"
""", encoding="utf-8")
        state, work = Path(tmp) / "state.db", Path(tmp) / "work.db"
        settings = load_config(config)
        store = Store.open(work)
        assert len(intake.prepare(settings, store, fetch_cards=False).accepted) == args.entries
        store.close()
        shutil.copy(work, state)
        unchanged = statistics.median(timed_pass(config, state, work) for _ in range(args.runs))
        baseline = statistics.median(timed_pass(config, state, work, stale_digests=True) for _ in range(args.runs))
        body["now"] = feed(args.entries, BODY.replace("Sentence 50 says", "Sentence 50 sayz"))
        typo = statistics.median(timed_pass(config, state, work) for _ in range(args.runs))
    print(f"re-read of a feed of {args.entries} accepted entries (200, read in full; thread mode, X + Mastodon), "
          f"median of {args.runs}")
    print(f"  unchanged (digest matches)     {unchanged * 1000:8.1f} ms")
    print(f"  typo deep in every body        {typo * 1000:8.1f} ms   (each entry recomposed, nothing written)")
    print(f"  baseline: recompose every time {baseline * 1000:8.1f} ms   (ratio baseline/unchanged "
          f"{baseline / unchanged:.1f}x)")


if __name__ == "__main__":
    main()
