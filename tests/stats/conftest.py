"""Fixtures for the stats tests: the reference PDS (once per session), for two Bluesky accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pds.harness import PdsHandle, PdsNotInstalled, start_pds


@pytest.fixture(scope="session")
def pds() -> Iterator[PdsHandle]:
    """Not installed is an error that says how to fix it, not a skip (as in tests/delivery)."""
    try:
        handle = start_pds(accounts=("bob", "carol"))
    except PdsNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield handle
    finally:
        handle.stop()
