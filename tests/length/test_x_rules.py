"""X's counting rules as readable examples (each value checked with npm twitter-text 3.1.0)."""

from __future__ import annotations

import pytest

from syndicate.compose import _xurls, length
from syndicate.compose._twitter_data import CCTLDS, GTLDS


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("a", 1),
        ("漢", 2),  # CJK weighs 2
        ("…", 2),  # U+2026 is outside the weight-1 ranges
        ("•", 2),
        ("“”", 2),  # U+2010–U+201F weigh 1
        ("‒", 1),
        ("′″", 2),  # U+2032–U+2037 weigh 1
        ("‸", 2),  # U+2038 does not
        ("Cafe\u0301", 4),  # NFC first: e + combining acute becomes é
        ("👍", 2),
        ("👍🏽", 2),  # emoji with skin tone: 2 in total
        ("👨‍👩‍👧‍👦", 2),  # ZWJ family: 2 in total
        ("🇫🇷", 2),
        ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", 2),  # tag-sequence flag
        ("1️⃣", 2),
        ("#⃣", 2),
        ("☺️", 2),
        ("☺︎", 4),  # text presentation: not an emoji, ☺ 2 + U+FE0E 2
        ("❤️‍🔥", 5),  # Emoji 13.1, unknown to twitter-text 3.1.0: ❤️ 2 + ZWJ 1 + 🔥 2
        ("🫠", 2),  # unknown emoji still weigh 2 as one character outside the ranges
    ],
)
def test_character_and_emoji_weights(text: str, weight: int) -> None:
    assert length.x_length(text) == weight


@pytest.mark.parametrize(
    ("text", "weight", "urls"),
    [
        ("https://example.com/a/very/long/path/that/goes/on/and/on", 23, ["https://example.com/a/very/long/path/that/goes/on/and/on"]),
        ("example.com", 23, ["example.com"]),  # no scheme needed
        ("example.jp", 23, ["example.jp"]),  # country-code TLD alone is enough in 3.1.0
        ("bit.ly/abc", 23, ["bit.ly/abc"]),
        ("tips@example.com", 16, []),  # '@' before a domain: not a URL
        ("-example.com", 12, []),  # scheme-less after '-', '_', '.', '/': not a URL
        ("see example.com.", 28, ["example.com"]),  # trailing '.' is not part of it
        ("(https://example.com/x_(y))", 25, ["https://example.com/x_(y)"]),  # balanced parens kept
        ("https://t.co/abc/def", 27, ["https://t.co/abc"]),  # t.co stops after the slug
        ("example.com/'(a)", 27, ["example.com/"]),  # twitter-text's regex cuts this path at '/'
        ("example.com/x(a)", 23, ["example.com/x(a)"]),
        ("https://" + "a" * 64 + ".com", 76, []),  # a label over 63 characters: not a URL
    ],
)
def test_urls_weigh_23(text: str, weight: int, urls: list[str]) -> None:
    assert length.x_length(text) == weight
    assert [u for _, _, u in length.x_urls(text)] == urls


def test_x_urls_offsets_are_code_points_into_the_nfc_text() -> None:
    text = "Cafe\u0301 👍🏽 example.com/a"
    nfc = "Café 👍🏽 example.com/a"
    [(start, end, url)] = length.x_urls(text)
    assert nfc[start:end] == url == "example.com/a"


def test_validity() -> None:
    assert length.measure("x", "a" * 280).valid
    assert not length.measure("x", "a" * 281).valid
    assert not length.measure("x", "").valid  # twitter-text: an empty post is not valid
    assert not length.measure("x", "x\ufeffy").valid  # U+FEFF, U+FFFE, U+FFFF are invalid
    m = length.measure("x", "漢" * 141)
    assert (m.length, m.limit, m.valid) == (282, 280, False)


def test_tld_trie_keeps_twitter_texts_order() -> None:
    # Our TLD trie tries a TLD's longer extensions before the TLD itself, as the
    # package's lists do; this relies on every extension being listed earlier.
    order = {tld: i for i, tld in enumerate((*GTLDS, *CCTLDS))}
    for tld, i in order.items():
        for other, j in order.items():
            if other != tld and other.startswith(tld):
                assert j < i, (other, tld)


def test_scanning_only_near_dots_finds_what_a_full_scan_finds() -> None:
    # _matches skips positions that cannot start a URL; a plain finditer over the
    # same regex is the reference.
    url_re, _ = _xurls._patterns()
    texts = [
        "a.b.c.d example.com/x foo_bar.com -x.com 例えexample.jp 1.5 e.g. U.S.A.",
        "東京example.com中文test.org😀x.com and https://t.co/a?b=c",
        "".join("ab.c" if i % 3 else "x.io " for i in range(60)),
        "a.b.com.x.example.co.uk https://t.co/x.com-y.org a_b.com:8080/p(q)r.s",
    ]
    for text in texts:
        units = _xurls._to_units(text)
        windows = _xurls._windows(units)
        assert [m.span() for m in _xurls._matches(units, windows)] == [m.span() for m in url_re.finditer(units)]
