"""Fixtures for the feed watcher's tests: a local feed server (see feedserver.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from watch.feedserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fresh server per test on 127.0.0.1, port 0: routes and logs never leak between tests."""
    with FeedServer() as server:
        yield server
