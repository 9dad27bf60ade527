"""Every error syndicate raises on purpose, in one tree.

    SyndicateError
    ├── ConfigError(path, key)          a bad config file or value: exit 2
    ├── FeedError(url)                  a feed could not be fetched or parsed
    ├── StoreError                      the state file is unusable (or newer than us)
    └── PlatformError(platform)         a platform said no; what to do about it:
        ├── Transient                   retry soon (5xx, timeout, connection reset)
        ├── RateLimited(until)          wait until `until` (UTC epoch seconds)
        ├── Duplicate(existing)         already posted; `existing` is the post when known
        ├── Permanent                   this post will never be accepted; says why
        │   └── ReplyRefused            X refused a reply: the teaser stands alone
        ├── AuthError(variable)         the platform refuses this account for now (credentials wrong or
        │   │                           revoked, a scope missing): it stops for this run, nothing is marked
        │   └── PaymentRequired         X's pay-per-use credits are used up or its monthly spend cap is
        │                               reached: same stop; the run after a top-up posts
        └── Unknown                     the outcome cannot be known: hold, don't resend

Adapters in `platforms/` translate SDK errors into these at the boundary,
chaining the original with `raise ... from exc`. Messages never contain secrets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndicate.model import Receipt


class SyndicateError(Exception):
    """Base of every error syndicate raises on purpose."""


class ConfigError(SyndicateError):
    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ": ".join(p for p in (path, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class FeedError(SyndicateError):
    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.reason = message
        super().__init__(f"{url}: {message}")


class StoreError(SyndicateError):
    pass


class PlatformError(SyndicateError):
    def __init__(self, platform: str, message: str, *, status: int | None = None) -> None:
        self.platform = platform
        self.reason = message
        self.status = status
        super().__init__(f"{platform}: {message}")


class Transient(PlatformError):
    pass


class RateLimited(PlatformError):
    def __init__(
        self, platform: str, message: str, *, until: float, status: int | None = 429
    ) -> None:
        super().__init__(platform, message, status=status)
        self.until = until  # UTC epoch seconds


class Duplicate(PlatformError):
    def __init__(
        self, platform: str, message: str, *, existing: Receipt | None = None, status: int | None = None
    ) -> None:
        super().__init__(platform, message, status=status)
        self.existing = existing


class Permanent(PlatformError):
    pass


class ReplyRefused(Permanent):
    """X refused a reply (self-serve reply restriction): post the rest as a single teaser."""


class AuthError(PlatformError):
    def __init__(
        self, platform: str, message: str, *, variable: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(platform, message, status=status)
        self.variable = variable


class PaymentRequired(AuthError):
    """X answered 402 CreditsDepleted or 403 "spend cap reached" (docs/platforms.md §1.1).

    An AuthError because the handling is the same: nothing for that platform can
    succeed until a person acts, and no part is to blame (none is marked failed).
    Its own class so the message says "top up", not "check the credentials".
    """


class Unknown(PlatformError):
    pass
