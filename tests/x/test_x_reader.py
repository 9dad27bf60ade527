"""Reading back from X (issue 12): GET /2/tweets with public_metrics, 100 ids a call, billed per post returned."""

from __future__ import annotations

import math

import pytest
from fakes.x_api import XApiFake
from x_support import MakePublisher

from syndicate.model import Receipt
from syndicate.platforms.base import Counts
from syndicate.platforms.x.reader import XReader


def test_counts_exactly_as_served_in_batches_of_100(fake: XApiFake, make_publisher: MakePublisher) -> None:
    tweets = [fake.seed(f"dispatch {i}") for i in range(150)]
    fake.set_metrics(tweets[7].id, likes=12, reposts=3, quotes=1)
    fake.seed("@syndicate_test a reply", reply_to=tweets[7].id, author_id="42")
    reader = XReader(make_publisher())
    counts = reader.read_counts([Receipt("x", t.id, "") for t in tweets])
    assert counts[tweets[7].id] == Counts(likes=12, reposts=3, replies=1, quotes=1)
    assert counts[tweets[0].id] == Counts(likes=0, reposts=0, replies=0, quotes=0)
    lookups = [r for r in fake.requests if r.method == "GET" and r.path == "/2/tweets"]
    assert len(lookups) == math.ceil(150 / 100) == reader.calls
    assert all(r.query["tweet.fields"] == ["public_metrics"] for r in lookups)
    assert fake.posts_read == 150
    fake.set_metrics(tweets[7].id, likes=13)
    assert reader.read_counts([Receipt("x", tweets[7].id, "")])[tweets[7].id].likes == 13


@pytest.mark.parametrize("name", ["retweet_count", "repost_count"])
def test_either_name_of_the_repost_count_is_read(fake: XApiFake, make_publisher: MakePublisher, name: str) -> None:
    fake.metrics_name = name
    t = fake.seed("hello")
    fake.set_metrics(t.id, reposts=5)
    assert XReader(make_publisher()).read_counts([Receipt("x", t.id, "")])[t.id].reposts == 5


def test_a_deleted_post_is_left_out_and_not_billed(fake: XApiFake, make_publisher: MakePublisher) -> None:
    t = fake.seed("here")
    counts = XReader(make_publisher()).read_counts([Receipt("x", t.id, ""), Receipt("x", "1234567", "")])
    assert set(counts) == {t.id}
    assert fake.posts_read == 1


def test_replies_are_not_read_on_x(fake: XApiFake, make_publisher: MakePublisher) -> None:
    reader = XReader(make_publisher())
    assert reader.replies_supported is False
    assert reader.read_replies(Receipt("x", fake.seed("x").id, ""), frozenset()) == []
    assert not [r for r in fake.requests if r.method == "GET" and "search" in r.path]
