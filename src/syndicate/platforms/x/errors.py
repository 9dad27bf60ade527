"""The one place where X's answers become `syndicate.errors` and `RateInfo` (imported lazily: it imports tweepy).

    tweepy.TooManyRequests / 429     → RateLimited(until = reset epoch; 24 h reset if that cap is spent)
    tweepy.TwitterServerError / 5xx  → Transient
    timeouts, connection errors,
    malformed JSON                   → Transient (a POST may have landed: reconcile with find())
    tweepy.Unauthorized / 401        → AuthError naming the variable to fix
    402 CreditsDepleted,
    403 monthly spend cap reached    → PaymentRequired (X stops for the run, everything stays queued)
    403 duplicate content            → Duplicate
    403 reply not allowed (problem
    type not-authorized-for-resource,
    or either wording)               → ReplyRefused
    403 oauth1-permissions,
    403 client-forbidden             → AuthError (app permissions / project)
    other 4xx                        → Permanent, with the server's own reason

X's v2 errors are problem JSON (`title`, `detail`, `type`, sometimes an
`errors` array); some answers still use the legacy `{"errors":[{"code", "message"}]}`.
See docs/platforms.md §1.5 and §1.6. Messages never include credentials.

Rate-limit headers: X sends `x-rate-limit-limit|remaining|reset` (reset in Unix epoch
seconds) on every v2 answer, and sometimes 24-hour caps as `x-user-limit-24hour-*` and
`x-app-limit-24hour-*` (optional: absent on some pay-per-use accounts). X sends no
`Retry-After`. See docs/platforms.md §1.4.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
import tweepy

from syndicate.errors import (
    AuthError,
    Duplicate,
    PaymentRequired,
    Permanent,
    PlatformError,
    RateLimited,
    ReplyRefused,
    Transient,
)
from syndicate.platforms.base import RateInfo, header_int

__all__ = ["DEFAULT_BACKOFF", "HTTPStatusError", "blocked_until", "error_from_response", "parse_rate", "translate"]

PLATFORM = "x"
DUPLICATE_TEXT = "duplicate content"
# X's reply restriction (docs/platforms.md §1.6) has been worded two ways; the problem type
# names it too. Any of the three is the restriction.
REPLY_REFUSED_TEXTS = (
    "reply to this conversation is not allowed",  # Feb 2026 wording
    "you can only reply to or quote posts where you are mentioned or are the author",  # current wording
)
REPLY_REFUSED_TYPE = "/problems/not-authorized-for-resource"
CREDITS_TYPE = "/problems/credits"  # 402 CreditsDepleted (docs/platforms.md §1.1)
SPEND_CAP_TEXT = "spend cap"  # 403 "Monthly spend cap reached"
# When a 429 carries no reset header at all we still need a time to come back.
DEFAULT_BACKOFF = 60.0
TOP_UP_HINT = (
    "X stops for this run and everything stays queued; add credits or raise the spend cap in the "
    "X developer console, and the next run posts"
)


class HTTPStatusError(Exception):
    """A non-2xx answer to one of our own (non-tweepy) requests, e.g. media upload."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _body(response: requests.Response) -> Any:
    try:
        return json.loads(response.text) if response.text else None
    except ValueError:
        return None


def server_reason(response: requests.Response) -> tuple[str, str]:
    """(problem type, human-readable reason) from a problem-JSON or legacy error body."""
    body = _body(response)
    reasons: list[str] = []
    ptype = ""
    if isinstance(body, dict):
        ptype = str(body.get("type") or "")
        if body.get("detail"):
            reasons.append(str(body["detail"]))
        for err in body.get("errors") or []:
            if isinstance(err, dict):
                text = err.get("message") or err.get("detail")
                if text:
                    code = err.get("code")
                    reasons.append(f"{text} (code {code})" if code is not None else str(text))
                if not ptype and err.get("type"):
                    ptype = str(err["type"])
        if not reasons and body.get("title"):
            reasons.append(str(body["title"]))
    unique = list(dict.fromkeys(r.strip() for r in reasons if r.strip()))
    reason = "; ".join(unique) or (response.text[:200].strip() if response.text and body is None else "")
    return ptype, reason or (response.reason or "no reason given")


