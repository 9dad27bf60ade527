"""Benchmark post-length counting per platform; prints a table.

Texts: 280-character mixed posts (headline words, hashtags, mentions, URLs
with and without a scheme, emoji with skin tones and ZWJ, flags, "…", "•",
and some CJK, Arabic and Hindi), generated with a fixed seed. For each
platform: texts per second, the median of --repeats timed passes over all
texts. For X, the same texts go through npm twitter-text's parseTweet
(tools/vectors/baseline.mjs) when tools/vectors/node_modules and `node` are
there; the last column is our speed over that baseline.

    python bench/bench_length.py [--texts 5000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from syndicate.compose import length

ROOT = Path(__file__).resolve().parent.parent
VECTORS_DIR = ROOT / "tools" / "vectors"

WORDS = (
    "the council said on Monday that a new plan for the city would cut bus fares and open two "
    "lines by May after years of delays critics called it too little too late while residents "
    "welcomed news of cheaper tickets police confirmed an inquiry into the floods"
).split()
EXTRAS = [
    "#news", "#politics", "#Budget2026", "@reporter", "@alice@mastodon.social", "@jay.bsky.team",
    "👍🏽", "🇫🇷", "👨‍👩‍👧‍👦", "🙏🏿", "⚡", "…", "•", "“quoted”", "café", "e.g.", "3.5%",
    "https://news.example.org/2026/05/24/floods-close-ring-road", "example.com/live", "bit.ly/3xYz",
]
SCRIPTS = [
    "東京で大雨、交通機関に乱れ。詳しくは",
    "北京发布暴雨预警，请注意出行安全",
    "انقطاع الكهرباء في عدة مدن",
    "दिल्ली में भारी बारिश, यातायात प्रभावित",
]


def make_texts(n: int, seed: int = 280) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts: list[str] = []
        if rng.random() < 0.25:
            parts.append(rng.choice(SCRIPTS))
        while sum(len(p) + 1 for p in parts) < 300:
            parts.append(rng.choice(EXTRAS) if rng.random() < 0.18 else rng.choice(WORDS))
        texts.append(" ".join(parts)[:280])
    return texts


def rate(fn: Callable[[str], Any], texts: list[str], repeats: int) -> float:
    for t in texts[:200]:
        fn(t)  # compile patterns, warm caches
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for t in texts:
            fn(t)
        runs.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(runs)


def node_baseline(texts: list[str], repeats: int) -> float | None:
    node = shutil.which("node")
    if node is None or not (VECTORS_DIR / "node_modules" / "twitter-text").is_dir():
        return None
    out = subprocess.run(
        [node, "baseline.mjs", str(repeats)], cwd=VECTORS_DIR, input=json.dumps(texts),
        capture_output=True, text=True, check=True,
    )
    return float(json.loads(out.stdout)["texts_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000, help="number of texts")
    parser.add_argument("--repeats", type=int, default=7, help="timed passes; the median is shown")
    args = parser.parse_args()
    texts = make_texts(args.texts)
    baseline = node_baseline(texts, args.repeats)
    rows = [
        ("X (weighted length)", rate(length.x_length, texts, args.repeats), baseline),
        ("Bluesky (graphemes + bytes)", rate(length.bluesky_length, texts, args.repeats), None),
        ("Mastodon (validator rule)", rate(length.mastodon_length, texts, args.repeats), None),
        ("measure_all (all three)", rate(length.measure_all, texts, args.repeats), None),
    ]
    print(f"{args.texts} texts of 280 characters, median of {args.repeats} passes")
    print(f"{'platform':<30} {'texts/s':>10} {'npm twitter-text':>17} {'ratio':>7}")
    for name, ours, base in rows:
        base_s = f"{base:>17,.0f}" if base else f"{'':>17}"
        ratio = f"{ours / base:>6.2f}x" if base else f"{'':>7}"
        print(f"{name:<30} {ours:>10,.0f} {base_s} {ratio}")
    if baseline is None:
        print("npm twitter-text baseline not measured (needs `node` and `npm ci` in tools/vectors)")


if __name__ == "__main__":
    main()
