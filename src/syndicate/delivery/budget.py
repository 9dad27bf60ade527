"""What X bills for our posts, the month the `monthly_budget` covers, and the app-wide cap.

Since April 2026 X bills each created post: `price_post` (0.015 by default),
or `price_post_with_link` (0.20) when the text carries a URL as X detects
them (twitter-text: with a scheme, `www.`, or a bare domain; not an IP
address). See docs/platforms.md §1.1. Failed requests are not billed.
A delete (`DELETE /2/tweets/:id`, "Content: Manage") costs X_PRICE_DELETE
(../shared/docs/platforms-engagement.md §4: pricing.mdx and the docs' sliders.js).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from syndicate.settings import XSettings

X_PRICE_DELETE = 0.005  # per DELETE /2/tweets/:id request (a retraction), since April 2026


def x_cost(text: str, settings: XSettings) -> float:
    """What X bills for one post with this text (prices from the account's table)."""
    from syndicate.compose.length import (
        x_urls,  # twitter-text's own extractor (lazy: only when posting to X)
    )

    return settings.price_post_with_link if x_urls(text) else settings.price_post


def month_start(now: float) -> float:
    """The start (UTC) of the calendar month `now` falls in: the budget's period."""
    d = datetime.fromtimestamp(now, UTC)
    return datetime(d.year, d.month, 1, tzinfo=UTC).timestamp()


class AppBudget:
    """`[x] app_monthly_budget`: one cap over every X account's spend (X bills the app, not the user).

    X accounts are delivered side by side (one worker thread each), so "does this fit?" and the
    spend it allows must not interleave: a worker `reserve`s a dispatch's cost under the lock
    (what is recorded in the outbox plus what other workers hold), `settle`s each part's cost
    under the same lock as it records it, and `release`s what it held but did not spend.
    """

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self._held = 0.0

    def reserve(self, cost: float, spent: Callable[[], float]) -> float | None:
        """Hold `cost` when it fits: None. Otherwise what the app has spent and others hold (nothing held)."""
        if self.limit is None:
            return None
        with self.lock:
            total = spent() + self._held
            if total + cost <= self.limit + 1e-9:
                self._held += cost
                return None
            return total

    def settle(self, amount: float) -> None:
        """`amount` of a reservation is now recorded in the outbox (call with `lock` held)."""
        self._held = max(self._held - amount, 0.0)

    def release(self, amount: float) -> None:
        with self.lock:
            self.settle(amount)
