"""Bench: publish 30 dispatches through a tight rate limit without running into it.

Against the fake X API and the fake Mastodon instance (tests/fakes), each
configured to allow LIMIT posts per WINDOW seconds and sending the platform's
real rate-limit headers (X: `x-rate-limit-*`, epoch seconds, windows that
start at the first request after a reset; Mastodon: `X-RateLimit-*` with an
ISO 8601 reset, windows aligned to the epoch, plus the `Date` header that
Mastodon.py uses to correct for clock skew), one delivery run publishes N
teasers with the real publishers (tweepy, Mastodon.py) and the real delivery
engine (`deliver.deliver_due`).

Reported per platform, as medians over REPEATS runs:
  429s      answers with status 429 the server sent (aim: 0)
  total     seconds from the start of the run to the last post's answer
  minimum   the earliest the N-th post could be accepted under the server's own
            window rule, with zero client latency (simulated on the same clock)
  over      total / minimum - 1 (aim: within 10 %)

Run:  /work/venv/bin/python bench/bench_delivery.py [--posts 30] [--limit 5] [--window 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.mastodon_api import API_STATUSES, FakeMastodon  # noqa: E402
from fakes.x_api import XApiFake  # noqa: E402

from syndicate.delivery import outbox  # noqa: E402
from syndicate.delivery.engine import deliver_due  # noqa: E402
from syndicate.model import Dispatch, DispatchPlan, PlatformPlan, Post  # noqa: E402
from syndicate.settings import DeliverySettings, MastodonSettings, Settings, XSettings  # noqa: E402
from syndicate.store import Store  # noqa: E402

TOKEN = "bench-mastodon-token"


class CountingX(XApiFake):
    """The X fake, counting the 429s it answers."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.too_many = 0

    def before(self, request: Any) -> Any:
        early = super().before(request)
        if early is not None and early.status == 429:
            self.too_many += 1
        return early


def plans(n: int, platform: str, run: int) -> list[DispatchPlan]:
    out = []
    for i in range(1, n + 1):
        text = f"Bench dispatch {run}-{i:03d}: the river, the council and the bridge."
        d = Dispatch(id=f"bench-{run}-{i:03d}", feed="bench", feed_url="bench", url=f"https://example.org/{i}",
                     title=text, text=text, summary=text, published=datetime(2026, 11, 2, tzinfo=UTC))
        out.append(DispatchPlan(d, (PlatformPlan(platform, (Post(text, len(text), 500),)),)))
    return out


def settings(tmp: Path, platform: str, base_url: str, posts: int) -> Settings:
    delivery = DeliverySettings(max_run_seconds=300, max_posts_per_run=posts)
    if platform == "x":
        return Settings(path=None, state_path=tmp / "state.db", feeds=(), delivery=delivery,
                        x=XSettings(enabled=True, api_base=base_url, handle="bench"))
    return Settings(path=None, state_path=tmp / "state.db", feeds=(), delivery=delivery,
                    mastodon=MastodonSettings(enabled=True, instance=base_url))


def minimum_x(t0: float, first_reset: int, n: int, limit: int, window: float) -> float:
    """The X fake's rule: a window ends at its reset; the first request after it opens the next,
    with reset = int(now + window). Posting at every opportunity, when is the n-th accepted?"""
    t, reset, left = t0, first_reset, limit
    for _ in range(n - 1):
        left -= 1
        if left == 0:
            t, left = max(t, reset), limit
            reset = int(t + window)
    return t - t0


def minimum_mastodon(t0: float, n: int, limit: int, window: float) -> float:
    """The Mastodon fake's rule: fixed windows aligned to the epoch."""
    batches = math.ceil(n / limit)
    return (math.floor(t0 / window) + batches - 1) * window - t0 if batches > 1 else 0.0


def run_once(platform: str, posts: int, limit: int, window: float, run: int) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        fake: Any
        if platform == "x":
            fake = CountingX(clock=time.time)
        else:
            fake = FakeMastodon(token=TOKEN, statuses_limit=limit, statuses_period=window)
        with fake:
            s = settings(tmp, platform, fake.base_url, posts)
            store = Store.open(s.state_path)
            for plan in plans(posts, platform, run):
                outbox.accept(store, plan)
            pub = _publisher(platform, s)
            t0 = time.time()
            if platform == "x":
                fake.set_limit("POST /2/tweets", limit, window=window)
                first_reset = fake._buckets["POST /2/tweets"].reset
            deliver_due(s, store, publishers={platform: pub})
            total = time.time() - t0
            sent = [p for p in store.conn.execute("SELECT state FROM parts").fetchall() if p[0] == "sent"]
            store.close()
            if platform == "x":
                too_many, stored = fake.too_many, len(fake.tweets)
                minimum = minimum_x(t0, first_reset, posts, limit, window)
            else:
                too_many = sum(1 for r in fake.requests_to("POST", API_STATUSES) if r.status == 429)
                stored = len(fake.statuses)
                minimum = minimum_mastodon(t0, posts, limit, window)
        if stored != posts or len(sent) != posts:
            raise SystemExit(f"{platform}: {stored} posts stored, {len(sent)} marked sent; expected {posts}")
        return too_many, total, minimum


def _publisher(platform: str, s: Settings) -> Any:
    if platform == "x":
        from syndicate.platforms.x import XCredentials, XPublisher

        return XPublisher(s.x, XCredentials("fake-consumer-key", "fake-consumer-secret",
                                            "1500000000000000001-fakeaccesstoken", "fake-access-token-secret"))
    from syndicate.platforms.mastodon import MastodonPublisher

    return MastodonPublisher(s.mastodon, TOKEN)


def _median(results: list[tuple[float, ...]], i: int) -> float:
    return statistics.median(r[i] for r in results)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=30)
    ap.add_argument("--limit", type=int, default=5, help="posts allowed per window")
    ap.add_argument("--window", type=float, default=3.0, help="window length, seconds")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--platforms", default="x,mastodon")
    args = ap.parse_args(argv)
    rows: list[tuple[str, ...]] = []
    for platform in args.platforms.split(","):
        results = [run_once(platform, args.posts, args.limit, args.window, r) for r in range(args.repeats)]
        med = partial(_median, results)
        overs = [r[1] / r[2] - 1 if r[2] > 0 else float("nan") for r in results]
        rows.append((platform, str(args.posts), f"{args.limit}/{args.window:g}s", f"{med(0):g}",
                     f"{med(1):.2f}", f"{med(2):.2f}", f"{statistics.median(overs) * 100:+.1f}%",
                     " ".join(f"{o * 100:+.0f}%" for o in overs)))
    head = ("platform", "posts", "limit", "429s", "total s", "minimum s", "over", "each repeat")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
