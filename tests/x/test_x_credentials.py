"""X credentials from the environment (or files named by <VAR>_FILE), and the rate-header rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.errors import AuthError
from syndicate.platforms.base import RateInfo
from syndicate.platforms.x import XCredentials, comparable_text
from syndicate.platforms.x.errors import DEFAULT_BACKOFF, blocked_until, parse_rate

FULL = {
    "SYNDICATE_X_CONSUMER_KEY": "ck",
    "SYNDICATE_X_CONSUMER_SECRET": "cs",
    "SYNDICATE_X_ACCESS_TOKEN": "at",
    "SYNDICATE_X_ACCESS_TOKEN_SECRET": "ats",
}


def test_from_env_reads_the_four_oauth1_values() -> None:
    creds = XCredentials.from_env(FULL)
    assert (creds.consumer_key, creds.consumer_secret, creds.access_token, creds.access_token_secret) == (
        "ck", "cs", "at", "ats",
    )
    assert creds.user_auth


def test_from_env_reads_files_and_strips_the_newline(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n", encoding="utf-8")
    env = {k: v for k, v in FULL.items() if k != "SYNDICATE_X_ACCESS_TOKEN_SECRET"}
    env["SYNDICATE_X_ACCESS_TOKEN_SECRET_FILE"] = str(secret_file)
    assert XCredentials.from_env(env).access_token_secret == "from-a-file"


def test_missing_variables_are_all_named() -> None:
    env = {"SYNDICATE_X_CONSUMER_KEY": "ck", "SYNDICATE_X_ACCESS_TOKEN": "at"}
    with pytest.raises(AuthError) as info:
        XCredentials.from_env(env)
    assert info.value.variable == "SYNDICATE_X_CONSUMER_SECRET"
    assert "SYNDICATE_X_CONSUMER_SECRET" in str(info.value)
    assert "SYNDICATE_X_ACCESS_TOKEN_SECRET" in str(info.value)
    assert "SYNDICATE_X_CONSUMER_KEY," not in str(info.value)  # present ones are not listed as missing


def test_unreadable_or_empty_file_names_the_file_variable(tmp_path: Path) -> None:
    env = dict(FULL)
    del env["SYNDICATE_X_CONSUMER_SECRET"]
    env["SYNDICATE_X_CONSUMER_SECRET_FILE"] = str(tmp_path / "absent")
    with pytest.raises(AuthError) as info:
        XCredentials.from_env(env)
    assert info.value.variable == "SYNDICATE_X_CONSUMER_SECRET_FILE"
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    env["SYNDICATE_X_CONSUMER_SECRET_FILE"] = str(tmp_path / "empty")
    with pytest.raises(AuthError, match="empty"):
        XCredentials.from_env(env)


def test_oauth2_token_selects_oauth2() -> None:
    creds = XCredentials.from_env({"SYNDICATE_X_OAUTH2_TOKEN": "tok"})
    assert creds.bearer_user_token == "tok" and not creds.user_auth


def test_from_env_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    assert XCredentials.from_env().access_token == "at"


def test_repr_hides_every_value() -> None:
    creds = XCredentials.from_env(FULL)
    for text in (repr(creds), str(creds), f"{creds}"):
        assert "cs" not in text.replace("XCredentials", "") and "ats" not in text


# -- rate headers (pure) -------------------------------------------------------------


def test_parse_rate_picks_the_binding_24_hour_cap() -> None:
    info = parse_rate({
        "x-rate-limit-limit": "100", "x-rate-limit-remaining": "99", "x-rate-limit-reset": "1000",
        "x-user-limit-24hour-limit": "100", "x-user-limit-24hour-remaining": "3", "x-user-limit-24hour-reset": "5000",
        "x-app-limit-24hour-limit": "1667", "x-app-limit-24hour-remaining": "900", "x-app-limit-24hour-reset": "6000",
    })
    assert info == RateInfo(100, 99, 1000.0, 100, 3, 5000.0)
    assert parse_rate({"content-type": "application/json"}) is None
    assert parse_rate({"x-rate-limit-remaining": "garbled"}) is None


def test_blocked_until_rules() -> None:
    now = 500.0
    assert blocked_until({"x-rate-limit-reset": "900", "x-rate-limit-remaining": "0"}, now) == 900
    assert blocked_until({}, now) == now + DEFAULT_BACKOFF
    spent_day = {
        "x-rate-limit-reset": "900", "x-rate-limit-remaining": "4",
        "x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": "80000",
    }
    assert blocked_until(spent_day, now) == 80000
    both = dict(spent_day, **{"x-rate-limit-remaining": "0", "x-rate-limit-reset": "90000"})
    assert blocked_until(both, now) == 90000  # the later of the two


def test_comparable_text_drops_links_and_entities() -> None:
    sent = "Q&A <live>:  https://example.com/a?b=1\n\nexample.org/x  #tag"
    back = "Q&amp;A &lt;live&gt;: https://t.co/abcdef1234\n\nhttps://t.co/0123456789 #tag"
    assert comparable_text(sent) == comparable_text(back) == "Q&A <live>: #tag"


def test_secret_file_that_is_not_utf8_is_an_auth_error_naming_it(tmp_path: Path) -> None:
    # Issue 10: a UnicodeDecodeError used to escape and stop the whole run (and could quote file bytes).
    env = dict(FULL)
    del env["SYNDICATE_X_ACCESS_TOKEN_SECRET"]
    (tmp_path / "binary").write_bytes(b"\xff\xfesecret-bytes")
    env["SYNDICATE_X_ACCESS_TOKEN_SECRET_FILE"] = str(tmp_path / "binary")
    with pytest.raises(AuthError, match="not UTF-8") as info:
        XCredentials.from_env(env)
    assert info.value.variable == "SYNDICATE_X_ACCESS_TOKEN_SECRET_FILE"
    assert "SYNDICATE_X_ACCESS_TOKEN_SECRET_FILE" in str(info.value)
    assert "secret-bytes" not in str(info.value) and info.value.__cause__ is None
