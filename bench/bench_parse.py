"""Benchmark parse_feed against a baseline revision of the code; prints medians and their ratio.

What is timed (each in a fresh interpreter, after one warm-up pass, best of 3
passes; then the median of --runs such interpreters):

1. the corpus: every document in tests/data/feedparser/ and tests/data/feed-shapes/
   (about 1,200 small feeds, many ill-formed), parsed one after another;
2. one ~2 MB RSS 2.0 feed of 1,000 items shaped like a big company blog's
   (per-item <image>, an <author> block with a job <title>, content:encoded);
3. the same feed behind an XHTML DOCTYPE with HTML named entities.

The baseline is the same script's child run against `git archive <rev> src`
(default: the revision this branch started from), so both sides parse the same
bytes with the same feedparser.

    python bench/bench_parse.py [--baseline REV] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def _big_feed(doctype: bool) -> bytes:
    head = ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
               '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n' if doctype else "")
            + '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            "<channel><title>Big blog</title><link>https://big.example/</link>")
    word = "caf&eacute;" if doctype else "cafe"
    items = "".join(
        f"<item><title>Headline {i} {word}</title><link>/posts/{i}</link><guid>g{i}</guid>"
        f"<image><url>https://big.example/i/{i}.jpg</url><title>Image {i}</title></image>"
        f"<author><name>Writer {i}</name><title>Head of Editorial</title></author>"
        f"<content:encoded><![CDATA[<p>{'Body text with some words. ' * 70}</p>]]></content:encoded></item>"
        for i in range(1000)
    )
    return (head + items + "</channel></rss>").encode()


def _child(src: str, which: str) -> None:
    sys.path.insert(0, src)
    from syndicate.errors import FeedError
    from syndicate.watch.parse import parse_feed

    if which == "corpus":
        docs = [p.read_bytes() for d in ("feedparser", "feed-shapes") for p in sorted((DATA / d).rglob("*"))
                if p.is_file() and p.suffix in (".xml", ".atom", ".rss", ".rdf", ".json")]
    else:
        docs = [_big_feed(doctype=which == "doctype")]
    def parse_all() -> float:
        t0 = time.perf_counter()
        for data in docs:
            try:
                parse_feed(data, url="https://bench.example/feed", feed_name="bench")
            except FeedError:
                pass
        return time.perf_counter() - t0

    parse_all()  # warm up: lazy imports and regex compilation are not what we measure
    print(json.dumps({"seconds": min(parse_all() for _ in range(3)), "docs": len(docs)}))


def _once(src: str, which: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", src, which], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": src})
    return float(json.loads(out.stdout)["seconds"])


def _medians(ours: str, base: str, which: str, runs: int) -> tuple[float, float]:
    """Runs alternate between the two sides, so a busy spell on a shared machine hits both."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        times[0].append(_once(ours, which))
        times[1].append(_once(base, which))
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="9a4eb45", help="git revision to compare against")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline, "src"], capture_output=True,
                                 check=True).stdout
        archive_path = Path(tmp) / "base.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(tmp, filter="data")
        base_src = str(Path(tmp) / "src")
        print(f"parse_feed, median of {args.runs} fresh runs; baseline = {args.baseline}")
        print(f"{'case':<28}{'this branch':>14}{'baseline':>14}{'ratio':>8}")
        for which, label in (("corpus", "corpus (1,213 docs)"), ("plain", "2 MB RSS, 1,000 items"),
                             ("doctype", "same, XHTML DOCTYPE")):
            ours, base = _medians(str(ROOT / "src"), base_src, which, args.runs)
            print(f"{label:<28}{ours * 1000:>11.0f} ms{base * 1000:>11.0f} ms{ours / base:>8.2f}")


if __name__ == "__main__":
    main()
