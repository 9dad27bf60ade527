"""Fixtures for the Mastodon publisher tests: a fresh fake instance per test, publishers pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes import mastodon_api
from fakes.mastodon_api import FakeMastodon
from mastodon_support import TOKEN, ImageServer, MakePublisher, png_bytes

from syndicate.platforms.mastodon import MastodonPublisher
from syndicate.settings import MastodonSettings


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(token=TOKEN) as server:
        yield server


@pytest.fixture
def make_publisher() -> MakePublisher:
    def make(server: FakeMastodon, token: str = TOKEN, *, timeout: float = 5.0,
             visibility: str = "public", spoiler_text: str | None = None, **kw: Any) -> MastodonPublisher:
        settings = MastodonSettings(enabled=True, instance=server.base_url, timeout=timeout,
                                    visibility=visibility, spoiler_text=spoiler_text)
        kw.setdefault("fetch_image", lambda url: png_bytes())
        return MastodonPublisher(settings, token, **kw)

    return make


@pytest.fixture
def publisher(fake: FakeMastodon, make_publisher: MakePublisher) -> MastodonPublisher:
    made: MastodonPublisher = make_publisher(fake)
    return made


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _only_documented_parameters() -> Iterator[None]:
    """No Mastodon test sends a parameter the docs do not list (the server would drop it without a
    word), unless it does so on purpose and clears `mastodon_api.UNPERMITTED` after checking."""
    mastodon_api.UNPERMITTED.clear()
    yield
    assert mastodon_api.UNPERMITTED == [], "parameters Mastodon does not document were sent"
