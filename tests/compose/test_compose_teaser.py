"""Teasers: template rendering, and the shortening order when a teaser does not fit."""

from __future__ import annotations

import pytest

from syndicate.compose.length import measure
from syndicate.compose.teaser import Fields, fit_teaser, render, shorten, truncate, validate_template

URL = "https://news.example.org/2026/11/flood"
DEFAULT = "{title}\n\n{summary}\n\n{url}\n\n{hashtags}"


def fields(**kw: object) -> Fields:
    base: dict[str, object] = {
        "title": "Flood waters recede",
        "summary": "Residents count the cost. Insurers brace for claims.",
        "url": URL,
        "hashtags": ("#Floods", "#Riverside", "#Weather"),
        "author": "Ana Quispe",
        "feed": "Dispatches",
    }
    base.update(kw)
    return Fields(**base)  # type: ignore[arg-type]


def shorter_than(n: int):  # type: ignore[no-untyped-def]
    return lambda text: len(text) <= n


def test_render_fills_every_field() -> None:
    text = render("{title} by {author} ({feed})\n{summary}\n{url}\n{hashtags}", fields())
    assert text == (
        "Flood waters recede by Ana Quispe (Dispatches)\n"
        "Residents count the cost. Insurers brace for claims.\n"
        f"{URL}\n#Floods #Riverside #Weather"
    )


def test_blank_lines_left_by_empty_fields_collapse() -> None:
    assert render(DEFAULT, fields(summary="", hashtags=())) == f"Flood waters recede\n\n{URL}"
    # A line whose only field is empty goes, literal text and all; single-newline templates too.
    assert render("{title}\nBy {author}\n{url}", fields(author="")) == f"Flood waters recede\n{URL}"
    assert render("\n\n{title}\n\n\n\n{url}\n\n", fields()) == f"Flood waters recede\n\n{URL}"


def test_literal_braces_and_unknown_fields() -> None:
    assert render("{{{title}}} {url}", fields()) == "{Flood waters recede} " + URL
    with pytest.raises(ValueError, match=r"\{subtitle\}"):
        render("{subtitle} {url}", fields())
    with pytest.raises(ValueError, match="format specs"):
        render("{title:>10} {url}", fields())
    message = validate_template("{title} {headline} {url}")
    assert message is not None and "{headline}" in message
    assert validate_template(DEFAULT) is None


def test_fits_as_is() -> None:
    assert fit_teaser(DEFAULT, fields(), shorter_than(1000)) == render(DEFAULT, fields())


def test_hashtags_go_first_last_one_first() -> None:
    full = render(DEFAULT, fields())
    text = fit_teaser(DEFAULT, fields(), shorter_than(len(full) - 1))
    assert text == render(DEFAULT, fields(hashtags=("#Floods", "#Riverside")))
    text = fit_teaser(DEFAULT, fields(), shorter_than(len(full) - len(" #Riverside #Weather")))
    assert text == render(DEFAULT, fields(hashtags=("#Floods",)))


def test_summary_cut_at_a_sentence_before_a_word() -> None:
    no_tags = render(DEFAULT, fields(hashtags=()))
    text = fit_teaser(DEFAULT, fields(), shorter_than(len(no_tags) - 3))
    assert text == render(DEFAULT, fields(summary="Residents count the cost.", hashtags=()))
    assert "…" not in text


def test_summary_cut_at_a_word_with_ellipsis_then_dropped_then_title() -> None:
    one = fields(summary="Residents of Riverside count the cost of the worst flood in living memory")
    limit = len(render(DEFAULT, replace_summary(one, "Residents of Riverside count…")))
    assert fit_teaser(DEFAULT, one, shorter_than(limit)) == render(
        DEFAULT, replace_summary(one, "Residents of Riverside count…"))
    only_title = render(DEFAULT, replace_summary(one, ""))
    assert fit_teaser(DEFAULT, one, shorter_than(len(only_title))) == only_title
    # Title next, the same way: here only its first word fits, with "…"; the link stays whole.
    assert fit_teaser(DEFAULT, one, shorter_than(len("Flood…\n\n" + URL))) == "Flood…\n\n" + URL
    assert fit_teaser(DEFAULT, one, shorter_than(len(URL))) == URL
    assert fit_teaser(DEFAULT, one, shorter_than(len(URL) - 1)) is None


def replace_summary(f: Fields, summary: str) -> Fields:
    return Fields(f.title, summary, f.url, (), f.author, f.feed)


def test_ellipsis_weighs_two_on_x() -> None:
    # Budget for the title: 280 - 23 (URL) - 2 (blank line) = 255. "a"*249 + " bbbb" is 254 long:
    # with "…" it would be 255 if "…" weighed 1, but it weighs 2, so that cut must be refused.
    title = "a" * 249 + " bbbb cc"
    f = Fields(title=title, summary="", url=URL)
    text = fit_teaser("{title}\n\n{url}", f, lambda t: measure("x", t).valid)
    assert text == "a" * 249 + "…\n\n" + URL
    assert measure("x", "a" * 249 + " bbbb" + "…\n\n" + URL).length == 281


def test_no_cut_inside_emoji_or_cjk_word() -> None:
    family = "👨‍👩‍👧‍👦"
    assert truncate(f"{family}{family}{family} {family}{family}", shorter_than(25)) == f"{family}{family}{family}…"
    assert truncate(family * 5, shorter_than(20)) is None  # one "word": nothing whole fits
    # Japanese: cut between kana/kanji, never inside the katakana word コンピューター.
    cut = truncate("東京のコンピューター会社が新製品を発表", shorter_than(6))
    assert cut == "東京の…"


def test_shorten_prefers_sentences_and_drops_dangling_punctuation() -> None:
    assert shorten("Short one. Then a second, longer sentence.", shorter_than(12)) == "Short one."
    assert shorten("Prices rose, officials said, and nobody knew why", shorter_than(13)) == "Prices rose…"
    assert shorten("", shorter_than(100)) is None
