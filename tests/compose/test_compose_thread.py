"""Thread packing: greedy and whole-sentence, splitting only what must be split; numbering; max_parts."""

from __future__ import annotations

import re

import regex

from syndicate.compose.sentences import Sentence, split_sentences
from syndicate.compose.thread import CLOSING, compose_thread, pack


def limit(n: int):  # type: ignore[no-untyped-def]
    """Fits by grapheme count, so emoji clusters count one each."""
    return lambda text: len(regex.findall(r"\X", text)) <= n


def sentences(*texts: str) -> list[Sentence]:
    return [Sentence(t, "" if i == 0 else " ") for i, t in enumerate(texts)]


def teaser(text: str = "Title https://example.org/a"):  # type: ignore[no-untyped-def]
    return lambda suffix: text


def test_pack_is_greedy_and_never_splits_a_sentence_that_fits() -> None:
    body = sentences("One two three.", "Four five.", "Six seven eight nine.", "Ten.", "Eleven twelve.")
    posts = pack(body, limit(30))
    assert posts == ["One two three. Four five.", "Six seven eight nine. Ten.", "Eleven twelve."]
    # Greedy: no post could also have taken the first sentence of the next one.
    assert len("One two three. Four five. Six seven eight nine.") > 30
    assert len("Six seven eight nine. Ten. Eleven twelve.") > 30


def test_a_sentence_too_long_alone_is_split_at_words() -> None:
    long = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"
    posts = pack(sentences("Short.", long, "Tail."), limit(25))
    assert posts[0] == "Short."
    assert all(len(p) <= 25 for p in posts)
    assert " ".join(posts) == "Short. " + long + " Tail."
    words = set(long.split()) | {"Short.", "Tail."}
    assert all(w in words for p in posts for w in p.split())


def test_a_word_longer_than_a_post_is_cut_at_grapheme_clusters() -> None:
    word = "👍🏽" * 25 + "e\u0301" * 25  # skin-tone emoji and e + combining acute: 50 clusters
    posts = pack(sentences(word), limit(20))
    assert "".join(posts) == word
    for post in posts:
        clusters = regex.findall(r"\X", post)
        assert len(clusters) <= 20
        assert all(c in ("👍🏽", "e\u0301") for c in clusters)  # no cluster was split


def test_paragraphs_stay_paragraphs_and_cjk_gets_no_spaces() -> None:
    body = split_sentences("東京は晴れ。明日は雨。\n\n次の段落です。", "ja")
    assert pack(body, limit(100)) == ["東京は晴れ。明日は雨。\n\n次の段落です。"]


def test_numbering_counts_in_the_length_and_is_right_across_ten() -> None:
    body = sentences(*[f"Sentence number {i} is here." for i in range(1, 13)])
    posts = compose_thread(teaser("Head https://x.org"), body, "https://x.org", limit(40), max_parts=20)
    assert posts is not None
    total = len(posts)
    assert total >= 11  # crosses from one digit to two
    for i, post in enumerate(posts, start=1):
        assert post.endswith(f" {i}/{total}")
        assert len(post) <= 40


def test_numbering_n_is_stable_when_the_suffix_width_changes_the_packing() -> None:
    # Without numbering this packs into 9 body posts + teaser = 10, whose " n/10" suffixes are wider
    # than " n/9": the packing must be redone with N=10 (and may then grow again) until it holds.
    body = sentences(*["x" * 30 for _ in range(9)])
    posts = compose_thread(teaser("T"), body, "https://x.org", limit(36), max_parts=30)
    assert posts is not None
    n = len(posts)
    assert [re.search(r" (\d+)/(\d+)$", p).groups() for p in posts] == [  # type: ignore[union-attr]
        (str(i), str(n)) for i in range(1, n + 1)
    ]
    assert all(len(p) <= 36 for p in posts)


def test_max_parts_keeps_the_start_and_closes_with_the_link() -> None:
    body = sentences(*[f"Sentence {i} of a long dispatch." for i in range(40)])
    posts = compose_thread(teaser(), body, "https://example.org/a", limit(80), max_parts=4)
    assert posts is not None and len(posts) == 4
    assert posts[-1] == CLOSING.format(url="https://example.org/a") + " 4/4"
    assert posts[1].startswith("Sentence 0 of a long dispatch.")
    assert posts[2].endswith(" 3/4")


def test_max_parts_edge_cases_and_unnumbered() -> None:
    body = sentences(*[f"Sentence {i} of a long dispatch." for i in range(40)])
    assert compose_thread(teaser(), body, "u", limit(80), max_parts=1) == ["Title https://example.org/a"]
    # Two parts cannot hold a body that needs several posts plus a closing post: teaser alone.
    assert compose_thread(teaser(), body, "u", limit(80), max_parts=2) == ["Title https://example.org/a"]
    short = sentences("Just one line.")
    assert compose_thread(teaser(), short, "u", limit(80), max_parts=2) == [
        "Title https://example.org/a 1/2", "Just one line. 2/2"]
    assert compose_thread(teaser(), short, "u", limit(80), numbered=False) == [
        "Title https://example.org/a", "Just one line."]
    assert compose_thread(teaser(), [], "u", limit(80)) == ["Title https://example.org/a"]


def test_the_first_post_is_fitted_with_room_for_its_number() -> None:
    seen: list[str] = []

    def first(suffix: str) -> str:
        seen.append(suffix)
        return "Teaser"

    posts = compose_thread(first, sentences("A.", "B."), "u", limit(8))  # "A. B. 2/2" is 9: N grows
    assert posts == ["Teaser 1/3", "A. 2/3", "B. 3/3"]
    assert seen == [" 1/3"]
    assert compose_thread(lambda suffix: None, sentences("A."), "u", limit(10)) is None


def test_whole_paragraphs_pack_exactly_like_their_sentences() -> None:
    from compose_corpus import body

    from syndicate.compose.sentences import split_paragraphs

    for language in ("en", "ja", "de"):
        text = body(language, 400, seed=3)
        for n in (60, 140, 300, 700):
            by_sentence = pack(split_sentences(text, language), limit(n), first_number=2)
            by_paragraph = pack(split_paragraphs(text, language), limit(n), first_number=2)
            assert by_paragraph == by_sentence, (language, n)
