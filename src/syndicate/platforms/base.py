"""The one small interface every platform adapter implements.

An adapter turns a `Post` into one API call on the platform's official client
library, and every failure into an error from `syndicate.errors`
(Transient, RateLimited, Duplicate, Permanent, AuthError, Unknown). Nothing
above `platforms/` imports tweepy, atproto or Mastodon.py; adapters import
them lazily, inside their constructors, so a run with nothing to post stays
fast.

Idempotency: every post part has a stable identity chosen *before* the first
attempt and stored in the outbox: `key` (used as Mastodon's Idempotency-Key)
and `rkey` (the Bluesky record key, a TID). `find()` answers "did an earlier
attempt with this identity already land?" so a crashed or timed-out attempt
is reconciled instead of resent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from syndicate.model import Limits, Post, Receipt, ReplyTo


@dataclass(frozen=True)
class PartIdentity:
    """The stable identity of one post part: (dispatch, platform, part)."""

    dispatch_id: str
    part: int  # 1-based position in the thread
    key: str  # deterministic: sha256 of dispatch id, platform and part; Mastodon Idempotency-Key
    rkey: str | None = None  # Bluesky record key (TID), chosen once and stored


@dataclass(frozen=True)
class AccountInfo:
    """What `syndicate check` prints: who we post as and the limits found."""

    platform: str
    handle: str  # e.g. "@alice", "alice.bsky.social", "@alice@example.social"
    display_name: str | None = None
    limits: Limits | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "stored session reused"


class Publisher(Protocol):
    """One platform account we post to."""

    name: str  # "x" | "bluesky" | "mastodon"

    def publish(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt:
        """Send one post. Raises a `PlatformError` subclass on failure."""
        ...

    def find(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt | None:
        """Look for a post an earlier attempt may have made. None: it did not land.

        Raises `Unknown` when that cannot be told (then the part is held, not resent).
        """
        ...

    def check(self) -> AccountInfo:
        """One cheap authenticated read: who are we, and what are our limits."""
        ...

    def limits(self) -> Limits:
        """The account's limits for the composer (Mastodon: the instance's)."""
        ...


def header_int(headers: Mapping[str, Any], name: str) -> int | None:
    """A rate-limit header as an integer; None when absent or garbled (no information, not a crash)."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
