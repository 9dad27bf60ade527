"""The access token never shows: not in errors, reprs, logs, nor anywhere on the wire but its header."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Iterator

import pytest
from fakes.mastodon_api import API_STATUSES, FakeMastodon
from mastodon_support import MakePublisher, identity, post

from syndicate.errors import PlatformError
from syndicate.model import Image

CANARY = "canary-" + secrets.token_urlsafe(24)


def _everything_about(exc: BaseException) -> Iterator[str]:
    seen: BaseException | None = exc
    while seen is not None:
        yield str(seen)
        yield repr(seen)
        yield repr(seen.args)
        seen = seen.__cause__ or seen.__context__
    yield "".join(traceback.format_exception(exc))


def test_canary_token_never_leaks(make_publisher: MakePublisher, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    texts: list[str] = []
    with FakeMastodon(token=CANARY, media_processing_polls=1) as fake:
        pub = make_publisher(fake, CANARY, timeout=0.3, media_poll=0.0)
        texts.append(repr(pub))
        texts.append(repr(pub.check()))
        pub.publish(post("with image", images=(Image("https://s.example/a.png", "alt"),)), identity=identity(1))
        pub.find(post("with image"), identity=identity(1))
        fake.fail_next(status=429)
        fake.fail_next(status=500)
        fake.fail_next(status=422, error="Validation failed: nope")
        fake.malformed_next()
        fake.stall_after_store(5.0)
        fake.delay_next(5.0, method="POST", path=API_STATUSES)
        errors: list[PlatformError] = []
        for n in range(2, 8):
            with pytest.raises(PlatformError) as info:
                pub.publish(post(f"part {n}"), identity=identity(n))
            errors.append(info.value)
        assert [type(e).__name__ for e in errors] == [
            "RateLimited", "Transient", "Permanent", "Transient", "Transient", "Transient"]
        requests = list(fake.requests)

    with FakeMastodon(token="the-real-token") as other:  # the canary is now a rejected token
        with pytest.raises(PlatformError) as info:
            make_publisher(other, CANARY).publish(post("hello"), identity=identity())
        errors.append(info.value)

    for error in errors:
        texts.extend(_everything_about(error))
    texts.append(caplog.text)
    assert caplog.records  # something was logged, so the check below means something
    for text in texts:
        assert CANARY not in text

    # On the wire it travels only as the Authorization header.
    for request in requests:
        assert request.headers.get("Authorization") == f"Bearer {CANARY}" or request.path.endswith("instance")
        assert CANARY not in request.path + repr(request.query) + request.body.decode("latin-1")
        assert not any(CANARY in v for k, v in request.headers.items() if k != "Authorization")


def test_token_in_a_library_message_is_redacted(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    # Defence in depth: if an SDK message ever quoted the token, ours would not.
    from mastodon.errors import MastodonNetworkError

    pub = make_publisher(fake, CANARY)
    error = pub._translate(MastodonNetworkError(f"Could not complete request: bad header Bearer {CANARY}"), "posting")
    assert CANARY not in str(error)
    assert "[redacted]" in str(error)


def test_short_test_tokens_do_not_mangle_messages(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    # A bug seen while writing these tests: redacting a token "t" rewrote "posting" as "pos[redacted]ing".
    with FakeMastodon(token="t") as short:
        with pytest.raises(PlatformError) as info:
            make_publisher(short, "t").publish(post("x" * 501), identity=identity())
    assert "posting part 1" in str(info.value)
