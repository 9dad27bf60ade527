"""Instance limits: read from /api/v2/instance (or v1), cached, and enforced by the fake as Mastodon does."""

from __future__ import annotations

import pytest
from fakes.mastodon_api import FakeMastodon, status_length
from mastodon_support import MakePublisher, identity, post

from syndicate.errors import Permanent
from syndicate.model import Limits
from syndicate.platforms.mastodon import MemoryLimitsCache, limits_from_instance

CUSTOM = dict(max_characters=1000, characters_reserved_per_url=30, max_media_attachments=6,
              description_limit=900, image_size_limit=8_000_000)
EXPECTED = Limits(max_characters=1000, characters_reserved_per_url=30, max_media_attachments=6,
                  description_limit=900, image_size_limit=8_000_000)


def test_limits_from_v2_instance(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="t", **CUSTOM) as fake:  # type: ignore[arg-type]
        assert make_publisher(fake, "t").limits() == EXPECTED
        assert [r.path for r in fake.requests] == ["/api/v2/instance"]


def test_limits_fall_back_to_v1_instance(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="t", v2_instance=False, version="3.5.3", **CUSTOM) as fake:  # type: ignore[arg-type]
        assert make_publisher(fake, "t").limits() == EXPECTED
        assert [(r.path, r.status) for r in fake.requests] == [("/api/v2/instance", 404), ("/api/v1/instance", 200)]


def test_limits_read_once_then_served_from_the_cache(make_publisher: MakePublisher) -> None:
    cache = MemoryLimitsCache()
    with FakeMastodon(token="t", **CUSTOM) as fake:  # type: ignore[arg-type]
        first = make_publisher(fake, "t", limits_cache=cache)
        first.limits()
        first.limits()
        second = make_publisher(fake, "t", limits_cache=cache)  # e.g. the next cron run, cache from the store
        assert second.limits() == EXPECTED
        assert len(fake.requests_to("GET", "/api/v2/instance")) == 1
        assert cache.get(fake.base_url) == EXPECTED


def test_limits_from_an_old_server_without_configuration() -> None:
    assert limits_from_instance({"uri": "old.example", "version": "3.0.0"}) == Limits(max_characters=500)
    assert limits_from_instance({"max_toot_chars": 5000}).max_characters == 5000  # glitch-soc, Pleroma


def test_custom_limits_are_enforced_by_the_fake(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="t", max_characters=100, characters_reserved_per_url=30) as fake:
        pub = make_publisher(fake, "t")
        links = " https://example.com/a-rather-long-path-that-is-far-over-thirty-chars https://example.org"
        fits = "a" * (100 - 2 * 30 - 2) + links  # each URL counts 30, whatever its real length
        pub.publish(post(fits), identity=identity(1))
        with pytest.raises(Permanent) as info:
            pub.publish(post("a" + fits), identity=identity(2))
        assert info.value.status == 422
        assert "Validation failed: Text character limit of 100 exceeded" in str(info.value)
        assert [s.text for s in fake.statuses] == [fits]


def test_spoiler_text_counts_towards_the_limit(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="t", max_characters=50) as fake:
        pub = make_publisher(fake, "t")
        pub.publish(post("b" * 30, spoiler_text="a" * 20), identity=identity(1))
        with pytest.raises(Permanent, match="character limit of 50 exceeded"):
            pub.publish(post("b" * 30, spoiler_text="a" * 21), identity=identity(2))


# Vectors from Mastodon's spec/validators/status_length_validator_spec.rb (MAX_CHARS = 500).
@pytest.mark.parametrize(
    ("text", "spoiler", "valid"),
    [
        ("a" * 476 + " http://" + "b" * 30 + ".com/example", "", True),  # URLs count 23 flat
        ("a" * 476 + "http://" + "b" * 30 + ".com/example", "", False),  # not autolinkable: counted in full
        ("a" * 475 + " @alice@" + "b" * 30 + ".com", "", True),  # only the front part of remote usernames
        ("b" * 481, "a" * 20, False),  # text and content warning together
        ("a" * 501, "", False),
        ("🏳️‍🌈" * 500, "", True),  # grapheme clusters, not code points
        ("👩‍👩‍👧" * 501, "", False),
    ],
)
def test_fake_counts_like_mastodon(text: str, spoiler: str, valid: bool) -> None:
    assert (status_length(text, spoiler) <= 500) is valid
