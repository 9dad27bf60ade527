"""Mastodon, on Mastodon.py: `publisher.py` (the Publisher), `errors.py` (failures and rate
headers → syndicate.errors and RateInfo), `limits.py` (the instance's own limits, kept between runs).

Importing this package is cheap: Mastodon.py loads on the first network call.
"""

from syndicate.platforms.mastodon.errors import SCOPES, TOKEN_FILE_VARIABLE, TOKEN_VARIABLE
from syndicate.platforms.mastodon.limits import LimitsCache, MemoryLimitsCache, StoreLimits, limits_from_instance
from syndicate.platforms.mastodon.publisher import MastodonPublisher, access_token_from_env, iso639_1, open_publisher
from syndicate.platforms.mastodon.reader import open_reader

__all__ = [
    "SCOPES",
    "TOKEN_FILE_VARIABLE",
    "TOKEN_VARIABLE",
    "LimitsCache",
    "MastodonPublisher",
    "MemoryLimitsCache",
    "StoreLimits",
    "access_token_from_env",
    "iso639_1",
    "limits_from_instance",
    "open_publisher",
    "open_reader",
]
