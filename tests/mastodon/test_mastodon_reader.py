"""Reading back from Mastodon (issue 12): counts in batches of 20, the fallback for servers
without the batch route, quotes only where the server reports them, replies from the context."""

from __future__ import annotations

import math

from fakes.mastodon_api import FakeMastodon
from mastodon_support import TOKEN, MakePublisher

from syndicate.model import Receipt
from syndicate.platforms.base import Counts
from syndicate.platforms.mastodon.reader import MastodonReader


def _receipts(fake: FakeMastodon, n: int) -> list[Receipt]:
    return [Receipt("mastodon", fake.seed_status(f"dispatch {i}").id, "") for i in range(n)]


def test_counts_are_read_in_batches_of_20_exactly_as_served(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    posts = _receipts(fake, 45)
    for k, r in enumerate(posts):
        fake.set_counts(r.id, favourites=k, reblogs=2 * k)
    fake.seed_status("a reply", in_reply_to_id=posts[3].id)
    reader = MastodonReader(make_publisher(fake))
    counts = reader.read_counts(posts)
    assert counts[posts[3].id] == Counts(likes=3, reposts=6, replies=1, quotes=None)  # 4.4: no quotes_count
    assert counts[posts[44].id] == Counts(likes=44, reposts=88, replies=0, quotes=None)
    batches = fake.requests_to("GET", "/api/v1/statuses")
    assert len(batches) == math.ceil(45 / 20) == reader.calls
    assert max(len(r.query["id[]"]) for r in batches) == 20
    fake.set_counts(posts[3].id, favourites=10)  # it moves: the next reading sees it
    assert reader.read_counts([posts[3]])[posts[3].id].likes == 10


def test_quotes_are_reported_from_4_5(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token=TOKEN, version="4.5.0") as fake:
        [r] = _receipts(fake, 1)
        fake.set_counts(r.id, quotes=4)
        assert MastodonReader(make_publisher(fake)).read_counts([r])[r.id].quotes == 4


def test_a_server_without_the_batch_route_is_read_one_status_at_a_time(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token=TOKEN, version="4.2.10") as fake:
        posts = _receipts(fake, 3)
        fake.set_counts(posts[1].id, favourites=7)
        gone = Receipt("mastodon", "999", "")
        reader = MastodonReader(make_publisher(fake))
        counts = reader.read_counts([*posts, gone])
        assert counts[posts[1].id].likes == 7 and gone.id not in counts
        assert len(fake.requests_to("GET", "/api/v1/statuses")) == 1  # tried once, then remembered
        assert reader.read_counts(posts)[posts[0].id].likes == 0
        assert len(fake.requests_to("GET", "/api/v1/statuses")) == 1
        assert reader.calls == 1 + 4 + 3


def test_a_deleted_status_is_left_out(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    posts = _receipts(fake, 2)
    counts = MastodonReader(make_publisher(fake)).read_counts([*posts, Receipt("mastodon", "12345", "")])
    assert set(counts) == {posts[0].id, posts[1].id}


def test_replies_come_from_the_context_without_our_own_thread(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    bob = fake.add_account("bob", "bob-token")
    root = fake.seed_status("part 1/2")
    part2 = fake.seed_status("part 2/2", in_reply_to_id=root.id)
    tip = fake.seed_status("<script>alert(1)</script> a tip & more", account_id=bob, in_reply_to_id=part2.id)
    nested = fake.seed_status("thanks", in_reply_to_id=tip.id)  # our own answer to bob is not a reply to count
    reader = MastodonReader(make_publisher(fake))
    replies = reader.read_replies(Receipt("mastodon", root.id, ""), frozenset({root.id, part2.id, nested.id}))
    assert [(r.remote_id, r.parent_id, r.author) for r in replies] == [(tip.id, part2.id, "@bob")]
    assert replies[0].text == "<script>alert(1)</script> a tip & more"  # the server's HTML made text
    assert replies[0].url and replies[0].url.endswith(f"/@bob/{tip.id}")
    assert replies[0].created_at is not None
