"""Mastodon's length rule (StatusLengthValidator): graphemes of spoiler + rewritten text."""

from __future__ import annotations

from syndicate.compose import length
from syndicate.model import Limits

LONG_URL = "https://news.example.org/2026/05/24/a-very-long-article-slug-that-goes-on"


def test_each_url_with_a_scheme_counts_as_23() -> None:
    assert len(LONG_URL) > 23
    assert length.mastodon_length(f"Read {LONG_URL}") == len("Read ") + 23
    assert length.mastodon_length("https://x.io") == 23  # short URLs count 23 too
    assert length.mastodon_length(f"{LONG_URL} {LONG_URL}") == 23 + 1 + 23


def test_scheme_less_domains_count_in_full() -> None:
    assert length.mastodon_length("see example.com/path") == len("see example.com/path")


def test_instance_url_length() -> None:
    assert length.mastodon_length(f"Read {LONG_URL}", url_length=30) == 5 + 30
    m = length.measure("mastodon", f"Read {LONG_URL}", limits=Limits(max_characters=1000, characters_reserved_per_url=30))
    assert (m.length, m.limit) == (35, 1000)


def test_remote_mentions_count_without_their_domain() -> None:
    assert length.mastodon_length("cc @alice@mastodon.social") == len("cc @alice")
    assert length.mastodon_length("cc @alice") == len("cc @alice")
    assert length.mastodon_length("@bob@example.social, @carol@a.b.example!") == len("@bob, @carol!")
    # Not mentions: preceded by a word character, '=' or '/', or followed by '@' or '://'.
    for text in ("mail@alice@example.com", "x=@alice@example.com", "@alice@example.com@more"):
        assert length.mastodon_length(text) == len(text)


def test_spoiler_text_counts() -> None:
    assert length.mastodon_length("body", "CW: politics") == len("CW: politics") + 4
    m = length.measure("mastodon", "x" * 490, spoiler_text="y" * 10)
    assert (m.length, m.valid) == (500, True)
    m = length.measure("mastodon", "x" * 490, spoiler_text="y" * 11)
    assert (m.length, m.valid) == (501, False)


def test_graphemes_not_code_points() -> None:
    assert length.mastodon_length("👨‍👩‍👧‍👦🇫🇷e\u0301") == 3


def test_blank_text_counts_as_empty() -> None:
    assert length.mastodon_length("   \n ") == 0
    assert length.mastodon_length("  ", "CW") == 2


def test_limit_comes_from_the_instance() -> None:
    text = "z" * 501
    assert not length.measure("mastodon", text).valid  # default 500
    m = length.measure("mastodon", text, limits=Limits(max_characters=5000))
    assert (m.length, m.limit, m.valid) == (501, 5000, True)
    assert length.measure("mastodon", "z" * 500).valid
