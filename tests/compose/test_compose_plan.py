"""plan_dispatch: per-platform settings, UTM, short links, cards, images, language, limits, warnings."""

from __future__ import annotations

from dataclasses import replace

import pytest
from compose_checks import assert_facets, assert_fits
from compose_corpus import LONG_URL, dispatch

from syndicate.compose.facets import short_url
from syndicate.compose.length import graphemes, measure
from syndicate.compose.plan import CARD_DESCRIPTION, add_utm, card_for, plan_dispatch
from syndicate.model import Card, Limits
from syndicate.settings import ComposeSettings

D = dispatch("plan", text="First sentence here. Second one follows.\n\nA new paragraph.")
ALL = ("x", "bluesky", "mastodon")


def plan(d=D, platforms=ALL, limits=None, card=None, hold=False, spoilers=None, **settings):  # type: ignore[no-untyped-def]
    compose = {p: ComposeSettings(**settings) for p in platforms}
    return plan_dispatch(d, platforms=platforms, compose=compose, limits=limits, card=card, hold=hold,
                         spoilers=spoilers)


def test_one_platform_plan_per_platform_in_order_each_with_its_own_settings() -> None:
    compose = {"x": ComposeSettings(), "mastodon": ComposeSettings(mode="thread"),
               "bluesky": ComposeSettings(mode="thread", numbering=False)}
    p = plan_dispatch(D, platforms=("mastodon", "x", "bluesky"), compose=compose)
    assert [pp.platform for pp in p.platforms] == ["mastodon", "x", "bluesky"]
    assert len(p.platform("x").posts) == 1  # type: ignore[union-attr]
    assert [post.text.endswith(" 1/2") for post in p.platform("mastodon").posts[:1]] == [True]  # type: ignore[union-attr]
    bluesky = p.platform("bluesky")
    assert bluesky is not None and len(bluesky.posts) == 2 and "/2" not in bluesky.posts[1].text
    assert all(post.language == "en" for pp in p.platforms for post in pp.posts)


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match=r"compose\.x\.template.*\{lede\}"):
        plan(template="{title} {lede} {url}")
    with pytest.raises(ValueError, match=r"compose\.x\.mode.*'threads'"):
        plan(mode="threads")
    with pytest.raises(ValueError, match="unknown platform 'myspace'"):
        plan(platforms=("myspace",))


def test_utm_added_per_platform_keeping_other_parameters() -> None:
    assert add_utm("https://a.org/p?id=3&utm_source=rss#top", "x") == (
        "https://a.org/p?id=3&utm_source=x&utm_medium=social#top")
    assert add_utm("https://a.org/p", "bluesky") == "https://a.org/p?utm_source=bluesky&utm_medium=social"
    assert add_utm("mailto:a@b.org", "x") == "mailto:a@b.org"
    p = plan(utm=True)
    for pp in p.platforms:
        link = add_utm(D.url, pp.platform)
        assert link in pp.posts[0].text or short_url(link) in pp.posts[0].text
    bluesky = p.platform("bluesky")
    assert bluesky is not None and bluesky.posts[0].card is not None
    assert bluesky.posts[0].card.uri == add_utm(D.url, "bluesky")


def test_short_links_on_bluesky_show_host_and_path_with_the_facet_on_the_full_url() -> None:
    d = replace(D, url="https://news.example.org/2026/11/28/a-rather-long-slug-for-this-story")
    p = plan(d, platforms=("bluesky", "x"), short_links=True)
    bluesky, x = p.platforms
    first = bluesky.posts[0]
    assert "news.example.org/2026/11/28/a…" in first.text and "https://" not in first.text
    links = [f for f in first.facets if f.kind == "link"]
    assert [f.value for f in links] == [d.url]
    assert_facets(first)
    assert d.url in x.posts[0].text  # short_links is a Bluesky setting: X shows (and counts 23 for) the URL


def test_bluesky_falls_back_to_the_short_link_when_the_url_alone_is_too_long() -> None:
    d = replace(D, url=LONG_URL)
    assert graphemes(LONG_URL) > 300
    bluesky = plan(d, platforms=("bluesky",), mode="thread").platforms[0]
    assert bluesky.skipped is None
    first = bluesky.posts[0]
    assert short_url(LONG_URL) in first.text and any(f.value == LONG_URL for f in first.facets)
    assert_fits("bluesky", first, None)


def test_card_passed_in_is_used_and_completed_from_the_dispatch() -> None:
    fetched = Card(uri=D.url, title="OG title", description="", image_url=None)
    first = plan(card=fetched, platforms=("bluesky",)).platforms[0].posts[0]
    assert first.card == Card(uri=D.url, title="OG title", description=D.summary, image_url=D.image.url)  # type: ignore[union-attr]
    assert first.images == ()


def test_fallback_card_from_the_dispatch_trims_the_description_at_a_word() -> None:
    long_summary = "Residents count the cost of the flood. " * 20
    card = card_for(replace(D, summary=long_summary), None, D.url)
    assert card.title == D.title and card.uri == D.url and card.image_url == D.image.url  # type: ignore[union-attr]
    assert graphemes(card.description) <= CARD_DESCRIPTION and card.description.endswith("…")
    assert long_summary.startswith(card.description[:-1]) and long_summary[len(card.description) - 1] == " "


