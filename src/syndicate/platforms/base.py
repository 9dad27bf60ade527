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
is reconciled instead of resent. Only the engine calls `find()`, before any resend
(delivery/engine.py): `publish()` never looks a post up itself, so a resend costs one lookup.
A retraction deletes posts the same way: `delete()` once, and `exists()` before any resend;
a correction edits one (Mastodon) with `edit()` once, and `source_text()` before any resend.

Opening: each network's package (`platforms/x`, `platforms/bluesky`, `platforms/mastodon`)
exports `open_publisher(account, environ, store, policy)` (the `Opener` below): it reads the
account's secrets with `platforms.secrets.read_secret` (`secret_variable` names them), backs
what the adapter keeps between runs (Bluesky's session, a Mastodon instance's limits) with the
state store, and fetches post
images under `policy`. `delivery/publishers.py` picks the package by network name.

Reading back (issue 12): each package also exports `open_reader(account, environ, store, policy)`
(the `ReaderOpener` below, the same shape as `open_publisher`), a `Reader` for the engagement of
the posts that account made (`read_counts`, in the network's own batches) and the replies under
them (`read_replies`), with that account's settings and secrets. Readers never post; they share
each package's client setup and error translation with its publisher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from syndicate.model import Limits, Post, Receipt, ReplyTo

if TYPE_CHECKING:
    from syndicate.netguard import FetchPolicy
    from syndicate.settings import Account
    from syndicate.store import Store


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


@dataclass(frozen=True)
class RateInfo:
    """The rate-limit state the platform reported with its last answer. Resets are UTC epoch seconds.

    `limit/remaining/reset` are the endpoint's window (X: 15 min; Bluesky: `ratelimit-*`;
    Mastodon: `X-RateLimit-*`). `day_*` is X's binding 24-hour cap (user or app, whichever
    has fewer left), when X sends one; None on the other networks.
    """

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    day_limit: int | None = None
    day_remaining: int | None = None
    day_reset: float | None = None


class Publisher(Protocol):
    """One platform account we post to."""

    name: str  # "x" | "bluesky" | "mastodon"

    @property
    def last_rate(self) -> RateInfo | None:
        """The quota reported with the last posting answer (None: none seen); the engine paces by it."""
        ...

    def publish(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt:
        """Send one post. Raises a `PlatformError` subclass on failure."""
        ...

    def find(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt | None:
        """Look for a post an earlier attempt may have made. None: it did not land.

        Raises `Unknown` when that cannot be told (then the part is held, not resent).
        """
        ...

    def delete(self, target: Receipt) -> None:
        """Delete a post this account made (`target`: its receipt as stored). A post that is
        already gone counts as deleted: no error. Raises a `PlatformError` subclass otherwise."""
        ...

    def exists(self, target: Receipt) -> bool:
        """Whether a post this account made is still there: the lookup before a delete that may
        have landed is sent again. Raises `Unknown` when that cannot be told."""
        ...

    def edit(self, target: Receipt, post: Post) -> Receipt:
        """Replace the text of a post this account made with `post.text`, keeping its media and
        content warning (a correction, `[corrections] updates = "edit"`). Only Mastodon edits;
        the others raise `Permanent` (their corrections are replies: README, "Corrections")."""
        ...

    def source_text(self, target: Receipt) -> str | None:
        """The post's current text as written (None: it is gone): the lookup before an edit that
        may have landed is sent again. Raises `Unknown` when that cannot be told."""
        ...

    def check(self) -> AccountInfo:
        """One cheap authenticated read: who are we, and what are our limits."""
        ...

    def limits(self) -> Limits:
        """The account's limits for the composer (Mastodon: the instance's)."""
        ...


class Opener(Protocol):
    """Each network package's `open_publisher`: raises AuthError naming the variable when a secret is missing."""

    def __call__(self, account: Account, environ: Mapping[str, str], store: Store,
                 policy: FetchPolicy) -> Publisher: ...


@dataclass(frozen=True)
class Counts:
    """One reading of a post's engagement. None: the network does not report that figure."""

    likes: int | None
    reposts: int | None
    replies: int | None
    quotes: int | None


@dataclass(frozen=True)
class RemoteReply:
    """A reply under one of our posts, as read: the text is plain (HTML already made text)."""

    remote_id: str  # the reply's own id on its network (Bluesky: its at:// URI)
    parent_id: str  # the id (Bluesky: URI) of the post it answers
    author: str  # handle, e.g. "@bob@example.social", "bob.bsky.social"
    text: str
    url: str | None
    created_at: float | None  # unix time


class Reader(Protocol):
    """Reads back what followers did with the posts one account made."""

    name: str  # "x" | "bluesky" | "mastodon"
    calls: int  # API calls made so far (the bench and the batching tests count them)
    batch: int  # the most posts one counts call takes (Mastodon 20, Bluesky 25, X 100)
    replies_supported: bool  # False: read_replies is never called (X: too costly, see its reader)

    def read_counts(self, posts: Sequence[Receipt]) -> dict[str, Counts]:
        """Counts of each post, keyed by its receipt id, in batches of at most `batch`. A post the
        network no longer has (deleted, hidden) is simply absent. Raises a `PlatformError`."""
        ...

    def read_replies(self, post: Receipt, ours: frozenset[str]) -> list[RemoteReply]:
        """Replies anywhere under `post` (a thread's first part), leaving out our own posts
        (`ours`: their ids, or URIs on Bluesky). Raises a `PlatformError`."""
        ...


class ReaderOpener(Protocol):
    """Each network package's `open_reader`: raises AuthError naming the variable when a secret is missing."""

    def __call__(self, account: Account, environ: Mapping[str, str], store: Store,
                 policy: FetchPolicy) -> Reader: ...


def header_int(headers: Mapping[str, Any], name: str) -> int | None:
    """A rate-limit header as an integer; None when absent or garbled (no information, not a crash)."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
