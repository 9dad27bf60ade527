"""Secrets never leak: not in errors, reprs or DEBUG logs (tweepy and oauthlib log headers), not on the wire."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from fakes.x_api import XApiFake
from x_support import CANARY, CANARY_OAUTH2, MakePublisher, ident, png_bytes, post

from syndicate.errors import PlatformError
from syndicate.model import Image
from syndicate.platforms.x import XCredentials, XPublisher

TWEETS = r"/2/tweets"


def _exception_texts(exc: BaseException | None) -> list[str]:
    texts: list[str] = []
    while exc is not None:
        texts += [str(exc), repr(exc), *(str(a) for a in exc.args)]
        exc = exc.__cause__ or exc.__context__
    return texts


def _run_everything(fake: XApiFake, publisher: XPublisher) -> list[str]:
    """Drive success and every failure path; return every error text produced."""
    texts: list[str] = []
    publisher.check()
    publisher.publish(post("ok", Image(url="https://example.com/i.png", alt="alt")), identity=ident())
    publisher.find(post("ok"), identity=ident())
    fake.faults.next(status=429, headers={"x-rate-limit-reset": "1"}, path=TWEETS)
    fake.faults.next(status=503, body="down", path=TWEETS)
    fake.faults.malformed_json(path=TWEETS)
    fake.faults.store_then_stall(30.0, path=TWEETS)
    for i, text in enumerate(["a", "b", "c", "d", "ok"]):  # 429, 503, malformed, timeout, duplicate
        with pytest.raises(PlatformError) as info:
            publisher.publish(post(text), identity=ident(i + 2))
        texts += _exception_texts(info.value)
    return texts


@pytest.mark.parametrize("mode", ["oauth1", "oauth2"])
def test_canaries_never_in_errors_reprs_or_debug_logs(
    fake: XApiFake, make_publisher: MakePublisher, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    credentials = CANARY if mode == "oauth1" else XCredentials(bearer_user_token=CANARY_OAUTH2)
    secrets = CANARY.secrets() + (CANARY_OAUTH2,)
    caplog.set_level(logging.DEBUG)
    publisher = make_publisher(credentials, timeout=0.3, fetch_image=lambda url: png_bytes())
    texts = _run_everything(fake, publisher)
    # a wrong token, too
    bad = XCredentials(CANARY.consumer_key, CANARY.consumer_secret, CANARY.access_token, "nope")
    if mode == "oauth2":
        bad = XCredentials(bearer_user_token=CANARY_OAUTH2 + "x")
    with pytest.raises(PlatformError) as info:
        make_publisher(bad).publish(post("z"), identity=ident())
    texts += _exception_texts(info.value)
    texts += [repr(publisher), str(publisher), repr(credentials), str(credentials), repr(publisher.__dict__)]

    # The SDKs really did log at DEBUG (so the check below could have failed).
    loggers = {r.name for r in caplog.records}
    assert "tweepy.client" in loggers
    if mode == "oauth1":
        assert "requests_oauthlib.oauth1_auth" in loggers
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for secret in secrets:
        assert secret not in logged
        for text in texts:
            assert secret not in text, text


def test_signing_secrets_never_go_over_the_wire(fake: XApiFake, make_publisher: MakePublisher) -> None:
    publisher = make_publisher(fetch_image=lambda url: png_bytes())
    publisher.publish(post("hello", Image(url="https://example.com/i.png", alt="alt")), identity=ident())
    assert len(fake.requests) == 3  # upload, alt text, post
    for request in fake.requests:
        wire = repr(request.headers).encode() + request.body
        assert CANARY.consumer_secret.encode() not in wire
        assert CANARY.access_token_secret.encode() not in wire


def test_importing_the_adapter_does_not_import_tweepy() -> None:
    code = (
        "import sys, syndicate.platforms.x\n"
        "heavy = [m for m in ('tweepy', 'requests', 'requests_oauthlib', 'oauthlib', 'httpx') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
