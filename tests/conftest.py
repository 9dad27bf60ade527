"""Suite-wide isolation: config, state and caches live in a temporary directory; no real secrets leak in."""

from __future__ import annotations

import pytest


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
