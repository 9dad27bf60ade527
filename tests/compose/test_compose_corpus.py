"""Every post of every corpus dispatch, on every platform, in teaser and thread mode, keeps the promises:
it fits by `measure()`, never ends in a cut word, threads lead with the link, keep the text in order,
number their parts right and respect max_parts, and Bluesky facets slice exactly what they name."""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import pytest
from compose_checks import assert_facets, assert_fits, is_whole, squash, strip_numbering, vocabulary
from compose_corpus import corpus

from syndicate.compose.facets import short_url
from syndicate.compose.length import measure
from syndicate.compose.plan import add_utm, plan_dispatch
from syndicate.compose.sentences import split_sentences
from syndicate.compose.thread import CLOSING
from syndicate.model import PLATFORMS, DispatchPlan, Limits, Post
from syndicate.settings import ComposeSettings

CORPUS = corpus()


def _all(**kw: object) -> dict[str, ComposeSettings]:
    return {p: ComposeSettings(**kw) for p in PLATFORMS}  # type: ignore[arg-type]


VARIANTS: dict[str, tuple[dict[str, ComposeSettings], dict[str, Limits] | None]] = {
    "teaser": (_all(), None),
    "teaser-utm-short": (_all(utm=True, short_links=True, max_hashtags=5), {"mastodon": Limits(300, 30)}),
    "thread": (_all(mode="thread"), None),
    "thread-wide": (_all(mode="thread", numbering=False, max_parts=12, utm=True, short_links=True),
                    {"mastodon": Limits(1000)}),
    "thread-tight": (_all(mode="thread", max_parts=3, max_hashtags=5), {"mastodon": Limits(300, 30)}),
    "mixed": ({"x": ComposeSettings(), "bluesky": ComposeSettings(mode="thread", short_links=True),
               "mastodon": ComposeSettings(mode="thread", max_parts=8)}, None),
}
CASES = [(name, variant) for name in CORPUS for variant in VARIANTS]


@cache
def planned(name: str, variant: str) -> DispatchPlan:
    compose, limits = VARIANTS[variant]
    return plan_dispatch(CORPUS[name], platforms=PLATFORMS, compose=compose, limits=limits)


