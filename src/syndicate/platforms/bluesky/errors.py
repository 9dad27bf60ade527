"""Bluesky (atproto SDK) errors and rate-limit headers → syndicate's error vocabulary and RateInfo.

All translation happens in `translate()`, one context manager the publisher
wraps around every SDK call. Facts it relies on (docs/platforms.md §6.14,
docs/bluesky-pds.md):

* `str(e)` is empty for the SDK's errors: status, `error` and `message` are in
  `e.response` (`status_code`, `content.error`, `content.message`, lower-case
  `headers`); `e.response` is None for transport failures.
* 401/403 → `UnauthorizedError`; 400 → `BadRequestError`; 429 →
  `RateLimitExceededError` (a `RequestException`); 409/413/502 and transport
  failures → `NetworkError`; timeouts → `InvokeTimeoutError`; other 5xx →
  `RequestException`. Some httpx errors (e.g. `RemoteProtocolError`) escape raw.
* Rate limits: `ratelimit-limit|remaining|reset|policy`, reset in epoch seconds,
  plus `retry-after` (seconds) on a 429. A second createRecord at the same rkey
  is a 500 "Internal Server Error", not a 409.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from syndicate.errors import AuthError, Permanent, PlatformError, RateLimited, Transient
from syndicate.platforms.base import RateInfo, header_int

__all__ = [
    "APP_PASSWORD_VAR",
    "DEFAULT_BACKOFF",
    "error_of",
    "is_session_problem",
    "parse_rate",
    "translate",
]

PLATFORM = "bluesky"
APP_PASSWORD_VAR = "SYNDICATE_BLUESKY_APP_PASSWORD"
# A 429 with neither ratelimit-reset nor retry-after still needs a time to come back.
DEFAULT_BACKOFF = 60.0
# 400s that mean "this session is no good", not "this request is wrong".
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})


def parse_rate(headers: Mapping[str, Any]) -> RateInfo | None:
    """Read `ratelimit-*` headers (a lower-case or case-insensitive mapping); None when the server has limits off."""
    limit, remaining, reset = (header_int(headers, f"ratelimit-{n}") for n in ("limit", "remaining", "reset"))
    if limit is None and remaining is None and reset is None:
        return None
    return RateInfo(limit, remaining, float(reset) if reset is not None else None)


def error_of(exc: BaseException) -> tuple[int | None, str, str]:
    """(HTTP status, XRPC error name, message) of an SDK error; status None for transport failures."""
    response = getattr(exc, "response", None)
    if response is None:
        return None, "", ""
    content = response.content
    error = getattr(content, "error", None)
    message = getattr(content, "message", None)
    if error is None and isinstance(content, dict):
        error, message = content.get("error"), content.get("message")
    return int(response.status_code), str(error or ""), str(message or "")


def is_session_problem(exc: BaseException) -> bool:
    """True when a call failed because the (stored) session is expired, revoked or missing."""
    from atproto_client.exceptions import LoginRequiredError, UnauthorizedError

    if isinstance(exc, LoginRequiredError | UnauthorizedError):
        return True
    status, error, _ = error_of(exc)
    return status == 400 and error in SESSION_ERRORS


def _describe(status: int | None, error: str, message: str) -> str:
    parts = [str(status)] if status is not None else []
    if error:
        parts.append(f"{error}:" if message else error)
    if message:
        parts.append(message)
    return " ".join(parts) or "no details"


def _rate_limited(action: str, exc: BaseException, now: float) -> RateLimited:
    status, error, message = error_of(exc)
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    reset = header_int(headers, "ratelimit-reset")
    retry_after = header_int(headers, "retry-after")
    if reset is not None and reset > now:
        until = float(reset)
    elif retry_after is not None:
        until = now + max(retry_after, 0)
    else:
        until = now + DEFAULT_BACKOFF
    return RateLimited(PLATFORM, f"{action}: rate limited ({_describe(status, error, message)})", until=until)


@contextmanager
def translate(action: str, *, timeout: float, clock: Callable[[], float] = time.time) -> Iterator[None]:
    """Turn whatever the SDK (or httpx under it) raises into a PlatformError, chaining the original."""
    import httpx
    from atproto_client.exceptions import (
        BadRequestError,
        InvokeTimeoutError,
        LoginRequiredError,
        NetworkError,
        RateLimitExceededError,
        RequestErrorBase,
        UnauthorizedError,
    )
    from atproto_core.exceptions import AtProtocolError

    try:
        yield
    except PlatformError:
        raise
    except InvokeTimeoutError as exc:
        raise Transient(PLATFORM, f"{action}: no answer within {timeout:g} s") from exc
    except RateLimitExceededError as exc:
        raise _rate_limited(action, exc, clock()) from exc
    except LoginRequiredError as exc:
        raise AuthError(PLATFORM, f"{action}: not logged in; check {APP_PASSWORD_VAR}",
                        variable=APP_PASSWORD_VAR) from exc
    except RequestErrorBase as exc:
        status, error, message = error_of(exc)
        what = _describe(status, error, message)
        if status is None:  # transport failure: no answer at all
            cause = exc.__cause__ or exc.__context__
            kind = type(cause).__name__ if cause else "unknown"
            raise Transient(PLATFORM, f"{action}: network error ({kind})") from exc
        if isinstance(exc, UnauthorizedError) or (isinstance(exc, BadRequestError) and error in SESSION_ERRORS):
            raise AuthError(PLATFORM, f"{action}: credentials refused ({what}); check {APP_PASSWORD_VAR}",
                            variable=APP_PASSWORD_VAR, status=status) from exc
        if isinstance(exc, NetworkError) and status in (409, 413):
            raise Permanent(PLATFORM, f"{action}: {what}", status=status) from exc
        if status >= 500 or isinstance(exc, NetworkError):
            raise Transient(PLATFORM, f"{action}: server error {what}", status=status) from exc
        raise Permanent(PLATFORM, f"{action}: refused: {what}", status=status) from exc
    except httpx.TransportError as exc:  # e.g. RemoteProtocolError: the SDK lets these through raw
        raise Transient(PLATFORM, f"{action}: network error ({type(exc).__name__})") from exc
    except AtProtocolError as exc:  # e.g. a response the SDK could not parse
        raise Transient(PLATFORM, f"{action}: unexpected answer ({type(exc).__name__})") from exc
