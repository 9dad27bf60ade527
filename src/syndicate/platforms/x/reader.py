"""Read back from X: counts of our posts (issue 12). Off unless `[x] stats = true`.

`GET /2/tweets?ids=…&tweet.fields=public_metrics` (at most 100 ids: the OpenAPI `maxItems`),
through the publisher's own tweepy client (same credentials, same error translation). Reads
are billed: $0.005 per post returned (`[x] price_read`), so the caller (audience/collect.py)
hands over only as many posts as the monthly budget still covers. X bills a post once per UTC
day ("soft guarantee"); we count every read, which can only overstate the spend.

`public_metrics`: `like_count`, `retweet_count` (prose docs, tweepy) or `repost_count` (the
OpenAPI spec since 2026-08: which one the live API sends is not verified; both are accepted),
`reply_count`, `quote_count` (../shared/docs/platforms-engagement.md §1).

Replies are not read on X: the only routes are search (7 days, $0.005 per post returned) or
mentions (an Owned Read only when the user owns the app): a cost a journalist did not opt
into for counts. `replies_supported` is False, and `stats --replies` says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from syndicate.model import Receipt
from syndicate.platforms.base import Counts, RemoteReply

if TYPE_CHECKING:
    from syndicate.netguard import FetchPolicy
    from syndicate.platforms.x.publisher import XPublisher
    from syndicate.settings import Account
    from syndicate.store import Store

__all__ = ["BATCH", "XReader", "open_reader"]

BATCH = 100


class XReader:
    """Implements `syndicate.platforms.base.Reader` on a publisher's tweepy client."""

    name = "x"
    batch = BATCH
    replies_supported = False

    def __init__(self, publisher: XPublisher) -> None:
        self._publisher = publisher
        self.calls = 0

    def read_counts(self, posts: Sequence[Receipt]) -> dict[str, Counts]:
        ids = list(dict.fromkeys(p.id for p in posts))
        out: dict[str, Counts] = {}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            with self._publisher._translate(f"read the metrics of {len(chunk)} posts"):
                self.calls += 1
                response = self._publisher._client.get_tweets(
                    chunk, tweet_fields=["public_metrics"], user_auth=self._publisher._user_auth)
            for tweet in response.data or []:
                out[str(tweet.id)] = counts(tweet.data.get("public_metrics") or {})
        return out

    def read_replies(self, post: Receipt, ours: frozenset[str]) -> list[RemoteReply]:
        return []  # not read on X (see the module docstring)


def counts(metrics: Mapping[str, Any]) -> Counts:
    def figure(*keys: str) -> int | None:
        for key in keys:
            value = metrics.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    return Counts(likes=figure("like_count"), reposts=figure("retweet_count", "repost_count"),
                  replies=figure("reply_count"), quotes=figure("quote_count"))


def open_reader(account: Account, environ: Mapping[str, str], store: Store, policy: FetchPolicy) -> XReader:
    """The `ReaderOpener` (platforms/base.py): the account's posting credentials read its metrics too
    (its `[x]` / `[[accounts]]` table: `api_base`, `timeout`; `stats` and `price_read` are the caller's)."""
    from syndicate.platforms.x.publisher import open_publisher

    return XReader(open_publisher(account, environ, store, policy))
