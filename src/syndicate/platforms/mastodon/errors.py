"""Mastodon.py errors and rate-limit headers → syndicate's error vocabulary and RateInfo.

`translate` is the one place a Mastodon.py error becomes a syndicate error; the publisher
wraps every call in it. A 403 "outside the authorized scopes" names the scope the call
needed. The client is built with `ratelimit_method="throw"` (the library never sleeps),
so a 429 becomes `RateLimited(until)` and the delivery engine decides whether to wait.
https://docs.joinmastodon.org/api/rate-limits/ · docs/platforms.md §3 (in this repository).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from syndicate.errors import AuthError, Permanent, PlatformError, RateLimited, Transient
from syndicate.platforms.base import RateInfo

if TYPE_CHECKING:
    from mastodon import Mastodon

__all__ = ["SCOPES", "TOKEN_FILE_VARIABLE", "TOKEN_VARIABLE", "rate_info", "redact", "translate"]

PLATFORM = "mastodon"
TOKEN_VARIABLE = "SYNDICATE_MASTODON_ACCESS_TOKEN"
TOKEN_FILE_VARIABLE = f"{TOKEN_VARIABLE}_FILE"
RATE_FALLBACK_SECONDS = 60.0  # a 429 without a usable reset time
# OAuth scopes per call (docs.joinmastodon.org/methods/statuses/, /methods/media/, /methods/accounts/).
SCOPE_POST = "write:statuses"
SCOPE_MEDIA = "write:media"
SCOPE_ACCOUNT = "read:accounts"
SCOPE_READ_STATUSES = "read:statuses"
SCOPES = f"{SCOPE_POST} {SCOPE_MEDIA} {SCOPE_ACCOUNT} {SCOPE_READ_STATUSES}"
OUTSIDE_SCOPES = "outside the authorized scopes"  # the server's 403 body for a missing scope
_NOT_PROCESSED = "not finished processing"  # the 422 for media still being processed: retry, not give up


def rate_info(api: Mastodon) -> RateInfo:
    """The X-RateLimit-* numbers of the client's last call; `reset` is epoch seconds (None: already passed)."""
    return RateInfo(limit=api.ratelimit_limit, remaining=api.ratelimit_remaining, reset=api.ratelimit_reset)


def redact(text: str, token: str) -> str:
    # Real tokens are ~43 characters; replacing a toy one ("t") would mangle every word.
    return text.replace(token, "[redacted]") if len(token) >= 8 else text


def translate(exc: Exception, what: str, scope: str | None = None, *, instance: str, token: str,
              reset: float | None, clock: Callable[[], float]) -> PlatformError:
    """The syndicate error for a Mastodon.py error raised while doing `what` (with the call's `scope`).

    `reset` is the client's last X-RateLimit-Reset; the token is redacted from every message.
    """
    from mastodon import errors as me

    status = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
    server = exc.args[3] if len(exc.args) > 3 and isinstance(exc.args[3], str) else None
    said = redact(f"{what}: {server or (exc.args[2] if status else '')}".rstrip(": "), token)
    if isinstance(exc, me.MastodonRatelimitError) or status == 429:
        until = reset if reset is not None else clock() + RATE_FALLBACK_SECONDS
        when = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return RateLimited(PLATFORM, f"{what}: rate limited by {instance} until {when}", until=until)
    if isinstance(exc, me.MastodonNetworkError):  # connection errors and read timeouts
        return Transient(PLATFORM, redact(f"{what}: {exc}", token))
    # Mastodon.py drops the error text of list endpoints (it casts the body to the list type it
    # expected), so a 403 without text on a scoped call is read as the scope's absence too.
    if status == 403 and scope and (server is None or OUTSIDE_SCOPES in server):
        return AuthError(PLATFORM, f"{said}: the token in {TOKEN_VARIABLE} lacks the {scope} scope "
                                   f"(make one with {SCOPES})", variable=TOKEN_VARIABLE, status=status)
    if status in (401, 403):
        return AuthError(PLATFORM, f"{said} (is the token in {TOKEN_VARIABLE} valid, with the scopes "
                                   f"{SCOPES}?)", variable=TOKEN_VARIABLE, status=status)
    if status is not None and status >= 500:
        return Transient(PLATFORM, said, status=status)
    if status == 422 and server and _NOT_PROCESSED in server:
        return Transient(PLATFORM, said, status=status)
    if status is not None:  # 404 (reply parent gone), 422 (too long, invalid), other 4xx
        return Permanent(PLATFORM, said, status=status)
    if isinstance(exc, me.MastodonAPIError):  # a 2xx whose body is not JSON: the write may have landed
        return Transient(PLATFORM, f"{what}: {instance} answered with a body that is not JSON")
    if isinstance(exc, (me.MastodonIllegalArgumentError, me.MastodonVersionError, me.MastodonIOError)):
        return Permanent(PLATFORM, redact(f"{what}: {exc}", token))
    return Transient(PLATFORM, f"{what}: {type(exc).__name__}")
