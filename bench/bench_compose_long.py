"""Benchmark composing very long entries: time and peak memory against entry size, teaser and thread.

Two shapes of text (words with no sentence break at all, and short sentences), each at 10 KB,
100 KB and 1 MB, composed with `plan_dispatch` for X, Bluesky and Mastodon: as a teaser (the text
is the summary: an RSS description carrying the whole article) and as a thread (the text is the
body, max_parts 5). Each cell runs in a fresh subprocess: time is the median of --repeats runs
after a warm-up on a small entry. Memory: "RSS+" is the child's peak RSS (ru_maxrss) above its
peak after the warm-up (0 when composing stays within what imports and rule sets already took);
"alloc" is the peak that tracemalloc sees during one more, untimed run: everything composing
allocates, the text itself and its copies included (1 MB of ASCII is 1 MB). Ratios are against
the first (smallest) size of the same row: a flat, or at worst linear, curve is what we want.

    python bench/bench_compose_long.py [--sizes 10000,100000,1000000] [--repeats 5] [--timeout 120]

A cell that takes longer than --timeout (the old quadratic composer at 1 MB) prints "timeout".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, statistics, sys, time, tracemalloc
sys.path.insert(0, {corpus!r})
from compose_corpus import dispatch
from syndicate.compose.plan import plan_dispatch
from syndicate.model import PLATFORMS
from syndicate.settings import ComposeSettings

shape, mode, size, repeats = {shape!r}, {mode!r}, {size!r}, {repeats!r}

def text_of(n):
    if shape == "no-break":
        unit = "lorem ipsum dolor sit amet consectetur adipiscing elit "
    else:
        unit = "It rained. The river rose. Nobody slept. "
    return (unit * (n // len(unit) + 1))[:n].strip()

def run(n):
    text = text_of(n)
    d = dispatch("long", summary=text if mode == "teaser" else "A short summary.", text=text)
    compose = {{p: ComposeSettings(mode=mode) for p in PLATFORMS}}
    start = time.perf_counter()
    plan = plan_dispatch(d, platforms=PLATFORMS, compose=compose)
    took = time.perf_counter() - start
    assert all(pp.posts for pp in plan.platforms), [pp.skipped for pp in plan.platforms]
    return took

run(2000)  # warm-up: regexes, pysbd rules
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = [run(size) for _ in range(repeats)]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()  # one more, untimed run: the peak of what composing allocates, the text included
run(size)
traced = tracemalloc.get_traced_memory()[1]
print(json.dumps({{"seconds": statistics.median(times), "peak_kib": peak - base, "traced_kib": traced / 1024}}))
"""


def cell(shape: str, mode: str, size: int, repeats: int, timeout: float) -> dict[str, float] | None:
    code = CHILD.format(corpus=str(ROOT / "tests" / "compose"), shape=shape, mode=mode, size=size, repeats=repeats)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                             check=True)
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"compose long-entry bench: 3 platforms, median of {args.repeats}, peak RSS above warm-up; "
          f"Python {sys.version.split()[0]}")
    print(f"{'mode':7} {'shape':16} {'size':>9} {'ms':>10} {'x first':>8} {'RSS+ MiB':>9} {'alloc MiB':>9} "
          f"{'x first':>8}")
    for mode in ("teaser", "thread"):
        for shape in ("no-break", "short-sentences"):
            first: dict[str, float] | None = None
            for size in sizes:
                r = cell(shape, mode, size, args.repeats, args.timeout)
                if r is None:
                    print(f"{mode:7} {shape:16} {size:9} {'timeout':>10}")
                    continue
                first = first or r
                ms, mib, traced = r["seconds"] * 1000, r["peak_kib"] / 1024, r["traced_kib"] / 1024
                print(f"{mode:7} {shape:16} {size:9} {ms:10.1f} {r['seconds'] / first['seconds']:7.1f}x {mib:9.1f} "
                      f"{traced:9.1f} {r['traced_kib'] / first['traced_kib']:7.1f}x", flush=True)


if __name__ == "__main__":
    main()