def _link(name: str, variant: str, platform: str) -> str:
    s = VARIANTS[variant][0][platform]
    url = CORPUS[name].url
    return add_utm(url, platform) if s.utm else url


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_every_post_fits_and_carries_language(name: str, variant: str) -> None:
    plan = planned(name, variant)
    limits = VARIANTS[variant][1] or {}
    assert [p.platform for p in plan.platforms] == list(PLATFORMS)
    for pp in plan.platforms:
        assert pp.skipped is None and pp.posts, (pp.platform, pp.skipped)
        for post in pp.posts:
            assert_fits(pp.platform, post, limits.get(pp.platform))
            assert post.language == CORPUS[name].language


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_first_post_holds_link_card_or_image(name: str, variant: str) -> None:
    plan = planned(name, variant)
    d = CORPUS[name]
    for pp in plan.platforms:
        link = _link(name, variant, pp.platform)
        first = pp.posts[0]
        if pp.platform == "bluesky":
            assert link in first.text or short_url(link) in first.text
            assert any(f.kind == "link" and f.value == link for f in first.facets)
            assert first.card is not None and first.card.uri == link and first.images == ()
        else:
            assert link in first.text
            assert first.images == ((d.image,) if d.image else ())
        assert all(p.card is None and p.images == () for p in pp.posts[1:])


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_no_post_ends_in_a_cut_word(name: str, variant: str) -> None:
    plan = planned(name, variant)
    d = CORPUS[name]
    limits = VARIANTS[variant][1] or {}
    teaser_source = d.title + " " + d.summary
    teaser_words = vocabulary(teaser_source)
    body_words = vocabulary(d.text)
    for pp in plan.platforms:
        first, _ = strip_numbering(pp.posts[0].text)
        shown = short_url(_link(name, variant, pp.platform))  # the link as Bluesky shows it ends in "…"
        for token in first.split():
            if token.endswith("…") and token not in teaser_words and token != shown:
                assert is_whole(token[:-1], teaser_words, teaser_source), (pp.platform, token, first)
        for post in pp.posts[1:]:
            text = _unshorten(post)
            if text.startswith(CLOSING.format(url="")):
                continue
            assert "…" not in text or "…" in d.text
            last = text.split()[-1]
            if is_whole(last, body_words, d.text):
                continue
            # Last resort allowed: a single word longer than a whole post, cut at graphemes.
            assert any(
                last in tok and not measure(pp.platform, tok, limits=limits.get(pp.platform)).valid
                for tok in d.text.split()
            ), (pp.platform, last)


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_threads_keep_text_in_order_with_numbering_and_cap(name: str, variant: str) -> None:
    plan = planned(name, variant)
    d = CORPUS[name]
    for pp in plan.platforms:
        s = VARIANTS[variant][0][pp.platform]
        posts = pp.posts
        if s.mode == "teaser":
            assert len(posts) == 1
            continue
        assert len(posts) <= s.max_parts
        if not d.text.strip():
            assert len(posts) == 1
        numbers = [strip_numbering(p.text)[1] for p in posts]
        if s.numbering and len(posts) > 1:
            assert numbers == [(i + 1, len(posts)) for i in range(len(posts))]
        elif len(posts) > 1:
            assert numbers == [None] * len(posts)
        texts = [_unshorten(p) for p in posts[1:]]
        closing = bool(texts) and texts[-1].startswith(CLOSING.format(url=""))
        if closing:
            assert len(posts) == s.max_parts
            link = _link(name, variant, pp.platform)
            assert link in texts[-1] or short_url(link) in texts[-1]
            texts = texts[:-1]
        joined = squash("".join(texts))
        source = squash(d.text)
        if closing:
            assert joined and source.startswith(joined) and len(joined) < len(source)
        else:
            assert joined == source


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_thread_posts_break_between_sentences_unless_one_is_too_long(name: str, variant: str) -> None:
    plan = planned(name, variant)
    d = CORPUS[name]
    limits = VARIANTS[variant][1] or {}
    sentences = split_sentences(d.text, d.language)
    ends, pos = {}, 0
    for sentence in sentences:
        pos += len(squash(sentence.text))
        ends[pos] = sentence.text
    for pp in plan.platforms:
        posts = list(pp.posts[1:])
        if posts and _unshorten(posts[-1]).startswith(CLOSING.format(url="")):
            posts = posts[:-1]
        pos = 0
        for post, following in pairwise(posts):
            pos += len(squash(_unshorten(post)))
            if pos in ends:
                continue
            # Split mid-sentence: allowed only if that sentence could not start the next post whole.
            containing = next(s.text for end, s in zip(ends, sentences, strict=True) if end > pos)
            number = strip_numbering(following.text)[1]
            suffix = f" {number[0]}/{number[1]}" if number else ""
            alone = measure(pp.platform, containing + suffix, limits=limits.get(pp.platform))
            assert not alone.valid, (pp.platform, containing)


def _unshorten(post: Post) -> str:
    """The post's text without numbering, with every link shown shortened ("host/path…") written out."""
    raw = post.text.encode("utf-8")
    for f in sorted(post.facets, key=lambda f: -f.byte_start):
        shown = raw[f.byte_start : f.byte_end].decode("utf-8")
        if f.kind == "link" and shown.endswith("…"):
            raw = raw[: f.byte_start] + f.value.encode("utf-8") + raw[f.byte_end :]
    return strip_numbering(raw.decode("utf-8"))[0]


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_bluesky_facets_slice_exactly(name: str, variant: str) -> None:
    plan = planned(name, variant)
    bluesky = plan.platform("bluesky")
    assert bluesky is not None
    for post in bluesky.posts:
        assert_facets(post)
    for other in ("x", "mastodon"):
        pp = plan.platform(other)
        assert pp is not None and all(p.facets == () for p in pp.posts)


def test_corpus_mentions_and_tags_become_facets() -> None:
    plan = planned("mentions-and-tags", "thread")
    bluesky = plan.platform("bluesky")
    assert bluesky is not None
    kinds = {(f.kind, f.value) for p in bluesky.posts for f in p.facets}
    assert ("mention", "alice.bsky.social") in kinds
    assert ("tag", "AMA") in kinds
    # @bob@mastodon.social is not a Bluesky handle: the app would not link it, nor do we.
    assert not any(v.startswith("bob") for k, v in kinds if k == "mention")
