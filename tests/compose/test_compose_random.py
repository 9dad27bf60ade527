"""Generated dispatches (hypothesis): mixed scripts, emoji sequences, URLs, tags and mentions, under
random settings and instance limits — every plan keeps the same promises as the hand-written corpus."""

from __future__ import annotations

import hypothesis.strategies as st
from compose_checks import assert_facets, assert_fits, squash, strip_numbering
from hypothesis import HealthCheck, given, settings

from syndicate.compose.facets import short_url
from syndicate.compose.plan import add_utm, plan_dispatch
from syndicate.compose.thread import CLOSING
from syndicate.model import PLATFORMS, Dispatch, Limits, Post
from syndicate.settings import ComposeSettings

WORDS = st.sampled_from([
    "the", "river", "rose", "2.5", "m", "overnight", "Dr.", "e.g.", "U.S.", "\"quoted\"", "(aside)",
    "東京都は", "新しい", "コンピューター", "计划", "交通政策", "وزارة", "الصحة", "दिल्ली", "सरकार", "café", "Müller",
    "👨‍👩‍👧‍👦", "🇯🇵", "👍🏽", "e\u0301", "❤️", "#tag", "#東京", "@alice.bsky.social", "@bob@mastodon.social",
    "https://example.org/a?b=c", "example.com", "https://news.example.org/" + "long-" * 30,
    "Donaudampfschifffahrtsgesellschaftskapitänswitwe" * 3,
])
ENDS = st.sampled_from([".", "!", "?", "。", "！", "؟", "।", "…", ""])


@st.composite
def sentence(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=25))
    return " ".join(words) + draw(ENDS)


@st.composite
def paragraphs(draw: st.DrawFn, max_paragraphs: int) -> str:
    paras = draw(st.lists(st.lists(sentence(), min_size=1, max_size=6), min_size=0, max_size=max_paragraphs))
    return "\n\n".join(" ".join(p) for p in paras)


@st.composite
def dispatches(draw: st.DrawFn) -> Dispatch:
    slug = draw(st.sampled_from(["short", "a-much-longer-slug-for-this-story", "x" * 400]))
    return Dispatch(
        id="urn:random", feed="Feed", feed_url="https://example.org/feed", url=f"https://example.org/{slug}",
        title=draw(paragraphs(1)), summary=draw(paragraphs(1)), text=draw(paragraphs(6)),
        tags=tuple(draw(st.lists(st.sampled_from(["Open Source", "東京", "2026", "C++", "news", "NEWS"]),
                                 max_size=5))),
        language=draw(st.sampled_from([None, "en", "ja", "ar", "de"])),
    )


SETTINGS = st.builds(
    ComposeSettings,
    mode=st.sampled_from(["teaser", "thread"]),
    template=st.sampled_from(["{title}\n\n{summary}\n\n{url}\n\n{hashtags}", "{title} {url} {hashtags}",
                              "{summary}\n{url}", "By {author}: {title}\n{url}"]),
    max_hashtags=st.integers(0, 4),
    max_parts=st.integers(1, 8),
    numbering=st.booleans(),
    utm=st.booleans(),
    short_links=st.booleans(),
)
LIMITS = st.builds(Limits, max_characters=st.integers(120, 1000), characters_reserved_per_url=st.integers(10, 40))


def body_text(post: Post) -> str:
    raw = post.text.encode("utf-8")
    for f in sorted(post.facets, key=lambda f: -f.byte_start):  # write shortened links out in full
        if f.kind == "link" and raw[f.byte_start : f.byte_end].decode().endswith("…"):
            raw = raw[: f.byte_start] + f.value.encode() + raw[f.byte_end :]
    return strip_numbering(raw.decode("utf-8"))[0]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(dispatches(), st.tuples(SETTINGS, SETTINGS, SETTINGS), LIMITS)
def test_generated_dispatches_keep_every_promise(
    d: Dispatch, chosen: tuple[ComposeSettings, ...], mastodon: Limits
) -> None:
    compose = dict(zip(PLATFORMS, chosen, strict=True))
    limits = {"mastodon": mastodon}
    plan = plan_dispatch(d, platforms=PLATFORMS, compose=compose, limits=limits)
    for pp in plan.platforms:
        s = compose[pp.platform]
        assert pp.skipped is None, pp.skipped
        link = add_utm(d.url, pp.platform) if s.utm else d.url
        first = pp.posts[0]
        assert link in first.text or (pp.platform == "bluesky" and short_url(link) in first.text)
        assert 1 <= len(pp.posts) <= (s.max_parts if s.mode == "thread" else 1)
        for post in pp.posts:
            assert_fits(pp.platform, post, limits.get(pp.platform))
            assert_facets(post)
        if len(pp.posts) > 1:
            numbers = [strip_numbering(p.text)[1] for p in pp.posts]
            n = len(pp.posts)
            assert numbers == ([(i, n) for i in range(1, n + 1)] if s.numbering else [None] * n)
            texts = [body_text(p) for p in pp.posts[1:]]
            if texts[-1].startswith(CLOSING.format(url="")):
                assert n == s.max_parts
                assert squash(d.text).startswith(squash("".join(texts[:-1])))
            else:
                assert squash("".join(texts)) == squash(d.text)
