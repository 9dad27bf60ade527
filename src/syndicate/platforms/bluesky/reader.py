"""Read back from Bluesky: counts of our posts, and the replies under them (issue 12).

A PDS has no AppView of its own: counts and threads come from `[bluesky] appview` (default
`https://public.api.bsky.app`, which takes no login), through atproto's own client pointed at
that base URL. API facts (../shared/docs/platforms-engagement.md §1, §2):

* `app.bsky.feed.getPosts`: at most 25 URIs a call (`getPosts.json` maxLength). The AppView drops
  deleted or blocked posts silently. `likeCount`, `repostCount`, `replyCount`, `quoteCount` are
  optional in the lexicon and the SDK's models default them to None: kept as None (not reported),
  not 0.
* `app.bsky.feed.getPostThread?uri=&depth=`: the thread's tree of replies (`threadViewPost`,
  `notFoundPost`, `blockedPost`). Not `unspecced.getPostThreadV2`, whose lexicon says it will change.
* The AppView is eventually consistent: a post minutes old may be missing; it is read next time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syndicate.model import Receipt
from syndicate.platforms.base import Counts, RemoteReply
from syndicate.platforms.bluesky.errors import translate
from syndicate.platforms.bluesky.records import post_url
from syndicate.settings import BlueskySettings

if TYPE_CHECKING:
    from atproto import Client

    from syndicate.netguard import FetchPolicy
    from syndicate.settings import Account
    from syndicate.store import Store

__all__ = ["BATCH", "BlueskyReader", "open_reader"]

BATCH = 25
THREAD_DEPTH = 20  # replies to replies, deep enough for a conversation; the lexicon allows up to 1000


class BlueskyReader:
    """Implements `syndicate.platforms.base.Reader` on the AppView (no login)."""

    name = "bluesky"
    batch = BATCH
    replies_supported = True

    def __init__(self, settings: BlueskySettings) -> None:
        self.settings = settings
        self.appview = settings.appview.rstrip("/")
        self._client: Client | None = None
        self.calls = 0

    def read_counts(self, posts: Sequence[Receipt]) -> dict[str, Counts]:
        by_uri = {p.uri: p.id for p in posts if p.uri}
        uris = list(by_uri)
        out: dict[str, Counts] = {}
        for start in range(0, len(uris), BATCH):
            chunk = uris[start:start + BATCH]
            with translate(f"read {len(chunk)} posts at {self.appview}", timeout=self.settings.timeout):
                self.calls += 1
                found = self._connect().app.bsky.feed.get_posts({"uris": chunk})
            for view in found.posts:
                if view.uri in by_uri:
                    out[by_uri[view.uri]] = Counts(likes=view.like_count, reposts=view.repost_count,
                                                   replies=view.reply_count, quotes=view.quote_count)
        return out

    def read_replies(self, post: Receipt, ours: frozenset[str]) -> list[RemoteReply]:
        if not post.uri:
            return []
        with translate(f"read the replies to {post.uri} at {self.appview}", timeout=self.settings.timeout):
            self.calls += 1
            answer = self._connect().app.bsky.feed.get_post_thread(
                {"uri": post.uri, "depth": THREAD_DEPTH, "parent_height": 0})
        out: list[RemoteReply] = []
        _walk(answer.thread, ours, out)
        return out

    def _connect(self) -> Client:
        if self._client is None:
            from atproto import Client  # lazy: only when something is read
            from atproto_client.request import Request

            self._client = Client(base_url=self.appview, request=Request(timeout=self.settings.timeout))
        return self._client


def _walk(node: Any, ours: frozenset[str], out: list[RemoteReply]) -> None:
    """Depth first through `threadViewPost.replies`; notFound/blocked posts have no `post` and are skipped."""
    for child in getattr(node, "replies", None) or []:
        view = getattr(child, "post", None)
        if view is None:
            continue
        if view.uri not in ours:
            out.append(_reply(view))
        _walk(child, ours, out)


def _reply(view: Any) -> RemoteReply:
    record = view.record
    reply = getattr(record, "reply", None)
    parent = reply.parent.uri if reply is not None else ""
    handle = view.author.handle
    return RemoteReply(remote_id=view.uri, parent_id=parent, author=handle, text=getattr(record, "text", "") or "",
                       url=post_url(handle, view.uri.rsplit("/", 1)[-1]),
                       created_at=_time(getattr(record, "created_at", None)))


def _time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def open_reader(account: Account, environ: Mapping[str, str], store: Store, policy: FetchPolicy) -> BlueskyReader:
    """The `ReaderOpener` (platforms/base.py): the account's own `appview` (its `[[accounts]]` key,
    else the default); the AppView needs no credentials, so `environ` and `store` are unused."""
    settings = account.settings
    assert isinstance(settings, BlueskySettings)
    return BlueskyReader(settings)
