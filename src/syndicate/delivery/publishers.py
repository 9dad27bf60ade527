"""Open the publisher for an account: its network package's `open_publisher` (platforms/base.py, `Opener`).

Each package reads its account's secrets from the environment, and backs what it keeps
between runs (the Bluesky session, a Mastodon instance's limits) with the state store.
Post images come from feed content: the configured feeds' hosts and `[fetch] allow_private`
are the only non-public places they may be fetched from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from syndicate.platforms import network
from syndicate.platforms.base import Opener, Publisher
from syndicate.settings import Account, Settings
from syndicate.store import Store


def open_publisher(account: Account | str, settings: Settings, store: Store,
                   environ: Mapping[str, str] | None = None) -> Publisher:
    """The publisher of one account (or the account named so). Raises AuthError (naming the
    variable) when a credential is missing."""
    from syndicate.netguard import FetchPolicy

    if isinstance(account, str):
        found = settings.account(account)
        if found is None:
            raise ValueError(f"unknown account {account!r}")
        account = found
    opener: Opener = network(account.platform).open_publisher
    policy = FetchPolicy.for_feeds(settings.feed_urls(), settings.fetch.allow_private)
    return opener(account, os.environ if environ is None else environ, store, policy)

