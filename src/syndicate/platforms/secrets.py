"""The one way every adapter reads a secret: the variable itself, or the file `<VAR>_FILE` names.

Every account but the default three reads its own variables: `<VAR>__<ACCOUNT>`
(`settings.secret_variable`, re-exported here), e.g. SYNDICATE_BLUESKY_APP_PASSWORD__ANA_BSKY.

A file suits Docker/systemd secrets, which never enter the environment. Anything wrong
with the file (unreadable, not UTF-8, empty) is an `AuthError` naming `<VAR>_FILE` and
the path, never the file's content: a decode error would quote its bytes, so it is
not chained either.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from syndicate.errors import AuthError
from syndicate.settings import secret_variable

__all__ = ["read_secret", "secret_variable"]


def read_secret(environ: Mapping[str, str], variable: str, *, platform: str) -> str | None:
    """The secret in `variable` (stripped), else in the file `<variable>_FILE` names; None when neither is set."""
    value = environ.get(variable, "").strip()
    if value:
        return value
    file_variable = f"{variable}_FILE"
    path = environ.get(file_variable, "").strip()
    if not path:
        return None
    try:
        content = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise AuthError(platform, f"{file_variable}={path}: cannot read it ({reason})",
                        variable=file_variable) from None
    if not content:
        raise AuthError(platform, f"{file_variable}={path}: the file is empty", variable=file_variable)
    return content
