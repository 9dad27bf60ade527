"""`syndicate check`: one read per platform, who we post as, the limits found; secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from delivery.delivery_support import MASTODON_CANARY, X_CANARY, make_mastodon_fake, make_x_fake

from syndicate.cli import cli


def write_config(tmp_path: Path, x_url: str, mastodon_url: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "feed.xml"
[x]
enabled = true
api_base = "{x_url}"
[mastodon]
enabled = true
instance = "{mastodon_url}"
""")
    return path


def test_check_names_accounts_and_limits_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in X_CANARY.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("SYNDICATE_MASTODON_ACCESS_TOKEN", MASTODON_CANARY)
    with make_x_fake() as x, make_mastodon_fake(max_characters=1000, characters_reserved_per_url=30) as m:
        result = CliRunner().invoke(cli, ["check", "--config", str(write_config(tmp_path, x.base_url, m.base_url))])
        assert [r.method for r in m.requests_to("POST", "/api/v1/statuses")] == []  # no posting
    assert result.exit_code == 0, result.output
    assert "X: ok, posting as @" in result.output
    assert "Mastodon: ok, posting as @" in result.output
    assert "limit 1000 characters, URLs count 30" in result.output
    for secret in (*X_CANARY.values(), MASTODON_CANARY):
        assert secret not in result.output


def test_check_names_the_variable_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in X_CANARY.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("SYNDICATE_MASTODON_ACCESS_TOKEN", "CANARYwrongtoken99")
    monkeypatch.delenv("SYNDICATE_X_ACCESS_TOKEN_SECRET")
    with make_x_fake() as x, make_mastodon_fake() as m:
        result = CliRunner().invoke(cli, ["check", "--config", str(write_config(tmp_path, x.base_url, m.base_url))])
    assert result.exit_code == 1
    assert "SYNDICATE_X_ACCESS_TOKEN_SECRET" in result.output
    assert "Mastodon: credentials refused" in result.output
    assert "SYNDICATE_MASTODON_ACCESS_TOKEN" in result.output
    assert "CANARYwrongtoken99" not in result.output
    assert "Traceback" not in result.output
