"""When a feed is next due: its own interval, stretched while it is quiet, never before the server asks.

The rule (config.example.toml and the README say it to users):

* `interval` (per feed; default 0: every run) is the least time between two fetches;
* a feed that has brought nothing new for a while is polled less often, the way feed readers
  schedule by update frequency: the wait is a quarter of how long the feed has been quiet
  (quiet for 1 h: every 15 min; for 4 h or more: every hour), in whole minutes (cron's grain:
  no backoff before 4 quiet minutes), never less than `interval`, never
  more than `[fetch] max_interval` (default 1 h; `interval` wins when it is longer). The first
  new entry brings it back to `interval`. A feed whose last fetch failed keeps its `interval`
  (no backoff), so a fixed feed is read again soon;
* never sooner than the server asked: `Cache-Control: max-age` (less `Age`) or `Expires`
  (`no-cache`/`no-store`: no floor), RSS `<ttl>`, `Retry-After` on a 429 or 503. Each is capped
  at SERVER_DELAY_CAP, so a hostile or broken header cannot silence a feed for a year.

What a fetch asked for is stored as `feeds.not_before` (an absolute time, already capped), with
the time of the feed's last change (`feeds.changed_at`); `due_at` recomputes the rest from the
config, so a changed `interval` applies at the next run. Everything is committed with the feed's
validators (`outbox.accept_feed`): a run killed before that commit leaves the feed due.
"""

from __future__ import annotations

from syndicate.settings import FeedSettings, FetchSettings
from syndicate.store import FeedState

SERVER_DELAY_CAP = 24 * 3600.0  # seconds: the longest wait a server's header can impose
QUIET_FRACTION = 0.25  # the backoff wait, as a share of how long the feed has been quiet


def server_floor(now: float, *asked: float | None) -> float | None:
    """The time before which the server asked us not to fetch (the longest of what it asked,
    capped at SERVER_DELAY_CAP from `now`); None when it asked nothing."""
    longest = max((a for a in asked if a), default=None)
    return now + min(longest, SERVER_DELAY_CAP) if longest else None


def wait_after(feed: FeedSettings, fetch: FetchSettings, state: FeedState) -> float:
    """Seconds after the last fetch before the next one, by our own schedule (server floor aside)."""
    if state.last_error is not None or state.last_fetch_at is None:
        return feed.interval
    quiet = max(state.last_fetch_at - (state.changed_at if state.changed_at is not None else state.last_fetch_at),
                0.0)
    backoff = (quiet * QUIET_FRACTION) // 60 * 60
    return min(max(backoff, feed.interval), max(feed.interval, fetch.max_interval))


def due_at(feed: FeedSettings, fetch: FetchSettings, state: FeedState | None) -> float | None:
    """When the feed is next due (unix time); None: due now (never fetched)."""
    if state is None or state.last_fetch_at is None:
        return None
    ours = state.last_fetch_at + wait_after(feed, fetch, state)
    return max(ours, state.not_before or 0.0)


def is_due(feed: FeedSettings, fetch: FetchSettings, state: FeedState | None, now: float) -> bool:
    when = due_at(feed, fetch, state)
    return when is None or when <= now
