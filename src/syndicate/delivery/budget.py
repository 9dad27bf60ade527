"""What X bills for our posts, and the month the `[x] monthly_budget` covers.

Since April 2026 X bills each created post: `price_post` (0.015 by default),
or `price_post_with_link` (0.20) when the text carries a URL as X detects
them (twitter-text: with a scheme, `www.`, or a bare domain; not an IP
address). See docs/platforms.md §1.1. Failed requests are not billed.
A delete (`DELETE /2/tweets/:id`, "Content: Manage") costs X_PRICE_DELETE
(../shared/docs/platforms-engagement.md §4: pricing.mdx and the docs' sliders.js).
"""

from __future__ import annotations

from datetime import UTC, datetime

from syndicate.settings import Settings

X_PRICE_DELETE = 0.005  # per DELETE /2/tweets/:id request (a retraction), since April 2026


def x_cost(text: str, settings: Settings) -> float:
    """What X bills for one post with this text."""
    from syndicate.compose.length import (
        x_urls,  # twitter-text's own extractor (lazy: only when posting to X)
    )

    return settings.x.price_post_with_link if x_urls(text) else settings.x.price_post


def month_start(now: float) -> float:
    """The start (UTC) of the calendar month `now` falls in: the budget's period."""
    d = datetime.fromtimestamp(now, UTC)
    return datetime(d.year, d.month, 1, tzinfo=UTC).timestamp()
