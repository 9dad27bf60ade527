"""Mastodon's REST API as data: per endpoint, the OAuth scopes it needs and the parameters it takes.

Written from the documentation and the server source, not generated (Mastodon
publishes no machine-readable spec); docs/platforms.md §3 in this repository
says what each entry rests on. Versions: docs.joinmastodon.org as of Mastodon
4.4 (2026), server source mastodon/mastodon `app/controllers/api/`.

* Scopes: each controller's `doorkeeper_authorize!` (a token must carry one of
  the listed scopes; `read`/`write` cover every `read:*`/`write:*`) or
  `authorize_if_got_token!` (the same check, but only when a token is sent:
  anonymous reads of public data are allowed). Source pages:
  https://docs.joinmastodon.org/methods/statuses/#create (write:statuses),
  /methods/media/#v2 and #get (write:media),
  /methods/accounts/#verify_credentials (read:accounts; `profile` since 4.3),
  /methods/accounts/#statuses (read:statuses when a token is sent),
  /methods/instance/#v2 and #v1 (public).
  A missing scope: 403 `{"error": "This action is outside the authorized scopes"}`
  (`Api::BaseController#doorkeeper_forbidden_render_options`).
* Parameters: the "Form data parameters" / "Query parameters" of each page.
  Rails' strong parameters drop names a controller does not permit, silently
  (production does not raise on unpermitted parameters), so the real server
  *ignores* an unknown field rather than refusing it; the fake does the same
  and records it in `FakeMastodon.unpermitted`, and the conformance test
  refuses any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["ENDPOINTS", "Endpoint", "INSUFFICIENT_SCOPE", "endpoint", "has_scope", "request_params", "violations"]

INSUFFICIENT_SCOPE = "This action is outside the authorized scopes"

# Parameter kinds: "string", "id" (digits), "boolean", "integer", or a tuple of allowed values.
_BOOLEAN = "boolean"


@dataclass(frozen=True)
class Endpoint:
    method: str
    pattern: str  # full-match regex of the path (no trailing slash)
    name: str
    scopes: tuple[str, ...]  # any one of these; empty: public
    only_if_token: bool  # `authorize_if_got_token!`: anonymous calls skip the scope check
    params: dict[str, Any]  # form, JSON or query parameter → kind; `name[]` for arrays


ENDPOINTS = (
    Endpoint("POST", r"/api/v1/statuses", "create status", ("write", "write:statuses"), False, {
        "status": "string", "media_ids[]": "id", "in_reply_to_id": "id", "sensitive": _BOOLEAN,
        "spoiler_text": "string", "visibility": ("public", "unlisted", "private", "direct"),
        "language": "string", "scheduled_at": "string",
        "poll[options][]": "string", "poll[expires_in]": "integer", "poll[multiple]": _BOOLEAN,
        "poll[hide_totals]": _BOOLEAN,
        "quoted_status_id": "id", "quote_approval_policy": ("public", "followers", "nobody"),
    }),
    Endpoint("POST", r"/api/v2/media", "upload media", ("write", "write:media"), False, {
        "file": "file", "thumbnail": "file", "description": "string", "focus": "string",
    }),
    Endpoint("POST", r"/api/v1/media", "upload media (v1)", ("write", "write:media"), False, {
        "file": "file", "thumbnail": "file", "description": "string", "focus": "string",
    }),
    Endpoint("GET", r"/api/v1/media/\d+", "get media", ("write", "write:media"), False, {}),
    Endpoint("GET", r"/api/v1/accounts/verify_credentials", "verify credentials",
             ("read", "read:accounts", "profile"), False, {}),
    Endpoint("GET", r"/api/v1/accounts/\d+/statuses", "account statuses", ("read", "read:statuses"), True, {
        "max_id": "id", "since_id": "id", "min_id": "id", "limit": "integer", "only_media": _BOOLEAN,
        "exclude_replies": _BOOLEAN, "exclude_reblogs": _BOOLEAN, "pinned": _BOOLEAN, "tagged": "string",
    }),
    Endpoint("GET", r"/api/v1/statuses/\d+", "get status", ("read", "read:statuses"), True, {}),
    # https://docs.joinmastodon.org/methods/statuses/#index (4.3.0) and #context
    Endpoint("GET", r"/api/v1/statuses", "get statuses", ("read", "read:statuses"), True, {"id[]": "id"}),
    Endpoint("GET", r"/api/v1/statuses/\d+/context", "status context", ("read", "read:statuses"), True, {}),
    # https://docs.joinmastodon.org/methods/statuses/#edit (3.5.0; language 4.0), #history, #source
    Endpoint("PUT", r"/api/v1/statuses/\d+", "edit status", ("write", "write:statuses"), False, {
        "status": "string", "spoiler_text": "string", "sensitive": _BOOLEAN, "language": "string",
        "media_ids[]": "id", "media_attributes[][id]": "id", "media_attributes[][description]": "string",
        "media_attributes[][focus]": "string", "poll[options][]": "string", "poll[expires_in]": "integer",
        "poll[multiple]": _BOOLEAN, "poll[hide_totals]": _BOOLEAN,
        "quote_approval_policy": ("public", "followers", "nobody"),
    }),
    Endpoint("GET", r"/api/v1/statuses/\d+/history", "status edit history", ("read", "read:statuses"), True, {}),
    Endpoint("GET", r"/api/v1/statuses/\d+/source", "status source", ("read", "read:statuses"), False, {}),
    # https://docs.joinmastodon.org/methods/statuses/#delete (delete_media: 4.4.0)
    Endpoint("DELETE", r"/api/v1/statuses/\d+", "delete status", ("write", "write:statuses"), False, {
        "delete_media": _BOOLEAN,
    }),
    Endpoint("GET", r"/api/v2/instance", "instance (v2)", (), False, {}),
    Endpoint("GET", r"/api/v1/instance", "instance (v1)", (), False, {}),
)


def endpoint(method: str, path: str) -> Endpoint | None:
    path = path.rstrip("/") or "/"
    return next((e for e in ENDPOINTS if e.method == method and re.fullmatch(e.pattern, path)), None)


def has_scope(granted: frozenset[str], needed: tuple[str, ...]) -> bool:
    """Doorkeeper's rule as Mastodon configures it: any one needed scope, `read` ⊇ `read:*`, `write` ⊇ `write:*`."""
    return not needed or any(s in granted or s.split(":")[0] in granted for s in needed)


