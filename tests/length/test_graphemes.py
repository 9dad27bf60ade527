"""The fast grapheme counter agrees with regex's \\X on texts built from the tricky pieces."""

from __future__ import annotations

import random

import regex

from syndicate.compose import _graphemes

PIECES = [
    "a", " ", "\r", "\n", "\r\n", "e\u0301", "\u0301", "\u200d", "👨", "👩", "🏽", "🇺", "🇸", "🇫",
    "\ufe0f", "क", "्", "ष", "ि", "\u0600", "\u1100", "\u1161", "\u11a8", "가", "각", "\U000e0067",
    "\U000e007f", "🏴", "中", "ก", "ำ", "x", "\U0001F9D1", "\u2764", "\U00011000", "\U0001D165", "\u0d4e",
]


def test_matches_regex_x_on_random_mixes() -> None:
    rng = random.Random(29)
    x = regex.compile(r"\X")
    for _ in range(5000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 16)))
        assert _graphemes.count(text) == len(x.findall(text)), repr(text)


def test_examples() -> None:
    assert _graphemes.count("") == 0
    assert _graphemes.count("a\r\nb") == 3
    assert _graphemes.count("👨‍👩‍👧‍👦🇫🇷🇺") == 3
    assert _graphemes.count("क्षत्रिय") == 3  # Indic conjuncts (GB9c)
    assert _graphemes.count("\u1100\u1161\u11a8") == 1  # Hangul L V T
