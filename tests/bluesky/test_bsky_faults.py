"""Exactly once on Bluesky: retries at the same record key, 5xx, timeouts after the write, refusals."""

from __future__ import annotations

import pytest
from bsky_support import PublisherFactory, get_record, identity, list_rkeys
from pds.harness import PdsHandle

from syndicate.errors import Permanent, Transient
from syndicate.model import Post
from syndicate.platforms.base import PartIdentity

CREATE = "com.atproto.repo.createRecord"


def post(text: str = "exactly once") -> Post:
    return Post(text, len(text), 300)


def count_at(pds: PdsHandle, rkey: str) -> int:
    rkeys: list[str] = list_rkeys(pds, pds.accounts["alice"].did)
    return rkeys.count(rkey)


def test_retry_at_the_same_rkey_after_it_landed_cannot_post_twice(pds: PdsHandle,
                                                                    make_publisher: PublisherFactory) -> None:
    pub = make_publisher()
    ident = identity()
    first = pub.publish(post(), identity=ident)

    # e.g. the next cron run, unsure whether it landed: the PDS refuses a second write at the key
    # with a 500 (not a 409). Transient: the engine looks the key up (find) before any resend.
    with pytest.raises(Transient) as caught:
        make_publisher().publish(post(), identity=ident)
    assert caught.value.status == 500
    assert make_publisher().find(post(), identity=ident) == first
    assert count_at(pds, ident.rkey or "") == 1


def test_find_answers_whether_a_part_landed(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher()
    ident = identity()
    assert pub.find(post(), identity=ident) is None
    receipt = pub.publish(post(), identity=ident)
    assert pub.find(post(), identity=ident) == receipt


def test_identity_without_a_record_key_is_refused_before_any_call(make_publisher: PublisherFactory) -> None:
    with pytest.raises(ValueError, match="record key"):
        make_publisher().publish(post(), identity=PartIdentity("d", 1, "k", rkey=None))


def test_5xx_before_the_write_is_transient_and_nothing_landed(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher()
    ident = identity()
    pub.check()  # logged in before the fault is armed
    pds.inject(CREATE, "status", status=503, error="ServiceUnavailable", message="try later")
    with pytest.raises(Transient) as caught:
        pub.publish(post(), identity=ident)
    assert caught.value.status == 503
    assert "ServiceUnavailable: try later" in caught.value.reason
    assert pub.find(post(), identity=ident) is None

    again = pub.publish(post(), identity=ident)  # the retry at the same key
    assert count_at(pds, again.id) == 1


@pytest.mark.parametrize("status", [500, 502])
def test_5xx_after_the_write_landed_is_transient_and_find_sees_the_post(
    pds: PdsHandle, make_publisher: PublisherFactory, status: int
) -> None:
    # The adapter does not look the key up itself (issue 10): the engine's find() settles it, once.
    pub = make_publisher()
    ident = identity()
    pub.check()
    lookups = pds.call_count("com.atproto.repo.getRecord")
    pds.inject(CREATE, "after", status=status, error="UpstreamFailure", message="bad gateway")
    with pytest.raises(Transient) as caught:
        pub.publish(post(), identity=ident)
    assert caught.value.status == status
    assert pds.call_count("com.atproto.repo.getRecord") == lookups  # no lookup inside publish
    found = pub.find(post(), identity=ident)
    stored = get_record(pds, pds.accounts["alice"].did, ident.rkey or "")
    assert found is not None and (found.id, found.uri, found.cid) == (ident.rkey, stored["uri"], stored["cid"])
    assert count_at(pds, ident.rkey or "") == 1


def test_store_then_stall_past_the_timeout_yields_exactly_one_post(
    pds: PdsHandle, make_publisher: PublisherFactory
) -> None:
    ident = identity()
    make_publisher().check()  # the shared session store holds a fresh login
    impatient = make_publisher(timeout=2.0)
    pds.inject(CREATE, "stall", stall_seconds=20)
    before = pds.call_count(CREATE)

    with pytest.raises(Transient):  # times out; the record is there
        impatient.publish(post(), identity=ident)
    assert pds.call_count(CREATE) == before + 1
    receipt = make_publisher().find(post(), identity=ident)  # what the engine does before a resend
    assert receipt is not None and receipt.id == ident.rkey

    with pytest.raises(Transient):  # a later retry at the same key cannot post twice
        make_publisher().publish(post(), identity=ident)
    assert count_at(pds, receipt.id) == 1


def test_timeout_before_the_write_is_transient(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    make_publisher().check()
    impatient = make_publisher(timeout=2.0)
    ident = identity()
    pds.inject(CREATE, "hang", stall_seconds=20)  # never forwarded: nothing lands
    with pytest.raises(Transient) as caught:
        impatient.publish(post(), identity=ident)
    assert "no answer within 2 s" in caught.value.reason
    assert count_at(pds, ident.rkey or "") == 0
    assert make_publisher().publish(post(), identity=ident).id == ident.rkey  # the retry posts it once
    assert count_at(pds, ident.rkey or "") == 1


def test_301_graphemes_is_permanent_with_the_servers_message(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher()
    with pytest.raises(Permanent) as caught:
        pub.publish(Post("👍🏽" * 301, 301, 300), identity=identity())
    assert caught.value.status == 400
    assert "grapheme too big (maximum 300, got 301)" in caught.value.reason


def test_300_graphemes_of_multibyte_emoji_is_accepted(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    text = "👍🏽" * 300  # 300 graphemes, 2400 bytes: under both caps
    receipt = make_publisher().publish(Post(text, 300, 300), identity=identity())
    assert get_record(pds, pds.accounts["alice"].did, receipt.id)["value"]["text"] == text
