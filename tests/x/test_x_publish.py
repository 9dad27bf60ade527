"""Publishing to X through tweepy against the fake X API v2: posts, threads, images, find, check."""

from __future__ import annotations

import pytest
from fakes._http import FakeHTTPServer, Response
from fakes.x_api import XApiFake, display_text
from x_support import CANARY_OAUTH2, NOW, MakePublisher, ident, png_bytes, post

from syndicate.model import Image, ReplyTo
from syndicate.netguard import FetchPolicy
from syndicate.platforms.media import fetch_image, trim_alt_text
from syndicate.platforms.x import XCredentials, XPublisher

# The image server is on loopback: content fetches reach it only when allowed (netguard).
LOCAL = FetchPolicy.for_feeds([], ["127.0.0.0/8"])


def test_single_post_lands_once_with_receipt(fake: XApiFake, publisher: XPublisher) -> None:
    receipt = publisher.publish(post("Dispatch: the river rose overnight https://example.com/river"), identity=ident())

    assert [t.text for t in fake.tweets] == ["Dispatch: the river rose overnight https://example.com/river"]
    stored = fake.tweets[0]
    assert receipt.platform == "x"
    assert receipt.id == stored.id and receipt.id.isdigit()
    assert receipt.url == f"https://x.com/syndicate_test/status/{stored.id}"
    assert stored.reply_to is None
    assert len(fake.calls("POST", "/2/tweets")) == 1


def test_four_part_thread_each_replies_to_the_previous(fake: XApiFake, publisher: XPublisher) -> None:
    texts = [f"{i}/4 part {i} of the thread" for i in range(1, 5)]
    root = publisher.publish(post(texts[0]), identity=ident(1))
    parent = root
    receipts = [root]
    for i, text in enumerate(texts[1:], start=2):
        parent = publisher.publish(post(text), identity=ident(i), reply_to=ReplyTo(root=root, parent=parent))
        receipts.append(parent)

    assert [t.text for t in fake.tweets] == texts
    assert fake.tweets[0].reply_to is None
    for prev, cur in zip(fake.tweets, fake.tweets[1:], strict=False):
        assert cur.reply_to == prev.id
    assert [r.id for r in receipts] == [t.id for t in fake.tweets]
    ids = [int(r.id) for r in receipts]
    assert ids == sorted(ids) and len(set(ids)) == 4  # snowflake-like: increasing


def test_post_with_image_uploads_media_and_alt_text(fake: XApiFake, make_publisher: MakePublisher) -> None:
    image = png_bytes()
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return image

    publisher = make_publisher(fetch_image=fetch)
    publisher.publish(
        post("Flood photo", Image(url="https://example.com/flood.png", alt="A flooded street at dawn")),
        identity=ident(),
    )

    assert fetched == ["https://example.com/flood.png"]
    (stored,) = fake.tweets
    assert len(stored.media_ids) == 1
    assert stored.alt_texts == ("A flooded street at dawn",)
    media = fake.media[stored.media_ids[0]]
    assert media.category == "tweet_image" and media.mime_type == "image/png" and media.size == len(image)
    upload = fake.calls("POST", "/2/media/upload")[0]
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert len(fake.calls("POST", "/2/media/metadata")) == 1


def test_image_without_alt_text_skips_metadata_call(fake: XApiFake, make_publisher: MakePublisher) -> None:
    publisher = make_publisher(fetch_image=lambda url: png_bytes())
    publisher.publish(post("No alt", Image(url="https://example.com/a.png")), identity=ident())
    assert len(fake.tweets[0].media_ids) == 1
    assert fake.calls("POST", "/2/media/metadata") == []


def test_long_alt_text_is_trimmed_to_1000_at_a_grapheme_boundary(fake: XApiFake, make_publisher: MakePublisher) -> None:
    family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # one grapheme, five code points
    alt = "a" * 997 + family + " and more"
    publisher = make_publisher(fetch_image=lambda url: png_bytes())
    publisher.publish(post("Family", Image(url="https://example.com/f.png", alt=alt)), identity=ident())
    # The emoji did not fit whole, so it was left out; the ellipsis says the text was cut.
    assert fake.tweets[0].alt_texts == ("a" * 997 + "…",)
    assert trim_alt_text("x" * 995 + family, 1000) == "x" * 995 + family  # exactly 1000 fits


def test_non_image_bytes_post_without_the_image(fake: XApiFake, make_publisher: MakePublisher) -> None:
    publisher = make_publisher(fetch_image=lambda url: b"<html>not an image</html>")
    publisher.publish(post("Text survives", Image(url="https://example.com/x", alt="x")), identity=ident())
    assert fake.tweets[0].media_ids == ()
    assert fake.calls("POST", "/2/media/upload") == []


