"""Posts land on the reference PDS as Bluesky would store them: text, facets, threads, embeds, langs."""

from __future__ import annotations

import time
from datetime import datetime
from functools import partial

from bsky_support import (
    PublisherFactory,
    ServeImages,
    get_blob,
    get_record,
    identity,
    list_rkeys,
    noisy_png,
    small_jpeg,
)
from pds.harness import PdsHandle

from syndicate.model import Card, Facet, Image, Post, Receipt, ReplyTo
from syndicate.netguard import FetchPolicy
from syndicate.platforms.media import fetch_image


def byte_range(text: str, part: str) -> tuple[int, int]:
    raw, sub = text.encode("utf-8"), part.encode("utf-8")
    start = raw.index(sub)
    return start, start + len(sub)


def test_link_tag_and_mention_facets_keep_their_byte_ranges(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    url = "https://example.com/dispatch?id=42"
    # Accents, a flag, a skin-tone ZWJ emoji before the link: code-point offsets would be wrong.
    text = f"Café naïve — 🇵🇹👩🏽‍💻 read: {url} #press @bob.test @nobody.test"
    facets = (
        Facet("link", *byte_range(text, url), url),
        Facet("tag", *byte_range(text, "#press"), "press"),
        Facet("mention", *byte_range(text, "@bob.test"), "bob.test"),
        Facet("mention", *byte_range(text, "@nobody.test"), "nobody.test"),  # does not resolve: dropped
    )
    pub = make_publisher()
    receipt = pub.publish(Post(text, 0, 300, facets=facets, language="pt-BR"), identity=identity())

    alice = pds.accounts["alice"]
    stored = get_record(pds, alice.did, receipt.id)
    assert stored["uri"] == receipt.uri and stored["cid"] == receipt.cid
    value = stored["value"]
    assert value["text"] == text
    assert value["langs"] == ["pt-BR"]
    by_type = {f["features"][0]["$type"]: f for f in value["facets"]}
    assert set(by_type) == {"app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag",
                            "app.bsky.richtext.facet#mention"}
    link = by_type["app.bsky.richtext.facet#link"]
    assert (link["index"]["byteStart"], link["index"]["byteEnd"]) == byte_range(text, url)
    assert text.encode()[link["index"]["byteStart"]:link["index"]["byteEnd"]].decode() == url
    assert link["features"][0]["uri"] == url
    assert by_type["app.bsky.richtext.facet#tag"]["features"][0]["tag"] == "press"
    mention = by_type["app.bsky.richtext.facet#mention"]
    assert mention["features"][0]["did"] == pds.accounts["bob"].did
    assert (mention["index"]["byteStart"], mention["index"]["byteEnd"]) == byte_range(text, "@bob.test")


def test_receipt_and_created_at(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher()
    before = time.time()
    receipt = pub.publish(Post("Hello from syndicate", 20, 300, language="en"), identity=identity())
    after = time.time()

    alice = pds.accounts["alice"]
    assert receipt.platform == "bluesky"
    assert receipt.url == f"https://bsky.app/profile/alice.test/post/{receipt.id}"
    assert receipt.uri == f"at://{alice.did}/app.bsky.feed.post/{receipt.id}"
    value = get_record(pds, alice.did, receipt.id)["value"]
    assert value["createdAt"].endswith("Z")
    created = datetime.fromisoformat(value["createdAt"].replace("Z", "+00:00")).timestamp()
    assert before - 0.001 <= created <= after  # "now", not the feed's date (ms precision)
    assert value["langs"] == ["en"]
    assert "reply" not in value and "embed" not in value


def test_created_at_comes_from_the_injected_clock(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher(clock=lambda: 1_800_000_000.25)
    receipt = pub.publish(Post("clocked", 7, 300), identity=identity())
    value = get_record(pds, pds.accounts["alice"].did, receipt.id)["value"]
    assert value["createdAt"] == "2027-01-15T08:00:00.250Z"
    assert "langs" not in value  # no language from the feed: no label (not the SDK's default "en")


def test_four_part_thread_has_root_and_parent_refs(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher()
    receipts: list[Receipt] = []
    for n in range(1, 5):
        reply_to = ReplyTo(root=receipts[0], parent=receipts[-1]) if receipts else None
        receipts.append(pub.publish(Post(f"part {n}/4", 8, 300), identity=identity(n, "thread"), reply_to=reply_to))

    did = pds.accounts["alice"].did
    first = get_record(pds, did, receipts[0].id)["value"]
    assert "reply" not in first
    for n in range(1, 4):
        value = get_record(pds, did, receipts[n].id)["value"]
        assert value["text"] == f"part {n + 1}/4"
        root, parent = value["reply"]["root"], value["reply"]["parent"]
        assert (root["uri"], root["cid"]) == (receipts[0].uri, receipts[0].cid)
        assert (parent["uri"], parent["cid"]) == (receipts[n - 1].uri, receipts[n - 1].cid)
    rkeys = list_rkeys(pds, did)
    assert all(rkeys.count(r.id) == 1 for r in receipts)


def test_link_card_with_reencoded_thumbnail(pds: PdsHandle, make_publisher: PublisherFactory,
    image_server: ServeImages
) -> None:
    big = noisy_png(1200, 900)
    assert len(big) > 1_000_000  # so the thumb must be re-encoded to fit
    server = image_server({"/og.png": (big, "image/png")})
    card = Card(uri="https://example.com/story", title="The story", description="What happened, briefly.",
                image_url=f"{server.url}/og.png")
    # The default fetcher, real HTTP to the loopback image server, which netguard lets through
    # only when allowed (it is no configured feed's host here).
    local = FetchPolicy.for_feeds([], ["127.0.0.0/8"])
    pub = make_publisher(fetch_image=partial(fetch_image, platform="bluesky", policy=local))
    receipt = pub.publish(Post("A story https://example.com/story", 0, 300, card=card), identity=identity())

    alice = pds.accounts["alice"]
    embed = get_record(pds, alice.did, receipt.id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    ext = embed["external"]
    assert (ext["uri"], ext["title"], ext["description"]) == (card.uri, card.title, card.description)
    thumb = ext["thumb"]
    assert thumb["$type"] == "blob" and thumb["mimeType"].startswith("image/")
    assert 0 < thumb["size"] <= 1_000_000
    blob = get_blob(pds, alice.did, thumb["ref"]["$link"])
    assert len(blob) == thumb["size"]
    assert server.requests == ["/og.png"]


def test_card_without_thumbnail_when_the_image_is_gone(pds: PdsHandle, make_publisher: PublisherFactory,
    image_server: ServeImages
) -> None:
    server = image_server({})
    card = Card(uri="https://example.com/x", title="X", description="", image_url=f"{server.url}/missing.png")
    receipt = make_publisher().publish(Post("x", 1, 300, card=card), identity=identity())
    ext = get_record(pds, pds.accounts["alice"].did, receipt.id)["value"]["embed"]["external"]
    assert ext["uri"] == "https://example.com/x"
    assert "thumb" not in ext


def test_image_with_alt_and_aspect_ratio_wins_over_the_card(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    images = {"https://img.example/a.jpg": small_jpeg(64, 48),
              "https://img.example/b.png": noisy_png(1200, 900, seed=2)}
    assert len(images["https://img.example/b.png"]) > 2_000_000  # must be re-encoded under the 2 MB cap
    pub = make_publisher(fetch_image=images.__getitem__)
    post = Post("Two pictures", 12, 300,
                images=(Image("https://img.example/a.jpg", alt="A magenta square"), Image("https://img.example/b.png")),
                card=Card(uri="https://example.com/a", title="ignored", description="one embed per post"))
    receipt = pub.publish(post, identity=identity())

    alice = pds.accounts["alice"]
    embed = get_record(pds, alice.did, receipt.id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    first, second = embed["images"]
    assert first["alt"] == "A magenta square"
    assert (first["aspectRatio"]["width"], first["aspectRatio"]["height"]) == (64, 48)
    assert first["image"]["mimeType"] == "image/jpeg"
    assert second["alt"] == ""  # required by the lexicon, may be empty
    assert second["aspectRatio"]["width"] * 3 == second["aspectRatio"]["height"] * 4
    assert 0 < second["image"]["size"] <= 2_000_000
    assert len(get_blob(pds, alice.did, second["image"]["ref"]["$link"])) == second["image"]["size"]


def test_a_broken_image_is_left_out_not_the_post(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher(fetch_image=lambda url: b"<html>not an image</html>")
    post = Post("Picture went missing", 20, 300, images=(Image("https://img.example/x.jpg", alt="x"),),
                card=Card(uri="https://example.com/fallback", title="Fallback", description=""))
    receipt = pub.publish(post, identity=identity())
    embed = get_record(pds, pds.accounts["alice"].did, receipt.id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"  # no usable image: the card is the embed
    assert embed["external"]["uri"] == "https://example.com/fallback"
