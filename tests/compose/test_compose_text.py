"""Hashtags from tags, sentence splitting, word breaks, and Bluesky facets (byte offsets, detection rules)."""

from __future__ import annotations

import pytest

from syndicate.compose.facets import detect_facets, short_url
from syndicate.compose.hashtags import hashtags, to_hashtag
from syndicate.compose.sentences import one_line, pysbd_language, split_sentences, word_breaks
from syndicate.model import Facet


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("Open Source", "#OpenSource"),
        ("open source", "#OpenSource"),
        ("python", "#python"),
        ("iPhone apps", "#IPhoneApps"),
        ("COVID-19", "#COVID19"),
        ("Node.js", "#Nodejs"),
        ("don't panic", "#DontPanic"),
        ("état d'urgence", "#ÉtatDurgence"),
        ("東京", "#東京"),
        ("気候 変動", "#気候変動"),
        ("दिल्ली", "#दिल्ली"),  # combining vowel signs are part of the word
        ("الصحة", "#الصحة"),
        ("#already", "#already"),
        ("snake_case", "#snake_case"),
        ("2026", None),
        ("20 26", None),
        ("🎉", None),
        ("", None),
        ("!!!", None),
        ("x" * 65, None),  # Bluesky refuses tags over 64 graphemes
    ],
)
def test_to_hashtag(tag: str, expected: str | None) -> None:
    assert to_hashtag(tag) == expected


def test_hashtags_dedupe_case_insensitively_and_cap() -> None:
    tags = ("Open Source", "2026", "open source", "OPEN-SOURCE", "Python", "Rust", "Go")
    assert hashtags(tags, 3) == ("#OpenSource", "#Python", "#Rust")
    assert hashtags(tags, 0) == ()


def test_sentences_handle_abbreviations_decimals_quotes_and_urls() -> None:
    text = (
        'Dr. Smith paid $3.50 for 2.5 kg at 9 a.m. on Jan. 5th. "Is this right?" she asked. '
        "See https://example.com/a.b?c=d. Then Mr. Bean spoke, i.e. briefly."
    )
    assert [s.text for s in split_sentences(text, "en")] == [
        "Dr. Smith paid $3.50 for 2.5 kg at 9 a.m. on Jan. 5th.",
        '"Is this right?" she asked.',
        "See https://example.com/a.b?c=d.",
        "Then Mr. Bean spoke, i.e. briefly.",
    ]


def test_sentences_in_other_languages() -> None:
    pt = "O Sr. Silva chegou às 9h. A Dra. Costa pagou R$ 3,50, i.e. pouco. Fim."
    assert [s.text for s in split_sentences(pt, "pt-BR")] == [
        "O Sr. Silva chegou às 9h.", "A Dra. Costa pagou R$ 3,50, i.e. pouco.", "Fim."]
    de = "Dr. Müller kam um 9 Uhr an, d.h. pünktlich. Er sagte: „Hallo.“ Dann ging er."
    assert len(split_sentences(de, "de")) == 3
    ja = split_sentences("東京は晴れです。明日は雨でしょう！\n\n本当？", "ja")
    assert [(s.joiner, s.text) for s in ja] == [("", "東京は晴れです。"), ("", "明日は雨でしょう！"), ("\n\n", "本当？")]
    assert [s.text for s in split_sentences("هل الخطة كافية؟ نعم!", "ar")] == ["هل الخطة كافية؟", "نعم!"]
    assert [s.text for s in split_sentences("यह पहला है। यह दूसरा है?", "hi")] == ["यह पहला है।", "यह दूसरा है?"]


def test_sentence_language_guess_and_paragraphs() -> None:
    assert pysbd_language(None, "今日は晴れです。") == "ja"
    assert pysbd_language(None, "今天天气很好。") == "zh"
    assert pysbd_language("pt-BR") == "es"
    assert pysbd_language("xx") == "en"
    got = split_sentences("First para.\nSame para.\n\n\nSecond para.", "en")
    assert [(s.joiner, s.text) for s in got] == [("", "First para."), (" ", "Same para."), ("\n\n", "Second para.")]
    assert one_line("東京\u3000大阪\n  x\ty") == "東京\u3000大阪 x y"


def test_word_breaks() -> None:
    text = "Hello, wörld 👨‍👩‍👧 https://a.b/c?d=e end"
    assert [text[:i] for i in word_breaks(text)] == [
        "Hello,", "Hello, wörld", "Hello, wörld 👨‍👩‍👧", "Hello, wörld 👨‍👩‍👧 https://a.b/c?d=e", text]
    ja = "東京タワーは「高い」"
    cuts = [ja[:i] for i in word_breaks(ja)]
    assert "東京タ" not in cuts and "東京タワー" in cuts  # katakana run kept whole
    assert "東京タワーは「" not in cuts  # never end on an opening bracket


def _slices(text: str, facets: tuple[Facet, ...]) -> list[tuple[str, str, str]]:
    raw = text.encode("utf-8")
    return [(f.kind, raw[f.byte_start : f.byte_end].decode("utf-8"), f.value) for f in facets]


def test_facets_use_utf8_byte_offsets_on_multibyte_text() -> None:
    text = "日本語 🇯🇵 #東京 see https://例え.jp/パス and @alice.bsky.social!"
    assert _slices(text, detect_facets(text)) == [
        ("tag", "#東京", "東京"),
        ("link", "https://例え.jp/パス", "https://例え.jp/パス"),
        ("mention", "@alice.bsky.social", "alice.bsky.social"),
    ]
    first = detect_facets(text)[0]
    assert first.byte_start == len("日本語 🇯🇵 ".encode())


def test_facet_detection_rules_follow_the_bluesky_app() -> None:
    text = ("Hi @bob@mastodon.social (@carol.test) see example.com/path. and Node.js, "
            "https://x.org/a(b)c) #2026 #ok!! #tag…more ＃full e.g. @bad.notatld")
    got = _slices(text, detect_facets(text))
    assert got == [
        ("mention", "@carol.test", "carol.test"),
        ("link", "example.com/path", "https://example.com/path"),
        ("link", "https://x.org/a(b)c)", "https://x.org/a(b)c)"),
        ("tag", "#ok", "ok"),
        ("tag", "#tag…more", "tag…more"),
        ("tag", "＃full", "full"),
    ]


def test_explicit_links_win_and_short_links_point_to_the_full_url() -> None:
    full = "https://news.example.org/2026/11/28/a-long-slug?utm_source=bluesky"
    shown = short_url(full)
    assert shown == "news.example.org/2026/11/28/a…"
    text = f"Title\n\n{shown}\n\n#News"
    got = _slices(text, detect_facets(text, [(shown, full)]))
    assert got == [("link", shown, full), ("tag", "#News", "News")]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/", "example.com"),
        ("https://example.com/short", "example.com/short"),
        ("https://www.example.com/exactly-15-chr", "www.example.com/exactly-15-chr"),
        ("https://example.com/sixteen-chars-x", "example.com/sixteen-char…"),
        ("https://example.com/a?b=c#d", "example.com/a?b=c#d"),
        ("https://ja.example.com/%E6%9D%B1%E4%BA%AC", "ja.example.com/東京"),
        ("ftp://example.com/file", "ftp://example.com/file"),
    ],
)
def test_short_url_like_the_app(url: str, shown: str) -> None:
    assert short_url(url) == shown