def _flatten(params: dict[str, Any]) -> dict[str, list[str]]:
    """JSON bodies as form-style names (`media_ids[]`, `poll[options][]`), values as strings."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}[{k}]" if prefix else k, v)
        elif isinstance(value, list):
            for v in value:
                out.setdefault(f"{prefix}[]", []).append(str(v).lower() if isinstance(v, bool) else str(v))
        elif value is not None:
            out.setdefault(prefix, []).append(str(value).lower() if isinstance(value, bool) else str(value))

    for key, value in params.items():
        walk(key, value)
    return out


def _kind_ok(kind: Any, value: str) -> bool:
    if isinstance(kind, tuple):
        return value in kind
    if kind == "id":
        return value.isdigit()
    if kind == "integer":
        return re.fullmatch(r"-?\d+", value) is not None
    if kind == _BOOLEAN:
        return value.lower() in ("true", "false", "1", "0", "on", "off", "")
    return True  # string, file


def unknown_params(ep: Endpoint, params: dict[str, list[str]]) -> list[str]:
    return sorted(name for name in params if name not in ep.params)


def request_params(query: dict[str, list[str]], form: dict[str, list[str]], json_body: Any) -> dict[str, list[str]]:
    """Every parameter of one request in form-style names: query, then a JSON or form body."""
    out = {k: list(v) for k, v in query.items()}
    body = _flatten(json_body) if isinstance(json_body, dict) else form
    for k, v in body.items():
        out.setdefault(k, []).extend(v)
    return out


def violations(method: str, path: str, params: dict[str, list[str]], files: dict[str, Any] | None = None) -> list[str]:
    """What in one request the documentation does not allow (empty: it conforms).

    `params` from `request_params`; `files` the multipart file parts by name.
    """
    ep = endpoint(method, path)
    if ep is None:
        return [f"{method} {path}: not an endpoint of the Mastodon spec here"]
    flat = dict(params)
    for name in files or {}:
        flat.setdefault(name, ["<file>"])
    found = [f"{ep.name}: unknown parameter {name!r}" for name in unknown_params(ep, flat)]
    for name, values in flat.items():
        kind = ep.params.get(name)
        if kind is None:
            continue
        if kind == "file" and name not in (files or {}):
            found.append(f"{ep.name}: {name!r} must be a file part")
        if kind != "file":
            found += [f"{ep.name}: {name}={v!r} is not a valid {kind}" for v in values if not _kind_ok(kind, v)]
    return found
