"""Reading back from Bluesky (issue 12) on the reference PDS, through a stand-in AppView that serves
getPosts and getPostThread from the PDS's own records (tests/fakes/appview.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from atproto import Client, models
from bsky_support import PublisherFactory, identity
from fakes.appview import GET_POST_THREAD, GET_POSTS, FakeAppView
from pds.harness import PdsHandle

from syndicate.model import Post, Receipt
from syndicate.platforms.base import Counts
from syndicate.platforms.bluesky.reader import BlueskyReader
from syndicate.settings import BlueskySettings


@pytest.fixture
def appview(pds: PdsHandle) -> Iterator[FakeAppView]:
    with FakeAppView(pds.url, {a.did: a.handle for a in pds.accounts.values()}) as server:
        yield server


def _reader(appview: FakeAppView) -> BlueskyReader:
    return BlueskyReader(BlueskySettings(enabled=True, appview=appview.base_url, timeout=10))


def _post(text: str) -> Post:
    return Post(text=text, length=len(text), limit=300)


def test_counts_in_batches_of_25_exactly_as_served(make_publisher: PublisherFactory, appview: FakeAppView) -> None:
    publisher = make_publisher("dave")
    receipts = [publisher.publish(_post(f"count me {i}"), identity=identity(dispatch=f"c{i}")) for i in range(27)]
    appview.set_counts(receipts[5].uri or "", likes=9, reposts=4, quotes=2)
    reader = _reader(appview)
    counts = reader.read_counts(receipts)
    assert counts[receipts[5].id] == Counts(likes=9, reposts=4, replies=0, quotes=2)
    assert counts[receipts[0].id] == Counts(likes=0, reposts=0, replies=0, quotes=0)
    assert len(counts) == 27
    assert len(appview.calls("GET", GET_POSTS)) == math.ceil(27 / 25) == reader.calls
    appview.set_counts(receipts[5].uri or "", likes=11)
    assert reader.read_counts([receipts[5]])[receipts[5].id].likes == 11


def test_counts_the_appview_leaves_out_are_none(make_publisher: PublisherFactory, appview: FakeAppView) -> None:
    receipt = make_publisher("dave").publish(_post("no counts"), identity=identity(dispatch="n1"))
    appview.omit_counts()
    assert _reader(appview).read_counts([receipt])[receipt.id] == Counts(None, None, None, None)


def test_replies_from_the_thread_without_our_own_parts(pds: PdsHandle, make_publisher: PublisherFactory,
                                                       appview: FakeAppView) -> None:
    publisher = make_publisher("alice")
    root = publisher.publish(_post("thread 1/2"), identity=identity(dispatch="t1"))
    ref = models.ComAtprotoRepoStrongRef.Main(uri=root.uri or "", cid=root.cid or "")
    bob = Client(base_url=pds.url)
    bob.login(pds.accounts["bob"].handle, pds.accounts["bob"].password)
    tip = bob.send_post("<b>a tip</b> <script>alert(1)</script>",
                        reply_to=models.AppBskyFeedPost.ReplyRef(root=ref, parent=ref))
    reader = _reader(appview)
    replies = reader.read_replies(root, frozenset({root.uri or ""}))
    assert [(r.remote_id, r.parent_id, r.author) for r in replies] == [(tip.uri, root.uri, pds.accounts["bob"].handle)]
    assert replies[0].text == "<b>a tip</b> <script>alert(1)</script>"  # plain text, as typed
    assert replies[0].url == f"https://bsky.app/profile/{pds.accounts['bob'].handle}/post/{tip.uri.rsplit('/', 1)[1]}"
    assert len(appview.calls("GET", GET_POST_THREAD)) == 1
    assert reader.read_counts([root])[root.id].replies == 1


def test_a_post_without_uri_is_not_read(appview: FakeAppView) -> None:
    assert _reader(appview).read_replies(Receipt("bluesky", "r", ""), frozenset()) == []
