"""Build the publisher for a platform from the settings, the environment and the state store.

The state store backs what publishers keep between runs: the Bluesky session
(so cron runs don't log in each time) and a Mastodon instance's limits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from syndicate.model import Limits
from syndicate.platforms.base import Publisher
from syndicate.settings import Settings
from syndicate.store import Store


class StoreSessions:
    """Bluesky's SessionStore on the state file."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, key: str) -> str | None:
        return self.store.load_session(key)

    def save(self, key: str, session: str) -> None:
        self.store.save_session(key, session)


class StoreLimits:
    """Mastodon's LimitsCache on the state file (so dry-run and the composer see the instance's limits)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, instance: str) -> Limits | None:
        raw = self.store.load_limits("mastodon", instance)
        return Limits(**raw) if raw else None

    def put(self, instance: str, limits: Limits) -> None:
        if not self.store.readonly:
            self.store.save_limits("mastodon", instance, asdict(limits))


def open_publisher(platform: str, settings: Settings, store: Store,
                   environ: Mapping[str, str] | None = None) -> Publisher:
    """Raises AuthError (naming the variable) when a credential is missing."""
    from functools import partial

    from syndicate.netguard import FetchPolicy

    env: Mapping[str, Any] = os.environ if environ is None else environ
    # Post images come from feed content: the configured feeds' hosts and [fetch] allow_private
    # are the only non-public places they may be fetched from.
    policy = FetchPolicy.for_feeds(settings.feed_urls(), settings.fetch.allow_private)
    if platform == "x":
        from syndicate.platforms._x_media import default_fetch_image as x_fetch
        from syndicate.platforms.x import XCredentials, XPublisher

        return XPublisher(settings.x, XCredentials.from_env(env),
                          fetch_image=partial(x_fetch, timeout=settings.x.timeout, policy=policy))
    if platform == "bluesky":
        from syndicate.platforms._bsky_media import default_fetch_image as bsky_fetch
        from syndicate.platforms.bluesky import BlueskyPublisher, app_password_from_env

        return BlueskyPublisher(settings.bluesky, app_password_from_env(env), sessions=StoreSessions(store),
                                fetch_image=partial(bsky_fetch, timeout=settings.bluesky.timeout, policy=policy))
    if platform == "mastodon":
        from syndicate.platforms.mastodon import (
            MastodonPublisher,
            access_token_from_env,
            fetch_image_httpx,
        )

        return MastodonPublisher(settings.mastodon, access_token_from_env(env), limits_cache=StoreLimits(store),
                                 fetch_image=partial(fetch_image_httpx, timeout=settings.mastodon.timeout,
                                                     policy=policy))
    raise ValueError(f"unknown platform {platform!r}")
