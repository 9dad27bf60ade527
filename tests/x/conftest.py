"""Fixtures for the X adapter tests: a fake X API v2 on loopback and a publisher pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes import _x_spec
from fakes.x_api import XApiFake
from x_support import CANARY, CANARY_OAUTH2, MakePublisher, clock

from syndicate.platforms.x import XCredentials, XPublisher
from syndicate.settings import XSettings


@pytest.fixture
def fake() -> Iterator[XApiFake]:
    with XApiFake(
        consumer_key=CANARY.consumer_key,
        consumer_secret=CANARY.consumer_secret,
        access_token=CANARY.access_token,
        access_token_secret=CANARY.access_token_secret,
        oauth2_token=CANARY_OAUTH2,
        clock=clock,
    ) as server:
        yield server


@pytest.fixture
def make_publisher(fake: XApiFake) -> MakePublisher:
    def make(
        credentials: XCredentials = CANARY,
        *,
        timeout: float = 5.0,
        handle: str | None = "syndicate_test",
        api_base: str | None = None,
        **kwargs: object,
    ) -> XPublisher:
        settings = XSettings(enabled=True, api_base=api_base or fake.base_url, handle=handle, timeout=timeout)
        return XPublisher(settings, credentials, clock=clock, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def publisher(make_publisher: MakePublisher) -> XPublisher:
    return make_publisher()


@pytest.fixture(autouse=True)
def _requests_conform_to_xs_spec() -> Iterator[None]:
    """Every request made in an X test conforms to X's spec, unless the test sent a bad one on purpose
    (and cleared `_x_spec.REFUSED` after checking the answer)."""
    _x_spec.REFUSED.clear()
    yield
    assert _x_spec.REFUSED == [], "requests X's spec refuses were sent"