def test_images_go_on_the_first_post_and_cards_off_gives_bluesky_the_image() -> None:
    p = plan(mode="thread")
    for pp in p.platforms:
        expected = () if pp.platform == "bluesky" else (D.image,)
        assert pp.posts[0].images == expected
        assert all(post.images == () for post in pp.posts[1:])
    bluesky = plan(cards=False, platforms=("bluesky",)).platforms[0]
    assert bluesky.posts[0].card is None and bluesky.posts[0].images == (D.image,)
    no_image = plan(replace(D, image=None), platforms=("x",)).platforms[0]
    assert no_image.posts[0].images == ()


def test_mastodon_instance_limits_and_url_weight_are_used() -> None:
    d = dispatch("masto")
    small = plan(d, platforms=("mastodon",), limits={"mastodon": Limits(150, 40)}, mode="thread", max_parts=200)
    posts = small.platforms[0].posts
    assert len(posts) > 3 and all(post.limit == 150 for post in posts)
    for post in posts:
        assert_fits("mastodon", post, Limits(150, 40))
    big = plan(d, platforms=("mastodon",), limits={"mastodon": Limits(5000)}, mode="thread", max_parts=200)
    assert len(big.platforms[0].posts) < len(posts)
    assert all(post.spoiler_text is None for post in posts)
    warned = plan(d, platforms=("mastodon",), limits={"mastodon": Limits(150, 40)}, mode="thread", max_parts=200,
                  spoilers={"mastodon": "Flood photos " * 3})
    parts = warned.platforms[0].posts
    assert len(parts) > len(posts)  # the content warning counts toward the 150, so less text fits per post
    for post in parts:
        assert post.spoiler_text == "Flood photos " * 3
        assert measure("mastodon", post.text, limits=Limits(150, 40), spoiler_text=post.spoiler_text).valid


def test_thread_does_not_repeat_the_lede_in_the_first_post() -> None:
    d = dispatch("lede")  # the corpus summary is the body's first paragraph
    first, second = plan(d, platforms=("mastodon",), mode="thread").platforms[0].posts[:2]
    assert d.summary not in first.text and second.text.startswith(d.summary.split(". ")[0])
    teaser = plan(d, platforms=("mastodon",)).platforms[0].posts[0]
    assert d.summary in teaser.text


def test_a_template_that_cannot_fit_skips_the_platform_with_a_reason() -> None:
    p = plan(platforms=("x", "bluesky"), template="x" * 300 + " {url}")
    assert all(pp.posts == () and pp.skipped and "limit" in pp.skipped for pp in p.platforms)
    empty = plan(replace(D, url="", title="", summary="", text=""), mode="thread")
    assert all(pp.posts == () and "nothing to post" in (pp.skipped or "") for pp in empty.platforms)
    assert [w.code for w in empty.warnings] == ["missing-link", "empty-title", "empty-body"]


def test_warnings_and_hold() -> None:
    assert plan().warnings == () and not plan().blocked
    held = plan(hold=True)
    assert held.blocked and [w.code for w in held.warnings] == ["held"]
    empty = plan(replace(D, text=""), mode="thread")
    assert empty.blocked and [w.code for w in empty.warnings] == ["empty-body"]
    assert all(len(pp.posts) == 1 for pp in empty.platforms)
    assert not plan(replace(D, text="")).blocked


def test_thread_mode_with_a_body_that_is_only_the_summary_is_one_teaser() -> None:
    from syndicate.compose.plan import plan_dispatch
    from syndicate.model import Dispatch
    from syndicate.settings import ComposeSettings

    lede = "The dockers who keep the region's exports moving say the equipment is older than they are."
    d = Dispatch(id="d1", feed="f", feed_url="https://f.example/feed", url="https://f.example/a", title="Night shift",
                 text=lede, summary=lede)
    plan = plan_dispatch(d, platforms=("bluesky", "mastodon"),
                         compose={p: ComposeSettings(mode="thread") for p in ("bluesky", "mastodon")})
    for pp in plan.platforms:
        assert len(pp.posts) == 1, pp
        assert lede in pp.posts[0].text and "https://f.example/a" in pp.posts[0].text


def test_thread_mode_with_a_whole_article_in_the_summary_still_threads() -> None:
    from syndicate.compose.plan import plan_dispatch
    from syndicate.model import Dispatch
    from syndicate.settings import ComposeSettings

    article = " ".join(f"Sentence {n} of the article says something about the river." for n in range(1, 40))
    d = Dispatch(id="d2", feed="f", feed_url="https://f.example/feed", url="https://f.example/b", title="River",
                 text=article, summary=article)
    plan = plan_dispatch(d, platforms=("mastodon",), compose={"mastodon": ComposeSettings(mode="thread")})
    posts = plan.platforms[0].posts
    assert len(posts) == 5  # max_parts: the teaser, three parts of the article, a closing link
    assert posts[1].text.startswith("Sentence 1 of the article")
    assert "Read the full dispatch: https://f.example/b" in posts[-1].text
