"""Read back from Mastodon: counts of our statuses, and the replies under them (issue 12).

API facts (../shared/docs/platforms-engagement.md §1, §2, §5):

* Counts: `GET /api/v1/statuses?id[]=…` (Mastodon 4.3.0+), at most 20 ids a call (more → 422:
  server code `DEFAULT_STATUSES_LIMIT`; Mastodon.py's `statuses()` does not chunk, so we do).
  Statuses the server no longer has are just left out. Older servers have no such route (404):
  then one `GET /api/v1/statuses/:id` each. We try the batch first rather than read the version
  string: forks (glitch-soc, Hometown) report versions of their own, and a 404 settles it in one
  call, remembered for the rest of the reader's life.
* `quotes_count` exists from 4.5.0: absent on older servers, so None there (not 0).
* Replies: `GET /api/v1/statuses/:id/context` of a thread's first status: every descendant,
  our own thread parts left out. With our token it is not cut at 60 descendants (unauthenticated
  calls are). HTML content becomes plain text with the same converter the feeds use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syndicate.model import Receipt
from syndicate.platforms.base import Counts, RemoteReply
from syndicate.platforms.mastodon.errors import PLATFORM, SCOPE_READ_STATUSES
from syndicate.watch.htmltext import html_to_text

if TYPE_CHECKING:
    from syndicate.netguard import FetchPolicy
    from syndicate.platforms.mastodon.publisher import MastodonPublisher
    from syndicate.settings import Account
    from syndicate.store import Store

__all__ = ["BATCH", "MastodonReader", "open_reader"]

BATCH = 20


class MastodonReader:
    """Implements `syndicate.platforms.base.Reader` on a publisher's client (same token, same errors)."""

    name = PLATFORM
    batch = BATCH
    replies_supported = True

    def __init__(self, publisher: MastodonPublisher) -> None:
        self._publisher = publisher
        self._batch_route: bool | None = None  # None: not tried yet; False: the server has no batch route
        self.calls = 0

    def read_counts(self, posts: Sequence[Receipt]) -> dict[str, Counts]:
        out: dict[str, Counts] = {}
        ids = list(dict.fromkeys(p.id for p in posts))
        for start in range(0, len(ids), BATCH):
            for status in self._statuses(ids[start:start + BATCH]):
                out[str(status["id"])] = counts(status)
        return out

    def read_replies(self, post: Receipt, ours: frozenset[str]) -> list[RemoteReply]:
        with self._publisher._calls(f"reading the replies to status {post.id}", SCOPE_READ_STATUSES) as api:
            self.calls += 1
            context = api.status_context(post.id)
        out = []
        for status in context.get("descendants") or []:
            if str(status["id"]) in ours:
                continue
            account = status.get("account") or {}
            out.append(RemoteReply(
                remote_id=str(status["id"]), parent_id=str(status.get("in_reply_to_id") or post.id),
                author=f"@{account.get('acct') or account.get('username') or '?'}",
                text=html_to_text(status.get("content") or ""),
                url=status.get("url") or status.get("uri"), created_at=_time(status.get("created_at")),
            ))
        return out

    def _statuses(self, ids: list[str]) -> list[Mapping[str, Any]]:
        from mastodon.errors import MastodonNotFoundError

        if self._batch_route is not False:
            with self._publisher._calls(f"reading {len(ids)} statuses", SCOPE_READ_STATUSES) as api:
                try:
                    self.calls += 1
                    found = list(api.statuses(ids))
                    self._batch_route = True
                    return found
                except MastodonNotFoundError:
                    if self._batch_route:  # the route answered before: this 404 is not about the route
                        raise
                    self._batch_route = False  # Mastodon < 4.3: no batch route
        found = []
        for status_id in ids:
            with self._publisher._calls(f"reading status {status_id}", SCOPE_READ_STATUSES) as api:
                try:
                    self.calls += 1
                    found.append(api.status(status_id))
                except MastodonNotFoundError:
                    continue  # deleted since: left out, as the batch route does
        return found


def counts(status: Mapping[str, Any]) -> Counts:
    def figure(key: str) -> int | None:
        value = status.get(key)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    return Counts(likes=figure("favourites_count"), reposts=figure("reblogs_count"),
                  replies=figure("replies_count"), quotes=figure("quotes_count"))


def _time(value: Any) -> float | None:
    if isinstance(value, datetime):  # Mastodon.py parses created_at
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def open_reader(account: Account, environ: Mapping[str, str], store: Store,
                policy: FetchPolicy) -> MastodonReader:
    """The `ReaderOpener` (platforms/base.py): the account's own token, as it posts (`read:statuses`
    is among its scopes), on its own instance."""
    from syndicate.platforms.mastodon.publisher import open_publisher

    return MastodonReader(open_publisher(account, environ, store, policy))
