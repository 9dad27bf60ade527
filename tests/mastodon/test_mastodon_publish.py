"""Publishing through the real Mastodon.py client to the fake instance: posts, threads, images."""

from __future__ import annotations

import pytest
from fakes.mastodon_api import FakeMastodon
from mastodon_support import FakeClock, MakePublisher, identity, png_bytes, post

from syndicate.errors import Permanent, Transient
from syndicate.model import Image, Receipt, ReplyTo
from syndicate.platforms.mastodon import MastodonPublisher


def test_single_post_is_stored_with_its_options(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    pub = make_publisher(fake, visibility="unlisted")
    text = "Floods in the valley: what we saw https://news.example/floods #climate"
    receipt = pub.publish(post(text, language="pt-BR", spoiler_text="flooding"), identity=identity())

    [stored] = fake.statuses
    assert stored.text == text
    assert stored.visibility == "unlisted"
    assert stored.language == "pt"  # ISO 639-1 part of the BCP-47 tag
    assert stored.spoiler_text == "flooding"
    assert stored.in_reply_to_id is None
    assert stored.idempotency_key == "key-dispatch-1-1"
    assert receipt == Receipt(platform="mastodon", id=stored.id, url=f"{fake.base_url}/@alice/{stored.id}")


def test_settings_spoiler_text_used_when_post_has_none(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    pub = make_publisher(fake, spoiler_text="news bot")
    pub.publish(post("hello"), identity=identity())
    assert fake.statuses[0].spoiler_text == "news bot"


def test_four_part_thread_is_chained_in_order(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    parts = [f"{n}/4 part number {n} of the thread" for n in range(1, 5)]
    receipts: list[Receipt] = []
    for n, text in enumerate(parts, start=1):
        reply_to = ReplyTo(root=receipts[0], parent=receipts[-1]) if receipts else None
        receipts.append(publisher.publish(post(text), identity=identity(n), reply_to=reply_to))

    stored = fake.statuses_of()
    assert [s.text for s in stored] == parts
    assert [s.id for s in stored] == [r.id for r in receipts]
    assert stored[0].in_reply_to_id is None
    assert [s.in_reply_to_id for s in stored[1:]] == [s.id for s in stored[:-1]]
    assert len({r.id for r in receipts}) == 4


def test_reply_to_missing_parent_is_permanent(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    gone = Receipt(platform="mastodon", id="999", url="x")
    with pytest.raises(Permanent) as info:
        publisher.publish(post("part 2"), identity=identity(2), reply_to=ReplyTo(root=gone, parent=gone))
    assert info.value.status == 404
    assert "does not appear to exist" in str(info.value)
    assert fake.statuses == []


def test_image_with_alt_text(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    data = png_bytes((3, 5))
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return data

    pub = make_publisher(fake, fetch_image=fetch)
    image = Image(url="https://site.example/flood.png", alt="Brown water up to the door handles")
    pub.publish(post("With a picture", images=(image,)), identity=identity())

    assert fetched == ["https://site.example/flood.png"]
    [stored] = fake.statuses
    [media] = stored.media
    assert media.description == "Brown water up to the door handles"
    assert media.data == data
    assert media.mime_type == "image/png"  # sniffed from the bytes: Image.mime_type was not given


def test_alt_text_trimmed_to_instance_description_limit(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="t", description_limit=40) as fake:
        alt = "A long description of a photograph that goes well past the limit of this server"
        make_publisher(fake, "t").publish(post("pic", images=(Image("https://s.example/a.png", alt),)),
                                          identity=identity())
        description = fake.statuses[0].media[0].description
    assert description is not None
    assert len(description) <= 40
    assert description.endswith("…")
    assert alt.startswith(description[:-1].rstrip())  # cut between words, nothing invented


def test_images_beyond_instance_maximum_are_left_out(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="t", max_media_attachments=2) as fake:
        images = tuple(Image(f"https://s.example/{n}.png", f"alt {n}") for n in range(3))
        make_publisher(fake, "t").publish(post("three pictures", images=images), identity=identity())
        assert [m.description for m in fake.statuses[0].media] == ["alt 0", "alt 1"]


def test_media_processing_is_awaited_202_206_200(make_publisher: MakePublisher) -> None:
    clock = FakeClock()
    with FakeMastodon(token="t", media_processing_polls=2) as fake:
        pub = make_publisher(fake, "t", clock=clock, sleep=clock.sleep)
        pub.publish(post("video-ish", images=(Image("https://s.example/a.png", "alt"),)), identity=identity())
        codes = [(r.method, r.path.split("/")[3], r.status) for r in fake.requests if "media" in r.path]
        assert codes == [("POST", "media", 202), ("GET", "media", 206), ("GET", "media", 200)]
        assert len(fake.statuses[0].media) == 1
    assert clock.sleeps == [1.0, 1.0]  # one poll interval before each poll


def test_media_that_never_finishes_is_transient_after_bounded_wait(make_publisher: MakePublisher) -> None:
    clock = FakeClock()
    with FakeMastodon(token="t", media_processing_polls=None) as fake:
        pub = make_publisher(fake, "t", clock=clock, sleep=clock.sleep)
        with pytest.raises(Transient, match="still processing after 30 s"):
            pub.publish(post("stuck", images=(Image("https://s.example/a.png", "alt"),)), identity=identity())
        polls = [r for r in fake.requests if r.method == "GET" and r.path.startswith("/api/v1/media/")]
        assert len(polls) == 30  # one per second of the 30 s deadline, then give up
        assert fake.statuses == []
    assert sum(clock.sleeps) == pytest.approx(30.0)


def test_image_larger_than_instance_limit_is_dropped_not_the_post(make_publisher: MakePublisher) -> None:
    # Issue 9: one rule on every network (media.prepare_image): re-encode, else post without it.
    # This used to fail the whole post as Permanent.
    with FakeMastodon(token="t", image_size_limit=100) as fake:
        pub = make_publisher(fake, "t", fetch_image=lambda url: png_bytes((64, 64)) + b"\0" * 200)
        receipt = pub.publish(post("big", images=(Image("https://s.example/a.png", "alt"),)), identity=identity())
        assert fake.requests_to("POST", "/api/v2/media") == []
        assert [s.text for s in fake.statuses] == ["big"]
    assert receipt.dropped == ("image https://s.example/a.png (still larger than 100 bytes after re-encoding)",)
