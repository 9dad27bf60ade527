"""X (Twitter), API v2 on tweepy: `publisher.py` (the Publisher), `errors.py` (failures and rate
headers → syndicate.errors and RateInfo), `client.py` (the session tweepy posts through, media upload).

Importing this package is cheap: tweepy and requests load when a publisher is built.
"""

from syndicate.platforms.x.publisher import (
    ENV_ACCESS_TOKEN,
    ENV_ACCESS_TOKEN_SECRET,
    ENV_CONSUMER_KEY,
    ENV_CONSUMER_SECRET,
    ENV_OAUTH2_TOKEN,
    MAX_CHARACTERS,
    MEDIA_METADATA,
    MEDIA_UPLOAD,
    OAUTH2_SCOPES,
    TWEET,
    TWEETS,
    USER_TWEETS,
    USERS_ME,
    XCredentials,
    XPublisher,
    comparable_text,
    open_publisher,
)
from syndicate.platforms.x.reader import open_reader

__all__ = [
    "ENV_ACCESS_TOKEN",
    "ENV_ACCESS_TOKEN_SECRET",
    "ENV_CONSUMER_KEY",
    "ENV_CONSUMER_SECRET",
    "ENV_OAUTH2_TOKEN",
    "MAX_CHARACTERS",
    "MEDIA_METADATA",
    "MEDIA_UPLOAD",
    "OAUTH2_SCOPES",
    "TWEET",
    "TWEETS",
    "USERS_ME",
    "USER_TWEETS",
    "XCredentials",
    "XPublisher",
    "comparable_text",
    "open_publisher",
    "open_reader",
]
