"""Platform adapters: one package per network, laid out alike, behind `platforms.base.Publisher`.

    base.py      the protocol every adapter implements (publish, find, check, limits, last_rate:
                 one RateInfo) and the `Opener` contract each package's `open_publisher` follows
    secrets.py   the one secret reader: VAR, or the file VAR_FILE names
    media.py     images for posts: fetched under the fetch rules, re-encoded under a cap; alt-text trim
    tid.py       Bluesky record keys, chosen by the outbox before the first attempt
    x/ bluesky/ mastodon/
                 publisher.py (the Publisher and its open_publisher), errors.py (SDK errors and
                 rate headers → syndicate.errors and RateInfo), and what only that network has:
                 x/client.py (the session tweepy posts through, media upload), bluesky/records.py
                 (the post record), mastodon/limits.py (the instance's own limits)
"""

from __future__ import annotations

from types import ModuleType


def network(platform: str) -> ModuleType:
    """The adapter package of `platform` (its `open_publisher`, `open_reader`), imported here and
    only the one asked for: a run with nothing to post or read loads no SDK."""
    if platform == "x":
        from syndicate.platforms import x
        return x
    if platform == "bluesky":
        from syndicate.platforms import bluesky
        return bluesky
    if platform == "mastodon":
        from syndicate.platforms import mastodon
        return mastodon
    raise ValueError(f"unknown platform {platform!r}")
