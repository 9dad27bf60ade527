"""[state] url: a PostgreSQL URL selects the shared backend; mistakes are one line, never echoing a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import cli
from syndicate.config import load_config
from syndicate.store import state_label

FEEDS = """
[[feeds]]
url = "https://example.org/feed.xml"
name = "site"

[mastodon]
enabled = true
instance = "https://mastodon.example"
"""


def _config(tmp_path: Path, state: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(f"[state]\n{state}\n{FEEDS}", encoding="utf-8")
    return path


def test_url_selects_postgresql_and_its_password_is_never_shown(tmp_path: Path) -> None:
    settings = load_config(_config(tmp_path, 'url = "postgresql://syn:S3CRETpw@db.example:5432/syn"'))
    assert settings.state_url == "postgresql://syn:S3CRETpw@db.example:5432/syn"
    assert state_label(settings) == "postgresql://syn:***@db.example:5432/syn"
    default = load_config(_config(tmp_path, ""))
    assert default.state_url is None and state_label(default) == str(default.state_path)


@pytest.mark.parametrize(("state", "message"), [
    ('url = "mysql://u:S3CRETpw@db/x"', "state.url: expected a PostgreSQL URL"),
    ('url = "sqlite:///S3CRETpw.db"', "state.url: expected a PostgreSQL URL"),
    ("url = 5", "state.url: expected a PostgreSQL URL"),
    ('url = "postgresql://u:S3CRETpw@db/x"\npath = "s.db"', "state: set either path (an SQLite file, one host) or url"),
])
def test_bad_state_urls_are_one_line_errors(tmp_path: Path, state: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["status", "--config", str(_config(tmp_path, state))])
    assert result.exit_code == 2
    assert message in result.output
    assert "S3CRETpw" not in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
