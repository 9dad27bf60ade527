"""The app password: read from the environment (or a file), and never shown anywhere."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest
from bsky_support import PublisherFactory, identity
from pds.harness import PdsHandle

from syndicate.errors import AuthError, PlatformError
from syndicate.model import Post
from syndicate.platforms.bluesky import APP_PASSWORD_VAR, MemorySessions, app_password_from_env

CANARY = "canary-app-pw-9f3c-7d1e"


def test_app_password_from_the_variable() -> None:
    assert app_password_from_env({APP_PASSWORD_VAR: " abcd-efgh-ijkl-mnop\n"}) == "abcd-efgh-ijkl-mnop"


def test_app_password_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "bsky"
    secret.write_text("abcd-efgh-ijkl-mnop\n")
    assert app_password_from_env({f"{APP_PASSWORD_VAR}_FILE": str(secret)}) == "abcd-efgh-ijkl-mnop"


def test_missing_app_password_names_the_variable() -> None:
    with pytest.raises(AuthError) as caught:
        app_password_from_env({})
    assert caught.value.variable == APP_PASSWORD_VAR
    assert APP_PASSWORD_VAR in str(caught.value) and f"{APP_PASSWORD_VAR}_FILE" in str(caught.value)


def test_unreadable_or_empty_password_file_names_it(tmp_path: Path) -> None:
    var = f"{APP_PASSWORD_VAR}_FILE"
    with pytest.raises(AuthError, match="cannot read it") as caught:
        app_password_from_env({var: str(tmp_path / "nope")})
    assert caught.value.variable == var
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(AuthError, match="the file is empty"):
        app_password_from_env({var: str(tmp_path / "empty")})


def _everything_said(exc: BaseException) -> str:
    """Message, repr, args and the formatted chain (causes included) of an exception."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_canary_password_never_appears_in_errors_logs_or_reprs(
    pds: PdsHandle, make_publisher: PublisherFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    said: list[str] = []

    wrong = make_publisher("dave", password=CANARY)
    said.append(repr(wrong))
    for action in (wrong.check, lambda: wrong.publish(Post("x", 1, 300), identity=identity())):
        with pytest.raises(AuthError) as caught:
            action()
        said.append(_everything_said(caught.value))

    # A good login with a password we treat as just as secret, then a refused post.
    dave = pds.accounts["dave"]
    store = MemorySessions()
    good = make_publisher("dave", sessions=store)
    good.publish(Post("fine", 4, 300), identity=identity())
    with pytest.raises(PlatformError) as refused:
        good.publish(Post("a" * 301, 301, 300), identity=identity())
    said.append(_everything_said(refused.value))
    said.append(repr(good))
    said.extend(store.sessions.values())  # the stored session holds tokens, never the password

    said.append(caplog.text)
    said.extend(str(r.args) for r in caplog.records)
    blob = "\n".join(said)
    assert "Invalid identifier or password" in blob  # we did capture the failures
    assert CANARY not in blob
    assert dave.password not in blob


def test_password_file_that_is_not_utf8_is_an_auth_error_naming_it(tmp_path: Path) -> None:
    # Issue 10: a UnicodeDecodeError used to escape and stop the whole run (and could quote file bytes).
    var = f"{APP_PASSWORD_VAR}_FILE"
    (tmp_path / "binary").write_bytes(b"\xff\xfesecret-bytes")
    with pytest.raises(AuthError, match="not UTF-8") as caught:
        app_password_from_env({var: str(tmp_path / "binary")})
    assert caught.value.variable == var and var in str(caught.value)
    assert "secret-bytes" not in str(caught.value) and caught.value.__cause__ is None
