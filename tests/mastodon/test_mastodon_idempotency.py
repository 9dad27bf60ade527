"""Exactly once: the Idempotency-Key makes a resend safe for an hour; find() looks for earlier attempts."""

from __future__ import annotations

import time

import pytest
from fakes.mastodon_api import API_STATUSES, FakeMastodon
from mastodon_support import MakePublisher, identity, post

from syndicate.errors import Transient
from syndicate.model import Receipt, ReplyTo
from syndicate.platforms.mastodon import MastodonPublisher


def test_timeout_after_store_then_retry_leaves_one_status(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    fake.stall_after_store(10.0)  # stored, then the answer never arrives in time
    pub = make_publisher(fake, timeout=0.5)
    with pytest.raises(Transient, match="timed out"):
        pub.publish(post("Breaking: the bridge reopened"), identity=identity())
    assert len(fake.statuses) == 1  # it did land

    receipt = pub.publish(post("Breaking: the bridge reopened"), identity=identity())
    [stored] = fake.statuses
    assert receipt.id == stored.id
    posts = fake.requests_to("POST", API_STATUSES)
    assert len(posts) == 2
    assert {r.headers.get("Idempotency-Key") for r in posts} == {"key-dispatch-1-1"}


def test_same_key_on_another_account_is_a_different_status(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    fake.add_account("bob", "token-of-bob")
    make_publisher(fake).publish(post("same words"), identity=identity())
    make_publisher(fake, "token-of-bob").publish(post("same words"), identity=identity())
    assert len(fake.statuses) == 2  # keys are per account


def test_key_expires_after_an_hour_and_find_covers_it(make_publisher: MakePublisher) -> None:
    now = [time.time()]
    with FakeMastodon(token="tok-idempotency", clock=lambda: now[0]) as fake:
        pub = make_publisher(fake, "tok-idempotency")
        first = pub.publish(post("hello"), identity=identity())
        now[0] += 3601
        found = pub.find(post("hello"), identity=identity())
        assert found == first  # what the delivery engine checks before resending after the hour
        pub.publish(post("hello"), identity=identity())
        assert len(fake.statuses) == 2  # the server alone would have duplicated it


def test_find_returns_none_when_nothing_landed(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    fake.seed_status("something else")
    assert publisher.find(post("hello"), identity=identity()) is None


def test_find_matches_text_through_the_html_and_the_parent(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    text = "2/3 Water & mud at <school> https://news.example/a-very-long-path/to/the/story?x=1 #floods\n\nMore."
    root = publisher.publish(post("1/3 first part"), identity=identity(1))
    other_root = fake.seed_status("unrelated root")
    fake.seed_status(text, in_reply_to_id=other_root.id)  # same text, other parent: not ours
    fake.seed_status(text, in_reply_to_id=root.id, account_id=fake.add_account("bob", "token-of-bob"))
    reply_to = ReplyTo(root=root, parent=root)
    assert publisher.find(post(text), identity=identity(2), reply_to=reply_to) is None

    sent = publisher.publish(post(text), identity=identity(2), reply_to=reply_to)
    assert publisher.find(post(text), identity=identity(2), reply_to=reply_to) == sent
    assert publisher.find(post(text), identity=identity(2)) is None  # as a top-level post it never landed


def test_find_sees_remote_mentions_as_mastodon_shows_them(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    stored = fake.seed_status("thanks @carol@elsewhere.example")
    # Mastodon renders a remote mention as "@carol" in the status HTML.
    stored.content = ('<p>thanks <span class="h-card" translate="no"><a href="https://elsewhere.example/@carol" '
                      'class="u-url mention">@<span>carol</span></a></span></p>')
    found = publisher.find(post("thanks @carol@elsewhere.example"), identity=identity())
    assert found == Receipt(platform="mastodon", id=stored.id, url=f"{fake.base_url}/@alice/{stored.id}")
