"""Suite-wide isolation: config, state and caches live in a temporary directory; no real secrets leak in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import PgServer, PostgresMissing, start_postgres
from state_backends import StateTarget


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for var in ("SYNDICATE_CONFIG", "SYNDICATE_X_CONSUMER_KEY", "SYNDICATE_X_CONSUMER_SECRET",
                "SYNDICATE_X_ACCESS_TOKEN", "SYNDICATE_X_ACCESS_TOKEN_SECRET", "SYNDICATE_BLUESKY_APP_PASSWORD",
                "SYNDICATE_MASTODON_ACCESS_TOKEN", "SYNDICATE_RAISE_ERRORS"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL cluster for the session, started on first use (tests/pgserver.py).
    Not installed: the PostgreSQL tests are skipped, saying why."""
    try:
        server = start_postgres()
    except PostgresMissing as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh empty database on the session's cluster."""
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_target(request: pytest.FixtureRequest, tmp_path: Path) -> StateTarget:
    """A fresh state on each backend in turn: an SQLite file, a PostgreSQL database."""
    if request.param == "postgresql":
        return StateTarget("postgresql", tmp_path / "unused.db", request.getfixturevalue("pg_url"))
    return StateTarget("sqlite", tmp_path / "s.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    """For tests that run on both backends through a config: None (the SQLite file), then a PostgreSQL URL."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def both_backends(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                  tmp_path: Path) -> Iterator[str]:
    """Run a delivery test module on both backends (`pytestmark = pytest.mark.usefixtures("both_backends")`):
    on PostgreSQL every `Setup` gets a database of its own and `parts()` reads it there (and no state
    file may appear: a Setup made before this fixture would silently test SQLite twice)."""
    if request.param == "postgresql":
        import sys

        server: PgServer = request.getfixturevalue("pg_server")
        # Imported as `delivery_support` (delivery tests) or `delivery.delivery_support` (others): both.
        for name in ("delivery_support", "delivery.delivery_support"):
            if name in sys.modules:
                monkeypatch.setattr(sys.modules[name], "NEW_STATE_URL", server.new_database)
    yield str(request.param)
    if request.param == "postgresql":
        assert not list(tmp_path.rglob("state.db")), "a state file was made under both_backends[postgresql]"
