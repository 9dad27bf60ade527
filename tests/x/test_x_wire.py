"""What the X adapter sends is what X's published spec allows, and X's documented refusals are understood.

The fake checks every request against the vendored part of X's OpenAPI spec
(tests/fakes/spec/x_openapi.json); the conformance test here also runs every
request the adapter made through the validator on its own, so a fake that
forgot to check could not hide a bad request.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from delivery.delivery_support import X_CANARY, make_x_fake
from fakes import _x_spec
from fakes._x_wire import parse_multipart
from fakes.x_api import CURRENT_REPLY_REFUSED_DETAIL, REPLY_REFUSED_DETAIL, XApiFake
from PIL import Image as PILImage
from x_support import CANARY, CANARY_OAUTH2, MakePublisher, ident, png_bytes, post

from syndicate.cli import cli
from syndicate.errors import AuthError, PaymentRequired, ReplyRefused, Unknown
from syndicate.model import Image, ReplyTo
from syndicate.platforms.x import OAUTH2_SCOPES, XCredentials, XPublisher

OPERATIONS = {"createPosts", "getUsersMe", "getUsersPosts", "mediaUpload", "createMediaMetadata"}


def gif_bytes() -> bytes:
    buf = io.BytesIO()
    frames = [PILImage.new("P", (8, 8), i) for i in (1, 2)]
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


IMAGES = {"https://img.test/a.png": png_bytes(), "https://img.test/b.gif": gif_bytes()}


def _drive_every_operation(fake: XApiFake, publisher: XPublisher) -> None:
    root = publisher.publish(post("1/3 teaser https://example.com/story"), identity=ident(1))
    second = publisher.publish(
        post("2/3 with a photo", Image(url="https://img.test/a.png", alt="A flooded street")),
        identity=ident(2), reply_to=ReplyTo(root=root, parent=root),
    )
    publisher.publish(
        post("3/3 with a GIF", Image(url="https://img.test/b.gif", alt="The water rising, looped")),
        identity=ident(3), reply_to=ReplyTo(root=root, parent=second),
    )
    assert publisher.find(post("1/3 teaser https://example.com/story"), identity=ident(1)) is not None
    publisher.check()


@pytest.mark.parametrize("oauth", ["oauth1", "oauth2"])
def test_every_request_the_adapter_makes_conforms_to_the_spec(
    fake: XApiFake, make_publisher: MakePublisher, oauth: str
) -> None:
    credentials = XCredentials(bearer_user_token=CANARY_OAUTH2) if oauth == "oauth2" else CANARY
    _drive_every_operation(fake, make_publisher(credentials, fetch_image=IMAGES.__getitem__))

    seen = set()
    for request in fake.requests:
        op = _x_spec.operation(request.method, request.path)
        assert op is not None, f"{request.method} {request.path} is not in the vendored spec"
        seen.add(op.operation_id)
        problems = _x_spec.violations(request.method, request.path, request.query,
                                      request.headers.get("content-type", ""), request.body)
        assert problems == [], f"{request.method} {request.path}: {problems}"
    assert seen == OPERATIONS  # every operation the adapter uses was exercised and checked
    assert len(fake.tweets) == 3


def test_image_and_gif_uploads_carry_only_media_and_their_category(
    fake: XApiFake, make_publisher: MakePublisher
) -> None:
    _drive_every_operation(fake, make_publisher(fetch_image=IMAGES.__getitem__))

    uploads = fake.calls("POST", "/2/media/upload")
    assert len(uploads) == 2
    for upload in uploads:
        fields = _x_spec.multipart_fields_as_body(parse_multipart(upload.body, upload.headers["content-type"]))
        assert set(fields) == {"media", "media_category"}  # no media_type: the schema has none
    photo, gif = fake.tweets[1], fake.tweets[2]
    assert fake.media[photo.media_ids[0]].category == "tweet_image"
    assert fake.media[photo.media_ids[0]].mime_type == "image/png"
    assert fake.media[gif.media_ids[0]].category == "tweet_gif"
    assert fake.media[gif.media_ids[0]].mime_type == "image/gif"
    assert photo.alt_texts == ("A flooded street",)
    assert gif.alt_texts == ("The water rising, looped",)


def test_unknown_body_field_gets_xs_invalid_request(fake: XApiFake) -> None:
    auth = {"Authorization": f"Bearer {CANARY_OAUTH2}"}
    answer = requests.post(f"{fake.base_url}/2/tweets", json={"text": "hi", "media_type": "image/png"},
                           headers=auth, timeout=5)
    assert answer.status_code == 400
    body = answer.json()
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["errors"] == [{"message": "$.media_type: is not defined in the schema and the schema does not "
                                          "allow additional properties"}]
    upload = requests.post(f"{fake.base_url}/2/media/upload", headers=auth, timeout=5,
                           files={"media": ("image", png_bytes(), "image/png")},
                           data={"media_category": "tweet_image", "media_type": "image/png"})
    assert upload.status_code == 400 and "$.media_type" in upload.text
    wrong_category = requests.post(f"{fake.base_url}/2/media/upload", headers=auth, timeout=5,
                                   files={"media": ("image", png_bytes(), "image/png")},
                                   data={"media_category": "photo"})
    assert wrong_category.status_code == 400 and "$.media_category" in wrong_category.text
    query = requests.get(f"{fake.base_url}/2/users/{fake.user['id']}/tweets", params={"count": "5"},
                         headers=auth, timeout=5)
    assert query.status_code == 400 and "[count]" in query.text
    assert fake.tweets == [] and fake.media == {}
    assert len(_x_spec.REFUSED) == 4  # the fake logged each refusal; sent on purpose here
    _x_spec.REFUSED.clear()


# -- replies: X allows self-threads and refuses replies to others' posts ----------------------------


def test_self_thread_is_allowed(fake: XApiFake, publisher: XPublisher) -> None:
    root = publisher.publish(post("1/2 ours"), identity=ident(1))
    publisher.publish(post("2/2 ours"), identity=ident(2), reply_to=ReplyTo(root=root, parent=root))
    assert fake.tweets[1].reply_to == root.id


@pytest.mark.parametrize("wording, detail", [("current", CURRENT_REPLY_REFUSED_DETAIL),
                                             ("feb2026", REPLY_REFUSED_DETAIL)])
def test_reply_to_someone_elses_post_is_reply_refused_in_either_wording(
    fake: XApiFake, publisher: XPublisher, wording: str, detail: str
) -> None:
    fake.reply_refusal = wording
    theirs = fake.seed("a post by someone else", author_id="42")
    parent = publisher._receipt(theirs.id)
    with pytest.raises(ReplyRefused) as info:
        publisher.publish(post("a reply"), identity=ident(2), reply_to=ReplyTo(root=parent, parent=parent))
    assert detail in info.value.reason
    assert len(fake.tweets) == 1


def test_reply_is_allowed_where_the_author_mentioned_us(fake: XApiFake, publisher: XPublisher) -> None:
    theirs = fake.seed("hey @syndicate_test, what happened?", author_id="42")
    parent = publisher._receipt(theirs.id)
    publisher.publish(post("the answer"), identity=ident(2), reply_to=ReplyTo(root=parent, parent=parent))
    assert fake.tweets[-1].reply_to == theirs.id


# -- money: credits depleted (402) and the monthly spend cap (403) ----------------------------------


@pytest.mark.parametrize("cause", ["credits", "spend_cap"])
def test_out_of_credits_or_over_the_cap_is_payment_required_on_posts_and_lookups(
    fake: XApiFake, publisher: XPublisher, cause: str
) -> None:
    if cause == "credits":
        fake.credits_depleted = True
    else:
        fake.spend_cap_reached = True
    with pytest.raises(PaymentRequired) as posting:
        publisher.publish(post("hello"), identity=ident())
    assert isinstance(posting.value, AuthError)  # the platform stops for the run; nothing is the post's fault
    assert posting.value.status == (402 if cause == "credits" else 403)
    assert "next run posts" in posting.value.reason
    with pytest.raises(PaymentRequired):  # a lookup before a resend: not Unknown (which would hold the part)
        publisher.find(post("hello"), identity=ident())
    fake.credits_depleted = fake.spend_cap_reached = False  # topped up
    publisher.publish(post("hello"), identity=ident())
    assert [t.text for t in fake.tweets] == ["hello"]


def test_a_lookup_that_fails_otherwise_is_still_unknown(fake: XApiFake, publisher: XPublisher) -> None:
    fake.faults.next(status=400, body={"title": "Invalid Request", "detail": "nope", "type": "about:blank"},
                     path=r"/2/users/\d+/tweets")
    with pytest.raises(Unknown):
        publisher.find(post("hello"), identity=ident())


# -- OAuth 2 scopes ------------------------------------------------------------------------------------


def test_oauth2_token_without_media_write_names_the_scopes(fake: XApiFake, make_publisher: MakePublisher) -> None:
    fake.oauth2_scopes = frozenset({"tweet.read", "tweet.write", "users.read"})
    publisher = make_publisher(XCredentials(bearer_user_token=CANARY_OAUTH2),
                               fetch_image=lambda url: png_bytes())
    with pytest.raises(AuthError) as info:
        publisher.publish(post("photo", Image(url="https://img.test/a.png", alt="")), identity=ident())
    assert OAUTH2_SCOPES in info.value.reason
    assert OAUTH2_SCOPES == "tweet.read tweet.write users.read media.write"
    assert fake.tweets == []


def test_check_reads_the_timeline_find_relies_on(fake: XApiFake, make_publisher: MakePublisher) -> None:
    fake.oauth2_scopes = frozenset({"users.read", "tweet.write"})  # no tweet.read: reads are refused
    publisher = make_publisher(XCredentials(bearer_user_token=CANARY_OAUTH2))
    with pytest.raises(AuthError) as info:
        publisher.check()
    assert OAUTH2_SCOPES in info.value.reason
    fake.oauth2_scopes = frozenset(OAUTH2_SCOPES.split())
    publisher.check()
    assert fake.calls("GET", r"/2/users/\d+/tweets")  # check exercised the lookup `find` uses


def test_syndicate_check_says_out_of_credits_not_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in X_CANARY.items():
        monkeypatch.setenv(k, v)
    with make_x_fake() as fake:
        fake.credits_depleted = True
        config = tmp_path / "syndicate.toml"
        config.write_text(f'[state]\npath = "state.db"\n[[feeds]]\nurl = "feed.xml"\n'
                          f'[x]\nenabled = true\napi_base = "{fake.base_url}"\n')
        result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code == 1
    assert "X: out of credits or over the spend cap" in result.output and "credentials" not in result.output
