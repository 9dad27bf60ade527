"""Benchmark the feed watcher's fetch and parse layers; prints a table.

1. fetch_many: 200 feeds on a local server (127.0.0.1), each answering after
   100 ms. Wall time of fetch_many (median of --runs) against the ideal
   200 × 0.1 s / concurrency, and against fetching them one after another
   (the baseline a plain loop would give).
2. parse_feed on a ~10 MB feed (RSS 2.0 with content:encoded, and JSON Feed),
   each in a fresh subprocess: time, tracemalloc peak, and peak RSS (ru_maxrss)
   above the process's RSS after imports.

    python bench/bench_fetch.py [--feeds 200] [--delay 0.1] [--concurrency 16] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's feed server

from watch.feedserver import FeedServer, Reply  # noqa: E402

from syndicate.watch.fetch import FeedRequest, FetchResult, fetch_feed, fetch_many, make_client  # noqa: E402

SMALL_FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>'
    + b"".join(
        f"<item><title>Item {i}</title><link>https://bench.example/{i}</link><guid>{i}</guid>"
        f"<description>Body {i} {'lorem ipsum ' * 30}</description></item>".encode()
        for i in range(10)
    )
    + b"</channel></rss>"
)


def _big_rss(target: int) -> bytes:
    para = "<p>" + "The harbour master said the new crane would arrive in spring. " * 8 + "</p>"
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
             'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Big</title>']
    size, i = 0, 0
    while size < target:
        item = (f"<item><title>Dispatch {i} &amp; more</title><link>https://big.example/{i}?utm_source=x"
                f"</link><guid>big-{i}</guid><pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate>"
                f"<category>c{i % 7}</category><description>Summary {i}</description>"
                f"<content:encoded><![CDATA[{para * 8}<ul><li>a</li><li>b</li></ul>]]></content:encoded></item>")
        parts.append(item)
        size += len(item)
        i += 1
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def _big_json(target: int) -> bytes:
    para = "<p>" + "The harbour master said the new crane would arrive in spring. " * 8 + "</p>"
    items, size, i = [], 0, 0
    while size < target:
        item = {"id": f"big-{i}", "url": f"https://big.example/{i}", "title": f"Dispatch {i}",
                "content_html": para * 8, "date_published": "2025-06-10T04:00:00Z", "tags": ["x"]}
        items.append(item)
        size += len(json.dumps(item))
        i += 1
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Big",
                       "items": items}).encode()


def bench_fetch(feeds: int, delay: float, concurrency: int, runs: int) -> list[tuple[str, str]]:
    rows = []
    with FeedServer() as server:
        urls = [server.route(f"/f{i}.xml", Reply(200, SMALL_FEED, {"Content-Type": "application/rss+xml"},
                                                 delay=delay)) for i in range(feeds)]
        requests = [FeedRequest(u) for u in urls]
        times = []
        for _ in range(runs):
            server.max_in_flight = 0
            t0 = time.perf_counter()
            results = fetch_many(requests, concurrency=concurrency)
            times.append(time.perf_counter() - t0)
            assert all(isinstance(r, FetchResult) and r.status == 200 for r in results)
        ideal = feeds * delay / concurrency
        with make_client() as client:
            t0 = time.perf_counter()
            for u in urls:
                fetch_feed(u, client=client)
            sequential = time.perf_counter() - t0
    median = statistics.median(times)
    rows.append((f"fetch_many {feeds} feeds × {delay * 1000:.0f} ms, concurrency {concurrency}",
                 f"{median:.2f} s median of {runs} ({', '.join(f'{t:.2f}' for t in times)})"))
    rows.append(("  ideal (feeds × delay / concurrency)", f"{ideal:.2f} s  → overhead ×{median / ideal:.2f}"))
    rows.append(("  sequential fetch_feed loop (baseline)", f"{sequential:.2f} s  → speed-up ×{sequential / median:.1f}"))
    rows.append(("  max requests in flight at the server", str(server.max_in_flight)))
    return rows


def _child_parse(path: str) -> None:
    """Run in a fresh interpreter: parse one file, print measurements as JSON."""
    from syndicate.watch.parse import parse_feed

    data = Path(path).read_bytes()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    t0 = time.perf_counter()
    feed = parse_feed(data, url="https://big.example/feed", feed_name="big")
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Without tracemalloc's own overhead, for the RSS figure:
    t1 = time.perf_counter()
    parse_feed(data, url="https://big.example/feed", feed_name="big")
    untraced = time.perf_counter() - t1
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"bytes": len(data), "entries": len(feed.dispatches), "seconds": untraced,
                      "seconds_traced": elapsed, "tracemalloc_peak": peak,
                      "rss_base_kib": base_rss, "rss_peak_kib": max_rss}))


def bench_parse(tmp: Path) -> list[tuple[str, str]]:
    rows = []
    for name, data in (("RSS 2.0", _big_rss(10 * 1024 * 1024)), ("JSON Feed", _big_json(10 * 1024 * 1024))):
        path = tmp / f"big-{name.replace(' ', '')}.bin"
        path.write_bytes(data)
        out = subprocess.run([sys.executable, __file__, "--child-parse", str(path)], check=True,
                             capture_output=True, text=True).stdout
        m = json.loads(out)
        mb = 1024 * 1024
        rows.append((f"parse_feed {name}, {m['bytes'] / mb:.1f} MB, {m['entries']} entries",
                     f"{m['seconds']:.2f} s"))
        rows.append(("  tracemalloc peak during parse", f"{m['tracemalloc_peak'] / mb:.0f} MB"))
        rows.append(("  peak RSS (above RSS after imports)",
                     f"{m['rss_peak_kib'] / 1024:.0f} MB ({(m['rss_peak_kib'] - m['rss_base_kib']) / 1024:+.0f} MB)"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child-parse", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_parse:
        _child_parse(args.child_parse)
        return
    import tempfile

    rows = bench_fetch(args.feeds, args.delay, args.concurrency, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        rows += bench_parse(Path(tmp))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  result")
    print(f"{'-' * width}  {'-' * 40}")
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