def test_default_image_fetch_over_http_with_size_cap() -> None:
    image = png_bytes()
    server = FakeHTTPServer()
    server.route("GET", "/img.png", lambda req, m: Response(200, image, {"content-type": "image/png"}))
    server.route("GET", "/big.png", lambda req, m: Response(200, b"\x89PNG" + b"0" * 2000))
    server.route("GET", "/gone.png", lambda req, m: Response(404, b"gone"))
    from syndicate.errors import Permanent

    with server:
        assert fetch_image(f"{server.base_url}/img.png", platform="x", timeout=5, policy=LOCAL) == image
        with pytest.raises(Permanent, match="larger than 1000 bytes"):
            fetch_image(f"{server.base_url}/big.png", platform="x", timeout=5, max_bytes=1000, policy=LOCAL)
        with pytest.raises(Permanent, match="HTTP 404"):
            fetch_image(f"{server.base_url}/gone.png", platform="x", timeout=5, policy=LOCAL)


def test_find_sees_through_tco_and_html_escaping(fake: XApiFake, publisher: XPublisher) -> None:
    text = "Q&A <live> now: https://example.com/live?x=1 #news"
    receipt = publisher.publish(post(text), identity=ident())
    # What X hands back is not what we sent: the link is t.co, & and < are escaped.
    assert "https://t.co/" in display_text(text) and "&amp;" in display_text(text)
    assert fake.tweets[0].text == text

    found = publisher.find(post(text), identity=ident())
    assert found == receipt


def test_find_requires_the_same_reply_parent(fake: XApiFake, publisher: XPublisher) -> None:
    first = fake.seed("first")
    other = fake.seed("other root")
    fake.seed("2/2 the same words", reply_to=other.id)
    root = publisher._receipt(first.id)
    reply_to = ReplyTo(root=root, parent=root)
    assert publisher.find(post("2/2 the same words"), identity=ident(2), reply_to=reply_to) is None
    assert publisher.find(post("2/2 the same words"), identity=ident(2)) is None  # not a top-level post either
    under_first = fake.seed("2/2 the same words!", reply_to=first.id)
    found = publisher.find(post("2/2 the same words!"), identity=ident(2), reply_to=reply_to)
    assert found is not None and found.id == under_first.id


def test_find_returns_none_when_not_posted(fake: XApiFake, publisher: XPublisher) -> None:
    fake.seed("something else")
    assert publisher.find(post("never sent"), identity=ident()) is None
    # the user id is looked up once and cached
    publisher.find(post("never sent"), identity=ident())
    assert len(fake.calls("GET", "/2/users/me")) == 1


def test_check_reports_handle_name_and_limits(fake: XApiFake, make_publisher: MakePublisher) -> None:
    info = make_publisher(handle="someone_else").check()
    assert info.platform == "x"
    assert info.handle == "@syndicate_test" and info.display_name == "Syndicate Test"
    assert info.limits is not None and info.limits.max_characters == 280
    assert any("someone_else" in note for note in info.notes)
    assert make_publisher().limits().max_characters == 280


def test_receipt_url_uses_the_accounts_handle_when_none_configured(fake: XApiFake,
                                                                   make_publisher: MakePublisher) -> None:
    receipt = make_publisher(handle=None).publish(post("hello"), identity=ident())
    assert receipt.url == f"https://x.com/syndicate_test/status/{receipt.id}"


def test_last_rate_exposes_posting_quota(fake: XApiFake, publisher: XPublisher) -> None:
    fake.set_limit("POST /2/tweets", 5)
    fake.set_daily_limit("POST /2/tweets", 17)
    assert publisher.last_rate is None
    publisher.publish(post("one"), identity=ident())
    rate = publisher.last_rate
    assert rate is not None
    assert (rate.limit, rate.remaining, rate.reset) == (5, 4, NOW + 900)
    assert (rate.day_limit, rate.day_remaining, rate.day_reset) == (17, 16, NOW + 86400)
    publisher.check()  # other endpoints are tracked apart
    assert publisher.last_rate == rate
    assert publisher.rates["GET /2/users/me"].limit == 75


def test_oauth2_user_token_posts_with_bearer(fake: XApiFake, make_publisher: MakePublisher) -> None:
    publisher = make_publisher(XCredentials(bearer_user_token=CANARY_OAUTH2), fetch_image=lambda u: png_bytes())
    publisher.publish(post("via oauth2", Image(url="https://example.com/i.png", alt="alt")), identity=ident())
    assert fake.tweets[0].text == "via oauth2" and fake.tweets[0].alt_texts == ("alt",)
    for request in fake.requests:
        assert request.headers["authorization"] == f"Bearer {CANARY_OAUTH2}"


def test_two_publishers_in_one_process_keep_their_own_hosts() -> None:
    # The rebasing lives in each publisher's session, not in tweepy: two fakes, two publishers.
    from x_support import CANARY, clock

    from syndicate.settings import XSettings

    kwargs = dict(
        consumer_key=CANARY.consumer_key, consumer_secret=CANARY.consumer_secret,
        access_token=CANARY.access_token, access_token_secret=CANARY.access_token_secret, clock=clock,
    )
    with XApiFake(**kwargs) as a, XApiFake(**kwargs) as b:  # type: ignore[arg-type]
        pa = XPublisher(XSettings(api_base=a.base_url, handle="h"), CANARY, clock=clock)
        pb = XPublisher(XSettings(api_base=b.base_url, handle="h"), CANARY, clock=clock)
        pa.publish(post("to a"), identity=ident())
        pb.publish(post("to b"), identity=ident())
        assert [t.text for t in a.tweets] == ["to a"] and [t.text for t in b.tweets] == ["to b"]
