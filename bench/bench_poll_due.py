"""Polling at scale: one pass over many feeds, and an idle run against a big state file.

1. 2,000 feeds on a local server (127.0.0.1), each answering after 50 ms; a first pass reads
   them all (200, baseline), then every pass gets 304s. One 304 pass of the real pipeline
   (`intake.prepare`: poll, then each feed's schedule and validators committed) is timed
   against the ideal feeds × latency / concurrency; also a pass in which no feed is due (every
   feed under a 1 h `interval`: no request at all). Run in a child process, whose peak RSS
   (ru_maxrss) is reported; the server lives in this one.
2. An idle `syndicate run` (one feed, 304) with 200,000 seen entries in the state against the
   same run with an empty state (only the feed's own baseline): medians and their ratio (≈ 1:
   the 304 path never reads the entries).

The 304s carry `Content-Length: 0`: without it (tests/watch/feedserver.py's 304), a pass here took
about 3× as long, in the test server's handling rather than in syndicate (fetch_many alone showed it).

    .venv/bin/python bench/bench_poll_due.py [--feeds 2000] [--latency 0.05] [--concurrency 16] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the test suite's feed server
sys.path.insert(0, str(HERE))

from _feedserver import serve  # noqa: E402
from watch.feedserver import FeedServer, conditional  # noqa: E402

SMALL_FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>'
    + b"".join(f"<item><title>Item {i}</title><link>https://bench.example/{i}</link><guid>{i}</guid>"
               f"<description>Body {i}</description></item>".encode() for i in range(5))
    + b"</channel></rss>"
)
SYNDICATE = Path(sys.executable).with_name("syndicate")


# -- 1. one pass over many feeds --------------------------------------------------------------

def _child_pass(spec_path: str) -> None:
    """In a fresh interpreter: the first pass (all 200), then timed 304 passes and a not-due pass."""
    from syndicate.delivery import intake
    from syndicate.settings import FeedSettings, FetchSettings, MastodonSettings, Settings
    from syndicate.store import Store

    spec = json.loads(Path(spec_path).read_text())
    feeds = tuple(FeedSettings(url, f"f{i}", backfill=0) for i, url in enumerate(spec["urls"]))
    settings = Settings(path=None, state_path=Path(spec["state"]), feeds=feeds,
                        mastodon=MastodonSettings(enabled=True, instance="http://127.0.0.1:9"),
                        fetch=FetchSettings(concurrency=spec["concurrency"]))
    store = Store.open(settings.state_path)
    t0 = time.perf_counter()
    first = intake.prepare(settings, store, fetch_cards=False)
    first_pass = time.perf_counter() - t0
    assert not first.errors, first.errors[:3]
    passes = []
    for _ in range(spec["runs"]):
        t0 = time.perf_counter()
        again = intake.prepare(settings, store, fetch_cards=False)
        passes.append(time.perf_counter() - t0)
        assert not again.errors and again.not_due == 0 and not again.accepted
    hourly = replace(settings, feeds=tuple(replace(f, interval=3600.0) for f in feeds))
    t0 = time.perf_counter()
    idle = intake.prepare(hourly, store, fetch_cards=False)
    not_due = time.perf_counter() - t0
    assert idle.not_due == len(feeds)
    print(json.dumps({"first": first_pass, "passes": passes, "not_due": not_due,
                      "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def bench_pass(feeds: int, latency: float, concurrency: int, runs: int, tmp: Path) -> list[tuple[str, str]]:
    with FeedServer() as server:
        def slow(route: object) -> object:
            def reply(seen: object) -> object:
                r = route(seen)  # type: ignore[operator]
                if r.status == 304:  # as real servers (and bench/_feedserver.py) do; see the note below
                    r.headers["Content-Length"] = "0"
                return replace(r, delay=latency)
            return reply

        urls = [server.route(f"/f{i}.xml", slow(conditional(lambda: SMALL_FEED)))  # type: ignore[arg-type]
                for i in range(feeds)]
        spec = tmp / "spec.json"
        spec.write_text(json.dumps({"urls": urls, "state": str(tmp / "pass.db"), "concurrency": concurrency,
                                    "runs": runs}))
        out = subprocess.run([sys.executable, __file__, "--child-pass", str(spec)], check=True,
                             capture_output=True, text=True).stdout
        requests = len(server.seen)
        in_flight = server.max_in_flight
    m = json.loads(out)
    median = statistics.median(m["passes"])
    ideal = feeds * latency / concurrency
    return [
        (f"first pass, {feeds} feeds × {latency * 1000:.0f} ms, 200 (baseline)", f"{m['first']:.2f} s"),
        (f"one 304 pass, concurrency {concurrency}",
         f"{median:.2f} s median of {runs} ({', '.join(f'{t:.2f}' for t in m['passes'])})"),
        ("  ideal (feeds × latency / concurrency)", f"{ideal:.2f} s  → ratio ×{median / ideal:.2f}"),
        ("  a pass with no feed due (interval 1 h)", f"{m['not_due']:.3f} s, 0 requests"),
        ("  requests the server saw in all", f"{requests} (= {feeds} × {runs + 1} passes: {feeds * (runs + 1)})"),
        ("  max requests in flight at the server", str(in_flight)),
        ("  peak RSS of the polling process", f"{m['rss_kib'] / 1024:.0f} MB"),
    ]


# -- 2. an idle run against a big state -----------------------------------------------------

def _config(directory: Path, url: str) -> Path:
    directory.mkdir()
    path = directory / "syndicate.toml"
    path.write_text(f'[state]\npath = "state.db"\n[[feeds]]\nurl = "{url}"\nname = "bench"\nbackfill = 0\n'
                    '[mastodon]\nenabled = true\ninstance = "http://127.0.0.1:9"\n', encoding="utf-8")
    return path


def _seed_entries(state: Path, n: int) -> None:
    conn = sqlite3.connect(state, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO entries (feed_url, entry_id, url, title, seen_at, reason) VALUES (?, ?, ?, ?, ?, 'baseline')",
        ((f"https://old{i % 500}.example/feed", f"e{i}", f"https://old{i % 500}.example/story-{i}",
          f"Old story {i}", 1.0) for i in range(n)))
    conn.execute("COMMIT")
    conn.close()


def _timed_run(config: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(SYNDICATE), "run", "--config", str(config)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or proc.stdout:
        raise SystemExit(f"the idle run was not idle: {proc.returncode} {proc.stdout} {proc.stderr}")
    return elapsed


def bench_idle(entries: int, runs: int, tmp: Path) -> list[tuple[str, str]]:
    server, url = serve(SMALL_FEED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_MASTODON_ACCESS_TOKEN"] = "bench-not-used"
    try:
        empty, big = _config(tmp / "empty", url), _config(tmp / "big", url)
        for config in (empty, big):
            _timed_run(config, env)  # first sight: the feed's baseline
        _seed_entries(big.parent / "state.db", entries)
        times: dict[str, list[float]] = {"empty": [], "big": []}
        for _ in range(runs):  # interleaved, so machine load falls on both alike
            times["empty"].append(_timed_run(empty, env))
            times["big"].append(_timed_run(big, env))
    finally:
        server.shutdown()
    e, b = statistics.median(times["empty"]), statistics.median(times["big"])
    return [
        ("idle `syndicate run` (304), empty state", f"{e * 1000:.0f} ms median of {runs}"),
        (f"idle `syndicate run` (304), {entries:,} seen entries", f"{b * 1000:.0f} ms median of {runs}"),
        ("  ratio big / empty", f"×{b / e:.2f}"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--entries", type=int, default=200_000)
    ap.add_argument("--idle-runs", type=int, default=11)
    ap.add_argument("--child-pass", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_pass:
        _child_pass(args.child_pass)
        return
    with tempfile.TemporaryDirectory() as tmp:
        rows = bench_pass(args.feeds, args.latency, args.concurrency, args.runs, Path(tmp))
        rows += bench_idle(args.entries, args.idle_runs, Path(tmp))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  result")
    print(f"{'-' * width}  {'-' * 40}")
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
