"""Realistic texts whose composed output was recorded with the composer as it was before bounding its cost
(`python tests/compose/compose_recorded.py` run before any source change, i.e. on the source of commit
9a4eb45), so the bounded composer can be checked to give exactly the same posts.

Each case is a name and a function producing a JSON-able result; the recording keeps a SHA-256 of each
result (the texts themselves would make a large file), so a failing case is named, not shown.
Run this file to re-record (only ever on a tree whose output is known good).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from compose_corpus import CJK, POOLS, body, corpus, dispatch

from syndicate.compose.length import graphemes, measure
from syndicate.compose.plan import plan_dispatch
from syndicate.compose.teaser import shorten, truncate
from syndicate.model import PLATFORMS, Limits
from syndicate.settings import ComposeSettings

RECORDED = Path(__file__).with_name("compose_recorded.json")

Result = object


def _all(**kw: object) -> dict[str, ComposeSettings]:
    return {p: ComposeSettings(**kw) for p in PLATFORMS}  # type: ignore[arg-type]


VARIANTS: dict[str, tuple[dict[str, ComposeSettings], dict[str, Limits] | None]] = {
    "teaser": (_all(), None),
    "teaser-utm-short": (_all(utm=True, short_links=True, max_hashtags=5), {"mastodon": Limits(300, 30)}),
    "teaser-mastodon-5000": (_all(), {"mastodon": Limits(5000)}),
    "thread": (_all(mode="thread"), None),
    "thread-wide": (_all(mode="thread", numbering=False, max_parts=12, utm=True, short_links=True),
                    {"mastodon": Limits(1000)}),
    "thread-tight": (_all(mode="thread", max_parts=3, max_hashtags=5), {"mastodon": Limits(300, 30)}),
    "thread-whole": (_all(mode="thread", max_parts=100), {"mastodon": Limits(2000)}),
}


def _dispatches() -> dict[str, object]:
    out: dict[str, object] = dict(corpus())
    for lang in POOLS:
        text = body(lang, 1500, seed=3)
        joiner = "" if lang in CJK else " "
        one_para = joiner.join(text.split("\n\n"))
        # An RSS description that is the whole article: the teaser shortens several KB of sentences.
        out[f"summary-is-article-{lang}"] = dispatch(f"sa-{lang}", language=lang, summary=one_para, text=text)
        # A body written as one long paragraph (no blank lines): the thread splits it into sentences.
        out[f"one-paragraph-{lang}"] = dispatch(f"op-{lang}", language=lang, text=one_para)
        # A title that is a paragraph.
        out[f"title-is-paragraph-{lang}"] = dispatch(
            f"tp-{lang}", language=lang, title=joiner.join(text.split("\n\n")[:2]), summary=""
        )
    words = " ".join(f"word{i}" for i in range(1500))
    out["no-sentence-break"] = dispatch("nsb", summary=words, text=words)
    return out


def cases() -> Iterator[tuple[str, Callable[[], Result]]]:
    for name, d in _dispatches().items():
        for variant, (compose, limits) in VARIANTS.items():
            def plan(d: object = d, compose: dict[str, ComposeSettings] = compose,
                     limits: dict[str, Limits] | None = limits) -> Result:
                p = plan_dispatch(d, platforms=PLATFORMS, compose=compose, limits=limits)  # type: ignore[arg-type]
                return [[pp.platform, pp.skipped, [post.text for post in pp.posts]] for pp in p.platforms]
            yield f"plan/{name}/{variant}", plan
    for lang in POOLS:
        text = " ".join(body(lang, 400, seed=5).split("\n\n"))
        for limit in (40, 140, 300, 1000):
            yield f"shorten/{lang}/{limit}", lambda t=text, k=limit, lg=lang: shorten(
                t, lambda v: graphemes(v) <= k, language=lg)
            yield f"truncate/{lang}/{limit}", lambda t=text, k=limit: truncate(t, lambda v: graphemes(v) <= k)
            yield f"shorten-x/{lang}/{limit}", lambda t=text, k=limit, lg=lang: shorten(
                t, lambda v: measure("x", v).valid and len(v) <= k * 4, language=lg)


def digest(result: Result) -> str:
    return hashlib.sha256(json.dumps(result, ensure_ascii=False).encode()).hexdigest()


def main() -> None:
    recorded = {name: digest(make()) for name, make in cases()}
    RECORDED.write_text(json.dumps(recorded, indent=0, sort_keys=True) + "\n")
    print(f"recorded {len(recorded)} cases in {RECORDED}", file=sys.stderr)


if __name__ == "__main__":
    main()
