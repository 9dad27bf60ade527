"""Bluesky (any atproto PDS), on the `atproto` SDK: `publisher.py` (the Publisher and its session
store), `errors.py` (failures and rate headers → syndicate.errors and RateInfo), `records.py`
(a Post as an `app.bsky.feed.post` record). Record keys are TIDs (platforms/tid.py).

Importing this package is cheap: atproto loads when the first call is made.
"""

from syndicate.platforms.bluesky.errors import APP_PASSWORD_VAR
from syndicate.platforms.bluesky.publisher import (
    BlueskyPublisher,
    MemorySessions,
    SessionStore,
    StoreSessions,
    app_password_from_env,
    open_publisher,
)
from syndicate.platforms.bluesky.reader import open_reader

__all__ = [
    "APP_PASSWORD_VAR",
    "BlueskyPublisher",
    "MemorySessions",
    "SessionStore",
    "StoreSessions",
    "app_password_from_env",
    "open_publisher",
    "open_reader",
]
