"""The shared vocabulary: what a feed gives us, what we plan to post, what a platform gave back.

Everything here is a frozen dataclass with no behaviour beyond small helpers, so
that the pipeline stages (watch → compose → outbox → deliver) can pass values
around without sharing state. JSON (de)serialisation of plans lives in
`jsonplan.py`, beside this module, so the outbox and `dry-run --format json` agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from syndicate.settings import PLATFORMS as PLATFORMS  # defined with the settings: config loads no model

# How each network is named to people (messages, status, previews): the one table of them.
PLATFORM_NAMES: dict[str, str] = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}


def account_label(account: str, platform: str) -> str:
    """How an account is named in messages: "X" for the default [x] account (as before accounts
    existed), "Bluesky ana-bsky" for another."""
    name = PLATFORM_NAMES.get(platform, platform)
    return name if account in ("", platform) else f"{name} {account}"


@dataclass(frozen=True)
class Image:
    """An image that goes with a dispatch: where it lives and what it shows (alt text)."""

    url: str
    alt: str = ""  # the type is not kept: feeds declare "image/jpg" and worse, so the fetched bytes decide it


@dataclass(frozen=True)
class Dispatch:
    """One feed entry, normalised. `id` is stable across runs; `url` is canonical."""

    id: str
    feed: str  # the feed's name from the config (or its URL)
    feed_url: str
    url: str  # canonical: tracking parameters removed, fragment dropped
    title: str
    text: str  # plain text of the body; paragraphs separated by "\n\n"
    summary: str  # plain text; the lede when the feed has no summary
    tags: tuple[str, ...] = ()
    language: str | None = None  # BCP-47 as the feed gives it, e.g. "en", "pt-BR"
    author: str | None = None
    published: datetime | None = None  # UTC, timezone-aware
    image: Image | None = None


@dataclass(frozen=True)
class Facet:
    """A Bluesky rich-text facet: UTF-8 byte range [byte_start, byte_end) of the post text.

    kind is "link" (value = URI), "tag" (value = tag without '#') or "mention"
    (value = handle; the publisher resolves it to a DID).
    """

    kind: str
    byte_start: int
    byte_end: int
    value: str


@dataclass(frozen=True)
class Card:
    """A link card (Bluesky `app.bsky.embed.external`), from the page's Open Graph tags."""

    uri: str
    title: str
    description: str
    image_url: str | None = None  # og:image (or the feed's image); fetched and re-encoded when posting


@dataclass(frozen=True)
class Post:
    """One post as it will be sent: its text, and its length by the platform's own rule."""

    text: str
    length: int
    limit: int
    facets: tuple[Facet, ...] = ()  # Bluesky only
    card: Card | None = None  # Bluesky only (X and Mastodon build cards server-side)
    images: tuple[Image, ...] = ()
    language: str | None = None
    spoiler_text: str | None = None  # Mastodon content warning (counts toward its length)


@dataclass(frozen=True)
class Lint:
    """A warning about a dispatch. A blocking one holds the dispatch until `syndicate release`."""

    code: str
    message: str
    blocking: bool = False


@dataclass(frozen=True)
class PlatformPlan:
    """What goes to one account on a platform: a teaser (one post) or a thread (several), or why nothing."""

    platform: str
    posts: tuple[Post, ...] = ()
    skipped: str | None = None  # reason, when this platform gets nothing
    account: str | None = None  # the account it goes to; None: the platform's default account

    @property
    def name(self) -> str:
        """The account's name (the default accounts are named like their platform)."""
        return self.account or self.platform


@dataclass(frozen=True)
class DispatchPlan:
    """Everything `run` would send for one dispatch; what `dry-run` shows."""

    dispatch: Dispatch
    platforms: tuple[PlatformPlan, ...]
    warnings: tuple[Lint, ...] = ()

    def platform(self, name: str) -> PlatformPlan | None:
        return next((p for p in self.platforms if p.name == name), None)

    @property
    def blocked(self) -> bool:
        return any(w.blocking for w in self.warnings)


@dataclass(frozen=True)
class Receipt:
    """What a platform gave back for one published post."""

    platform: str
    id: str  # X tweet id, Mastodon status id, Bluesky record key
    url: str  # the post on the web
    uri: str | None = None  # Bluesky at:// URI
    cid: str | None = None  # Bluesky record CID
    dropped: tuple[str, ...] = ()  # images the post went out without, one line each (media.Dropped.line)


@dataclass(frozen=True)
class ReplyTo:
    """Where a thread part hangs: the thread's first post and the post just before."""

    root: Receipt
    parent: Receipt


@dataclass(frozen=True)
class Limits:
    """A platform account's limits as the server reports them (Mastodon: per instance)."""

    max_characters: int
    characters_reserved_per_url: int = 23
    max_media_attachments: int = 4
    description_limit: int = 1500
    image_size_limit: int | None = None
    extra: dict[str, int] = field(default_factory=dict)
