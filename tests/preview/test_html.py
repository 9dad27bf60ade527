"""Unit tests of the HTML preview: escaping, where links land, lengths, layout facts; no browser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from preview.dom import Node, parse
from preview.sample_plan import ALT, ARTICLE, SCRIPT, facet, hostile_plan, realistic_plan
from syndicate.preview.html import render_html, write_html

IMAGES = "http://127.0.0.1:9/img"
WHEN = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)


def page(plan: dict[str, Any]) -> Node:
    return parse(render_html(plan, generated_at=WHEN))


def one_post(platform: str, text: str, **fields: Any) -> dict[str, Any]:
    """A plan with one dispatch and one post on one platform."""
    post = {"text": text, "length": 10, "limit": 300, "facets": [], "card": None, "images": [],
            "language": None, "spoiler_text": None}
    post.update(fields)
    return {
        "generated_at": "2026-05-14T07:30:00Z",
        "accounts": {platform: {"handle": "@me", "name": "Me"}},
        "dispatches": [{"id": "f:1", "feed": "Feed", "title": "T", "url": ARTICLE, "published": None,
                        "warnings": [], "platforms": {platform: {"posts": [post], "skipped": None}}}],
    }


def column(doc: Node, platform: str) -> Node:
    return doc.find("section", data_platform=platform)


def links(node: Node) -> list[tuple[str, str]]:
    return [(a.text(), a.attrs["href"]) for a in node.find_all("a")]


# --- untrusted content stays text -----------------------------------------------------------------


def test_script_in_title_text_card_and_alt_is_escaped() -> None:
    html = render_html(hostile_plan(IMAGES), generated_at=WHEN)
    assert SCRIPT not in html
    assert "<img src=x" not in html
    doc = parse(html)
    assert doc.find_all("script") == []
    assert doc.find("h2").text() == SCRIPT
    bluesky = column(doc, "bluesky")
    assert bluesky.find("p", cls="text").text().startswith('<script>window.__xss = 1</script><img src=x onerror=')
    assert bluesky.find(cls="card-title").text() == SCRIPT
    img = bluesky.find("ul", cls="media").find("img")
    # The whole alt, quote and all, is one attribute value: it did not break out into an onload=.
    assert img.attrs["alt"] == img.attrs["title"] == f'{SCRIPT}" onload="window.__xss=4'
    assert "onload" not in img.attrs
    assert bluesky.find(cls="caption").text() == f'ALT{SCRIPT}" onload="window.__xss=4'
    assert column(doc, "x").find(cls="skipped").text() == f"skipped: X is disabled for this feed {SCRIPT}"


def test_no_event_handler_attributes_and_only_web_links_anywhere() -> None:
    doc = page(hostile_plan(IMAGES))
    for node in doc.iter():
        assert not any(name.startswith("on") for name in node.attrs), node
        if node.tag == "a":
            assert node.attrs["href"].startswith(("https://", "http://")), node.attrs
        if node.tag == "img":
            assert node.attrs["src"].startswith(("https://", "http://", "data:image/")), node.attrs


def test_javascript_urls_are_not_made_clickable() -> None:
    doc = page(hostile_plan(IMAGES))
    assert doc.find(cls="canonical").find_all("a") == []
    bluesky = column(doc, "bluesky")
    assert bluesky.find_all("a", cls="card") == []  # card uri javascript:…: drawn, not linked
    assert bluesky.find(cls="card").find_all("img") == []  # nor is its "image" loaded
    text_links = links(bluesky.find("p", cls="text"))
    assert text_links == [("https://dispatches.example.org/x?a=1&b=2", "https://dispatches.example.org/x?a=1&b=2")]
    assert "javascript:window.__xss=3" in bluesky.find(cls="notes").text()
    # "javascript:alert(1)" has no http(s) scheme, so Mastodon links only the hashtag after it.
    assert links(column(doc, "mastodon").find("p", cls="text")) == [("#fine", "https://mastodon.social/tags/fine")]


def test_page_is_self_contained_and_has_no_script() -> None:
    html = render_html(realistic_plan(IMAGES), generated_at=WHEN)
    doc = parse(html)
    assert doc.find_all("script") == [] and doc.find_all("link") == [] and doc.find_all("iframe") == []
    style = "".join(s.text() for s in doc.find_all("style"))
    assert "@import" not in style and "url(" not in style
    loaded = {n.attrs["src"] for n in doc.iter() if "src" in n.attrs}
    assert loaded == {f"{IMAGES}/photo.png", f"{IMAGES}/card.png"}
    csp = doc.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in csp and "script-src" not in csp


# --- Bluesky: from the facets, in bytes -------------------------------------------------------------


def test_facet_after_emoji_and_accents_lands_exactly_on_the_link() -> None:
    text = "Café ☕ naïve 🇵🇪 façade — read https://example.org/é?x=1 now"
    url = "https://example.org/é?x=1"
    plan = one_post("bluesky", text, facets=[facet(text, "link", url, url)])
    p = column(page(plan), "bluesky").find("p", cls="text")
    assert links(p) == [(url, url)]
    assert p.text() == text
    # If offsets were read as str indices, the link would start 9 characters later than this.
    assert p.children[0] == "Café ☕ naïve 🇵🇪 façade — read "


def test_facets_of_every_kind_link_where_bluesky_does() -> None:
    text = "✨ Photos by @ana.bsky.social: example.org/a-long-pa… #Perú"
    facets = [
        facet(text, "tag", "#Perú", "Perú"),  # out of order on purpose: offsets decide, not list order
        facet(text, "mention", "@ana.bsky.social", "ana.bsky.social"),
        facet(text, "link", "example.org/a-long-pa…", "https://example.org/a-long-path"),
    ]
    p = column(page(one_post("bluesky", text, facets=facets)), "bluesky").find("p", cls="text")
    assert links(p) == [
        ("@ana.bsky.social", "https://bsky.app/profile/ana.bsky.social"),
        ("example.org/a-long-pa…", "https://example.org/a-long-path"),
        ("#Perú", "https://bsky.app/hashtag/Per%C3%BA"),
    ]


def test_bluesky_links_nothing_without_a_facet() -> None:
    p = column(page(one_post("bluesky", "see https://example.org #tag @a.bsky.social")), "bluesky")
    assert p.find("p", cls="text").find_all("a") == []


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [(1, 5, "cuts a character in half"), (0, 99, "outside the text"), (3, 2, "outside the text")],
)
def test_broken_facet_is_reported_not_rendered(start: int, end: int, why: str) -> None:
    text = "é https://x.org"
    bad = {"type": "link", "byteStart": start, "byteEnd": end, "value": "https://x.org"}
    col = column(page(one_post("bluesky", text, facets=[bad])), "bluesky")
    assert col.find("p", cls="text").find_all("a") == []
    assert col.find("p", cls="text").text() == text
    assert why in col.find(cls="notes").text()


def test_overlapping_facet_is_reported() -> None:
    text = "read https://x.org/abc"
    first = facet(text, "link", "https://x.org/abc", "https://x.org/abc")
    inner = facet(text, "link", "x.org", "https://x.org")
    col = column(page(one_post("bluesky", text, facets=[first, inner])), "bluesky")
    assert links(col.find("p", cls="text")) == [("https://x.org/abc", "https://x.org/abc")]
    assert "overlaps" in col.find(cls="notes").text()


# --- X and Mastodon: detected as the network does ----------------------------------------------------


def test_x_links_bare_domains_tags_and_mentions() -> None:
    text = "New: example.com/a/very/long/path/to/the/story, https://t.example.org/x. #Peru #2024 @ana_q @a@b.social file.py"
    p = column(page(one_post("x", text)), "x").find("p", cls="text")
    assert links(p) == [
        ("example.com/a/very/long/path/to/the/story", "https://example.com/a/very/long/path/to/the/story"),
        ("https://t.example.org/x", "https://t.example.org/x"),
        ("#Peru", "https://x.com/hashtag/Peru"),
        ("@ana_q", "https://x.com/ana_q"),
        ("file.py", "https://file.py"),  # twitter-text 3.1 links a bare ccTLD domain, so X does
    ]
    assert p.text() == text
    long_link = p.find("a")
    # Shown like X does: no scheme, cut with an ellipsis; the rest is hidden, not removed.
    assert [s.text() for s in long_link.find_all("span") if "invisible" not in s.classes] == ["example.com/a/very/long/pa"]
    assert "ellipsis" in long_link.find_all("span")[0].classes


def test_mastodon_links_scheme_urls_tags_and_remote_mentions() -> None:
    text = "Hi @luis@mastodon.social and @ana! Read https://www.example.org/story). Not example.org. #Perú #1"
    plan = one_post("mastodon", text)
    plan["accounts"]["mastodon"] = {"handle": "@me@journa.host", "name": "Me"}
    p = column(page(plan), "mastodon").find("p", cls="text")
    assert links(p) == [
        ("@luis@mastodon.social", "https://mastodon.social/@luis"),
        ("@ana", "https://journa.host/@ana"),
        ("https://www.example.org/story", "https://www.example.org/story"),
        ("#Perú", "https://journa.host/tags/Per%C3%BA"),
    ]
    remote = p.find("a", cls="mention")
    assert [s.text() for s in remote.find_all("span") if "invisible" not in s.classes] == ["@luis"]


# --- lengths, threads, layout -------------------------------------------------------------------------


def test_over_limit_is_marked_and_within_limit_is_not() -> None:
    plan = one_post("x", "too long", length=291, limit=280)
    over = column(page(plan), "x").find(cls="length")
    assert "over" in over.classes
    assert over.text() == "⚠ 291/280 · 11 over the limit"
    fine = column(page(one_post("x", "fine", length=280, limit=280)), "x").find(cls="length")
    assert "over" not in fine.classes and fine.text() == "280/280"


def test_realistic_plan_layout() -> None:
    doc = page(realistic_plan(IMAGES))
    section = doc.find("section", cls="dispatch")
    assert section.find("h2").text() == "In Puno, fishers watch Lake Titicaca retreat"
    assert section.find(cls="canonical").find("a").attrs["href"] == ARTICLE
    assert [c.attrs["data-platform"] for c in section.find_all("section", cls="column")] == ["x", "bluesky", "mastodon"]
    assert "columns cols-3" == section.find(cls="columns").attrs["class"]
    counts = {p: len(column(doc, p).find_all("article")) for p in ("x", "bluesky", "mastodon")}
    assert counts == {"x": 1, "bluesky": 3, "mastodon": 3}
    parts = [s.text() for s in column(doc, "bluesky").find_all(cls="part")]
    assert parts == ["1/3", "2/3", "3/3"]
    assert column(doc, "x").find_all(cls="part") == []  # a teaser is not numbered
    assert [a.attrs["lang"] for a in column(doc, "mastodon").find_all("article")] == ["en", "en", "en"]
    heads = [h.text() for h in section.find_all("h3")]
    assert heads == ["On X1 post", "On Blueskythread of 3", "On Mastodonthread of 3"]
    for col in section.find_all("section", cls="column"):
        assert doc.find("h3", id=col.attrs["aria-labelledby"])  # each column is labelled
    warning = section.find("li", cls="warning")
    assert "blocking" not in warning.classes and "summary-shortened" in warning.text()
    card = column(doc, "bluesky").find("a", cls="card")
    assert card.attrs["href"] == ARTICLE
    assert card.find("img").attrs["src"] == f"{IMAGES}/card.png"
    assert card.find(cls="card-domain").text() == "dispatches.example.org"
    mastodon_img = column(doc, "mastodon").find("img")
    assert mastodon_img.attrs["alt"] == mastodon_img.attrs["title"] == ALT
    assert column(doc, "mastodon").find(cls="caption").text() == "ALT" + ALT


def test_blocking_warning_and_skipped_platform() -> None:
    doc = page(hostile_plan(IMAGES))
    assert "blocking" in doc.find("li", cls="warning").classes
    assert "syndicate release untrusted:1" in doc.find(cls="held").text()
    assert column(doc, "x").find_all("article") == []


def test_only_platforms_in_the_plan_get_a_column() -> None:
    doc = page(one_post("mastodon", "hello"))
    assert [c.attrs["data-platform"] for c in doc.find_all("section", cls="column")] == ["mastodon"]
    assert "cols-1" in doc.find(cls="columns").classes


def test_account_fallbacks_when_the_config_names_nobody() -> None:
    plan = one_post("bluesky", "hi")
    plan["accounts"] = {}
    col = column(page(plan), "bluesky")
    assert col.find(cls="name").text() == "Your account"
    assert col.find(cls="handle").text() == "@handle.bsky.social"
    assert col.find(cls="avatar").text() == "YA" and "placeholder" in col.find(cls="avatar").classes


def test_account_name_and_initials() -> None:
    plan = one_post("x", "hi")
    plan["accounts"]["x"] = {"handle": "ana_q", "name": "Ana María Quispe"}
    col = column(page(plan), "x")
    assert (col.find(cls="name").text(), col.find(cls="handle").text(), col.find(cls="avatar").text()) == (
        "Ana María Quispe", "@ana_q", "AM")


def test_content_warning_and_line_breaks_are_kept() -> None:
    plan = one_post("mastodon", "line one\n\nline two", spoiler_text="Grief")
    col = column(page(plan), "mastodon")
    assert col.find("details", cls="cw").find(cls="cw-text").text() == "Grief"
    assert col.find("p", cls="text").text() == "line one\n\nline two"


def test_empty_plan_says_so() -> None:
    assert "Nothing to post" in page({"generated_at": None, "accounts": {}, "dispatches": []}).find(cls="empty").text()


def test_schema_mismatch_names_the_place() -> None:
    plan = one_post("x", "hi")
    del plan["dispatches"][0]["platforms"]["x"]["posts"][0]["text"]
    with pytest.raises(ValueError, match=r"dispatches\[0\]\.platforms\.x\.posts\[0\]\.text should be a string"):
        render_html(plan)


def test_generated_at_from_plan_or_argument() -> None:
    plan = realistic_plan(IMAGES)
    assert "14 May 2026, 07:30 UTC" in render_html(plan)
    assert "14 May 2026, 08:00 UTC" in render_html(plan, generated_at=WHEN)


def test_write_html_creates_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "preview.html"
    assert write_html(realistic_plan(IMAGES), target) == target
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_x_links_in_a_post_that_is_not_nfc_cover_the_posts_own_characters() -> None:
    # "Cafe\u0301" is "Café" decomposed: X measures and links NFC(text), the page shows the post as written.
    text = "Cafe\u0301 news: example.com/a and https://b.org"
    p = column(page(one_post("x", text)), "x").find("p", cls="text")
    assert links(p) == [("example.com/a", "https://example.com/a"), ("https://b.org", "https://b.org")]
    assert p.text() == text


def test_a_column_per_account_keyed_by_name_rendered_by_its_platform() -> None:
    """dry-run JSON keys `platforms` by account name, with each entry's `platform` (issue 11): a second
    Bluesky account gets its own column, labelled with its name, its links from its facets."""
    text = "Read https://example.org/a"
    plan = one_post("bluesky", text, facets=[facet(text, "link", "https://example.org/a", "https://example.org/a")])
    entry = plan["dispatches"][0]["platforms"]["bluesky"]
    plan["dispatches"][0]["platforms"] = {"bluesky": {**entry, "platform": "bluesky"},
                                          "ana-bsky": {**entry, "platform": "bluesky"}}
    plan["accounts"]["ana-bsky"] = {"handle": "ana.example.org", "name": None, "platform": "bluesky"}
    doc = page(plan)
    columns = doc.find_all("section", data_platform="bluesky")
    assert len(columns) == 2
    assert "Bluesky · ana-bsky" in columns[1].text() and "ana.example.org" in columns[1].text()
    assert ("https://example.org/a", "https://example.org/a") in links(columns[1])
