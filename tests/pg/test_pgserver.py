"""The throwaway cluster itself: it answers on loopback, trusts the test user, and makes the canary authenticate."""

from __future__ import annotations

import psycopg
import pytest
from pgserver import CANARY_PASSWORD, CANARY_ROLE, PgServer


def test_cluster_answers_and_gives_fresh_databases(pg_server: PgServer, pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) >= 150000
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
    assert pg_server.new_database() != pg_url


def test_canary_role_needs_its_password(pg_server: PgServer, pg_url: str) -> None:
    url = pg_url.replace("postgres@", f"{CANARY_ROLE}@")
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(url).close()
    with psycopg.connect(url, password=CANARY_PASSWORD) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (CANARY_ROLE,)
