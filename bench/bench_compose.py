"""Benchmark the composer: teasers and threads for X, Bluesky and Mastodon; prints a table.

1,000 dispatches of ~1,500 words (the test corpus's eight languages, each
dispatch made unique so no cache helps), composed with `plan_dispatch` for
all three platforms in several modes. Each row is the median over --repeats
runs of the whole batch, after a warm-up (regex compilation, pysbd rule sets)
that is not counted. The baseline is teaser-only: what the thread machinery
costs on top of it is the ratio. Two rows isolate parts of the thread cost:
sentence splitting alone (pysbd, once per dispatch), and the number of
`measure()` calls a dispatch needs.

    python bench/bench_compose.py [--dispatches 1000] [--words 1500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "compose"))  # the composer tests' corpus

from compose_corpus import POOLS, TITLES, dispatch  # noqa: E402

import syndicate.compose.plan as plan_module  # noqa: E402
from syndicate.compose.plan import plan_dispatch  # noqa: E402
from syndicate.compose.sentences import split_sentences  # noqa: E402
from syndicate.model import PLATFORMS, Dispatch  # noqa: E402
from syndicate.settings import ComposeSettings  # noqa: E402


def make_dispatches(n: int, words: int) -> list[Dispatch]:
    from compose_corpus import body

    languages = list(POOLS)
    out = []
    for i in range(n):
        lang = languages[i % len(languages)]
        text = f"Dispatch {i}. " + body(lang, words, seed=i)
        out.append(replace(
            dispatch(f"bench-{i}", language=lang, text=text, summary=text.split("\n\n")[0]),
            title=f"{TITLES[lang]} ({i})",
        ))
    return out


MODES: dict[str, dict[str, ComposeSettings]] = {
    "teaser (baseline)": {p: ComposeSettings() for p in PLATFORMS},
    "thread, max_parts 5": {p: ComposeSettings(mode="thread") for p in PLATFORMS},
    "mixed: X teaser, threads": {"x": ComposeSettings(), "bluesky": ComposeSettings(mode="thread", short_links=True),
                                 "mastodon": ComposeSettings(mode="thread")},
    "thread, whole text (max_parts 100)": {p: ComposeSettings(mode="thread", max_parts=100) for p in PLATFORMS},
}


def run_batch(dispatches: Sequence[Dispatch], compose: dict[str, ComposeSettings]) -> tuple[float, int]:
    posts = 0
    start = time.perf_counter()
    for d in dispatches:
        plan = plan_dispatch(d, platforms=PLATFORMS, compose=compose)
        posts += sum(len(pp.posts) for pp in plan.platforms)
    return time.perf_counter() - start, posts


def timed(fn: Callable[[], tuple[float, int]], repeats: int) -> tuple[float, int]:
    results = [fn() for _ in range(repeats)]
    return statistics.median(r[0] for r in results), results[0][1]


def count_measures(dispatches: Sequence[Dispatch], compose: dict[str, ComposeSettings]) -> float:
    real = plan_module.measure
    calls = 0

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    import syndicate.compose.plan as p

    p.measure = counting  # type: ignore[assignment]
    try:
        for d in dispatches:
            plan_dispatch(d, platforms=PLATFORMS, compose=compose)
    finally:
        p.measure = real
    return calls / len(dispatches)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispatches", type=int, default=1000)
    parser.add_argument("--words", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    dispatches = make_dispatches(args.dispatches, args.words)
    avg_words = statistics.mean(len(d.text.split()) for d in dispatches if d.language not in ("ja", "zh"))
    for compose in MODES.values():  # warm-up: compile regexes, load pysbd rules
        run_batch(dispatches[:16], compose)

    n = len(dispatches)
    rows = []
    baseline = None
    for name, compose in MODES.items():
        seconds, posts = timed(partial(run_batch, dispatches, compose), args.repeats)
        baseline = baseline or seconds
        rows.append((name, seconds * 1000 / n, seconds, seconds / baseline, posts / n))
    split, _ = timed(lambda: (_split_all(dispatches), 0), args.repeats)
    rows.append(("sentence split of a whole body (pysbd)", split * 1000 / n, split, split / (baseline or 1), 0.0))

    print(f"compose bench: {n} dispatches, ~{avg_words:.0f} words each (non-CJK), 3 platforms, "
          f"median of {args.repeats}; Python {sys.version.split()[0]}")
    print(f"{'mode':38} {'ms/dispatch':>11} {'total s':>8} {'vs teaser':>9} {'posts/disp':>10}")
    for name, ms, total, ratio, posts in rows:
        print(f"{name:38} {ms:11.2f} {total:8.2f} {ratio:8.2f}x {posts:10.1f}")
    sample = dispatches[: min(100, n)]
    print("measure() calls per dispatch (3 platforms): " + ", ".join(
        f"{name.split(',')[0].split(' (')[0].split(':')[0]}{' (whole)' if 'whole' in name else ''} "
        f"{count_measures(sample, compose):.0f}"
        for name, compose in MODES.items()
    ))


def _split_all(dispatches: Sequence[Dispatch]) -> float:
    start = time.perf_counter()
    for d in dispatches:
        split_sentences(d.text, d.language)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
