"""X rate-limit headers: what they say, and until when a 429 blocks us.

X sends `x-rate-limit-limit|remaining|reset` (reset in Unix epoch seconds) on
every v2 answer, and sometimes 24-hour caps as `x-user-limit-24hour-*` and
`x-app-limit-24hour-*` (optional: absent on some pay-per-use accounts). X sends
no `Retry-After`. See docs/platforms.md §1.4. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syndicate.platforms.base import header_int

__all__ = ["DEFAULT_BACKOFF", "RateInfo", "blocked_until", "parse_rate"]

# When a 429 carries no reset header at all we still need a time to come back.
DEFAULT_BACKOFF = 60.0


@dataclass(frozen=True)
class RateInfo:
    """The rate-limit state one answer reported. Resets are UTC epoch seconds.

    `limit/remaining/reset` are the endpoint's window (15 min on X);
    `day_*` the binding 24-hour cap (user or app, whichever has fewer left), when sent.
    """

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    day_limit: int | None = None
    day_remaining: int | None = None
    day_reset: float | None = None




def parse_rate(headers: Mapping[str, str]) -> RateInfo | None:
    """Read X's rate headers (case-insensitive mapping expected, e.g. requests' headers)."""
    limit = header_int(headers, "x-rate-limit-limit")
    remaining = header_int(headers, "x-rate-limit-remaining")
    reset = header_int(headers, "x-rate-limit-reset")
    days = []
    for scope in ("user", "app"):
        d_remaining = header_int(headers, f"x-{scope}-limit-24hour-remaining")
        if d_remaining is not None:
            d_limit = header_int(headers, f"x-{scope}-limit-24hour-limit")
            d_reset = header_int(headers, f"x-{scope}-limit-24hour-reset")
            days.append((d_remaining, d_limit, d_reset))
    if limit is None and remaining is None and reset is None and not days:
        return None
    day_remaining, day_limit, day_reset = min(days, key=lambda d: d[0]) if days else (None, None, None)
    return RateInfo(
        limit=limit,
        remaining=remaining,
        reset=float(reset) if reset is not None else None,
        day_limit=day_limit,
        day_remaining=day_remaining,
        day_reset=float(day_reset) if day_reset is not None else None,
    )


def blocked_until(headers: Mapping[str, str], now: float) -> float:
    """When a 429 with these headers lets us try again (UTC epoch seconds).

    An exhausted 24-hour cap wins over the 15-minute window: waiting for the
    window reset would only earn another 429. Without any reset header we back
    off DEFAULT_BACKOFF seconds.
    """
    candidates: list[float] = []
    for scope in ("user", "app"):
        if header_int(headers, f"x-{scope}-limit-24hour-remaining") == 0:
            reset = header_int(headers, f"x-{scope}-limit-24hour-reset")
            if reset is not None:
                candidates.append(float(reset))
    window_reset = header_int(headers, "x-rate-limit-reset")
    if window_reset is not None and (not candidates or header_int(headers, "x-rate-limit-remaining") == 0):
        candidates.append(float(window_reset))
    return max(candidates) if candidates else now + DEFAULT_BACKOFF