def error_from_response(
    response: requests.Response, action: str, *, auth_variable: str, auth_hint: str, now: float,
    oauth2_scopes: str | None = None,
) -> PlatformError:
    """Map one failed X answer to the most specific PlatformError."""
    status = response.status_code
    ptype, reason = server_reason(response)
    said = f"{action}: X answered {status} {response.reason or ''}".rstrip() + f": {reason}"
    lowered = reason.lower()
    body = _body(response)
    title = str(body.get("title") or "").lower() if isinstance(body, dict) else ""
    if status == 429:
        until = blocked_until(response.headers, now)
        kind = "usage cap reached" if ptype.endswith("/usage-capped") else "rate limited"
        return RateLimited(PLATFORM, f"{said} ({kind}; retry after epoch {until:.0f})", until=until, status=status)
    if status == 401:
        return AuthError(PLATFORM, f"{said}. {auth_hint}", variable=auth_variable, status=status)
    if status == 402 or ptype.endswith(CREDITS_TYPE) or (status == 403 and SPEND_CAP_TEXT in f"{title} {lowered}"):
        return PaymentRequired(PLATFORM, f"{said}. {TOP_UP_HINT}", status=status)
    if status == 403:
        if DUPLICATE_TEXT in lowered:
            return Duplicate(PLATFORM, said, status=status)
        if ptype.endswith(REPLY_REFUSED_TYPE) or any(text in lowered for text in REPLY_REFUSED_TEXTS):
            return ReplyRefused(PLATFORM, f"{said} (post the rest as a single teaser)", status=status)
        if ptype.endswith("/oauth1-permissions") or "oauth1 app permissions" in lowered:
            hint = (
                "Set the X app's permissions to 'Read and write' in the developer portal, then "
                "regenerate the access token and secret (a token keeps the permissions it was made with) "
                "and update SYNDICATE_X_ACCESS_TOKEN and SYNDICATE_X_ACCESS_TOKEN_SECRET."
            )
            return AuthError(PLATFORM, f"{said}. {hint}", variable="SYNDICATE_X_ACCESS_TOKEN", status=status)
        if oauth2_scopes and reason.strip().lower() == "forbidden":
            # A bare 403 to an OAuth 2 user token: the token lacks a scope this endpoint needs.
            hint = f"The OAuth 2 user token needs the scopes {oauth2_scopes}."
            return AuthError(PLATFORM, f"{said}. {hint}", variable=auth_variable, status=status)
        if ptype.endswith("/client-forbidden"):
            hint = "The X app must belong to a Project with access to this endpoint."
            return AuthError(PLATFORM, f"{said}. {hint}", variable="SYNDICATE_X_CONSUMER_KEY", status=status)
        return Permanent(PLATFORM, said, status=status)
    if status >= 500:
        return Transient(PLATFORM, said, status=status)
    return Permanent(PLATFORM, said, status=status)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


@contextmanager
def translate(
    action: str, *, auth_variable: str, auth_hint: str, clock: Callable[[], float],
    oauth2_scopes: str | None = None,
) -> Iterator[None]:
    """Run one X call; re-raise any failure as a PlatformError chained to the original."""
    try:
        yield
    except PlatformError:
        raise
    except tweepy.HTTPException as exc:
        raise error_from_response(
            exc.response, action, auth_variable=auth_variable, auth_hint=auth_hint, now=clock(),
            oauth2_scopes=oauth2_scopes,
        ) from exc
    except HTTPStatusError as exc:
        raise error_from_response(
            exc.response, action, auth_variable=auth_variable, auth_hint=auth_hint, now=clock(),
            oauth2_scopes=oauth2_scopes,
        ) from exc
    except requests.exceptions.JSONDecodeError as exc:
        # The answer arrived but could not be read; for a POST the write may have happened.
        raise Transient(PLATFORM, f"{action}: X sent a malformed JSON answer ({_short(exc)})") from exc
    except requests.Timeout as exc:
        raise Transient(
            PLATFORM, f"{action}: X did not answer in time ({_short(exc)}); a post may still have landed"
        ) from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise Transient(PLATFORM, f"{action}: could not reach X ({_short(exc)})") from exc
    except requests.RequestException as exc:  # bad URL and the like: retrying will not help
        raise Permanent(PLATFORM, f"{action}: request to X failed ({_short(exc)})") from exc
    except tweepy.TweepyException as exc:
        raise Permanent(PLATFORM, f"{action}: {_short(exc)}") from exc


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
