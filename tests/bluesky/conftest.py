"""Fixtures for the Bluesky publisher tests: the reference PDS, once per test session.

The PDS (tests/pds/launcher.mjs) runs with Bluesky's real rate limits switched
on: they are keyed per login identifier, so the login-storm test uses its own
account (`carol`) and cannot starve the others, and every test sees the real
`ratelimit-*` headers. Without Node 22 / node_modules the fixture FAILS and
says to run tests/pds/install.sh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bsky_support import ImageServer, PublisherFactory, ServeImages
from pds.harness import PdsHandle, PdsNotInstalled, start_pds

from syndicate.platforms.bluesky import BlueskyPublisher, MemorySessions, SessionStore
from syndicate.settings import BlueskySettings


@pytest.fixture(scope="session")
def pds() -> Iterator[PdsHandle]:
    try:
        handle = start_pds(rate_limits=True, accounts=("alice", "bob", "carol", "dave"))
    except PdsNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(autouse=True)
def _no_leftover_faults(pds: PdsHandle) -> Iterator[None]:
    yield
    pds.clear_faults()


@pytest.fixture(scope="session")
def alice_sessions() -> MemorySessions:
    """One session store for alice across the run: most tests reuse a single login."""
    return MemorySessions()


@pytest.fixture
def make_publisher(pds: PdsHandle, alice_sessions: MemorySessions) -> PublisherFactory:
    def make(
        account: str = "alice",
        *,
        password: str | None = None,
        sessions: SessionStore | None = None,
        timeout: float = 10.0,
        fetch_image: Callable[[str], bytes] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> BlueskyPublisher:
        acct = pds.accounts[account]
        settings = BlueskySettings(enabled=True, service=pds.url, handle=acct.handle, timeout=timeout)
        if sessions is None:
            sessions = alice_sessions if account == "alice" else MemorySessions()
        kwargs: dict[str, Any] = {"sessions": sessions, "fetch_image": fetch_image}
        if clock is not None:
            kwargs["clock"] = clock
        return BlueskyPublisher(settings, acct.password if password is None else password, **kwargs)

    return make


@pytest.fixture
def image_server() -> Iterator[ServeImages]:
    servers: list[ImageServer] = []

    def serve(files: dict[str, tuple[bytes, str]]) -> ImageServer:
        s = ImageServer(files)
        servers.append(s)
        return s

    yield serve
    for s in servers:
        s.close()
