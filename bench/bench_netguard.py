"""What the fetch rules (netguard) cost per content fetch; prints medians and a ratio.

Each link card or image is fetched by its own client, so every fetch opens a new
connection, which is where the guard works (resolve, judge every address, connect
to it). We time N such fetches of a small page from a local server (127.0.0.1,
allowed by the policy) through

  baseline  a plain `httpx.Client` per fetch (what og.fetch_card used before), redirects by httpx
  guarded   `netguard.guarded_client` per fetch, redirects followed by `netguard.follow`

and print the median of --runs for each and guarded / baseline.

    python bench/bench_netguard.py [--fetches 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's feed server

import httpx  # noqa: E402
from watch.feedserver import FeedServer, Reply  # noqa: E402

from syndicate import netguard  # noqa: E402

PAGE = b"<html><head><title>Bench</title><meta property='og:description' content='d'></head></html>"


def plain(url: str, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        with httpx.Client(timeout=10) as client:
            assert client.get(url, follow_redirects=True).status_code == 200
    return time.perf_counter() - started


def guarded(url: str, n: int, policy: netguard.FetchPolicy) -> float:
    started = time.perf_counter()
    for _ in range(n):
        with netguard.guarded_client(policy, timeout=10, max_connections=1) as client:
            response = netguard.follow(client, client.build_request("GET", url))
            response.read()
            response.close()
            assert response.status_code == 200
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fetches", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    policy = netguard.FetchPolicy.for_feeds([], ["127.0.0.0/8"])
    with FeedServer() as server:
        server.route("/page", Reply(200, PAGE, {"Content-Type": "text/html"}))
        url = server.url("/page")
        for name, path in (("one hop", "/page"), ("one redirect", "/redirect")):
            if path == "/redirect":
                server.route("/redirect", Reply(302, headers={"Location": "/page"}))
                url = server.url("/redirect")
            base = [plain(url, args.fetches) for _ in range(args.runs)]
            guard = [guarded(url, args.fetches, policy) for _ in range(args.runs)]
            b, g = statistics.median(base), statistics.median(guard)
            print(f"{name:13} {args.fetches} fetches, median of {args.runs}: baseline {b * 1000:7.1f} ms "
                  f"({b / args.fetches * 1e6:6.0f} µs each), guarded {g * 1000:7.1f} ms "
                  f"({g / args.fetches * 1e6:6.0f} µs each); guarded / baseline = {g / b:.2f}")


if __name__ == "__main__":
    main()
