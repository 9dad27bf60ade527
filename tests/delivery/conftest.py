"""Fixtures for the delivery tests: the reference PDS (once per session), fake X and Mastodon servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from delivery_support import make_mastodon_fake, make_x_fake
from fakes.mastodon_api import FakeMastodon
from fakes.x_api import XApiFake
from pds.harness import PdsHandle, start_pds


@pytest.fixture(scope="session")
def pds() -> Iterator[PdsHandle]:
    """The reference PDS on loopback. Not installed is an error that says how to fix it, not a skip."""
    with start_pds(accounts=("alice", "bob", "carol", "erin")) as handle:
        yield handle


@pytest.fixture
def x_fake() -> Iterator[XApiFake]:
    with make_x_fake() as fake:
        yield fake


@pytest.fixture
def mastodon_fake() -> Iterator[FakeMastodon]:
    with make_mastodon_fake() as fake:
        yield fake

