"""HTTP plumbing for the X adapter: the one `requests.Session` tweepy and our media calls share.

Imported lazily by `platforms/x/publisher.py` (it imports requests).

Why a Session subclass. `tweepy.Client.request` hard-codes the host
(`host = "https://api.twitter.com"`) and calls
`self.session.request(method, host + route, params=..., json=..., headers=..., auth=...)`
with no timeout. `session` is a plain public attribute of the client, so we
replace it with `XSession`, whose `request()`:

* rebases URLs that start with tweepy's host onto `settings.api_base` (the
  rewrite happens before the request is prepared, so requests_oauthlib signs
  the URL that is actually sent);
* fills in a default timeout (tweepy passes none, so a stalled connection
  would otherwise block a cron run forever);
* swaps a placeholder bearer token for the real OAuth 2 user token, so the
  token never sits in tweepy's `headers` dict, which tweepy logs at DEBUG;
* reports every response's headers to a callback (rate-limit bookkeeping).

Nothing in tweepy is patched; other `tweepy.Client`s in the process are untouched.

Secret hygiene in logs. tweepy, requests_oauthlib and oauthlib log request
headers and the OAuth client (consumer key, access token) at DEBUG.
`redact_logs(secrets)` attaches one filter to exactly those loggers that
replaces any registered secret in a record with `***`.

Media endpoints. tweepy 4.17 has no v2 media upload (its `API.media_upload` targets the retired
v1.1 host), so these two calls go straight through the adapter's `XSession`
with the same OAuth signing tweepy uses (docs/platforms.md §1.2 and §1.7):

* `POST /2/media/upload`: multipart `media` (raw bytes) + `media_category`
  (required): `tweet_gif` for a GIF, `tweet_image` for JPG/PNG/WEBP. The
  schema (`MediaUploadRequest`) allows only `media`, `media_category` and
  `additional_owners`, and no other field: the MIME type travels only as the
  multipart part's Content-Type, sniffed from the bytes. Images up to 5 MB.
* `POST /2/media/metadata`: `{"id", "metadata": {"alt_text": {"text"}}}`, text ≤ 1000.

https://docs.x.com/x-api/media/upload-media ·
https://docs.x.com/x-api/media/metadata-create
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import requests

__all__ = ["ALT_TEXT_LIMIT", "BEARER_PLACEHOLDER", "TWEEPY_HOST", "BearerAuth", "XSession", "media_category",
           "redact_logs", "set_alt_text", "template_path", "upload_image"]

TWEEPY_HOST = "https://api.twitter.com"
BEARER_PLACEHOLDER = "syndicate-oauth2-user-token-placeholder"
ALT_TEXT_LIMIT = 1000

ResponseHook = Callable[[str, "requests.Response"], None]


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <token>` applied at send time; the repr hides the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class XSession(requests.Session):
    """A Session that sends tweepy's requests to `api_base`, with a timeout (see module doc)."""

    def __init__(
        self,
        api_base: str,
        *,
        timeout: float,
        bearer_token: str | None = None,
        on_response: ResponseHook | None = None,
    ) -> None:
        super().__init__()
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._bearer = BearerAuth(bearer_token) if bearer_token else None
        self._on_response = on_response

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        # requests accepts bytes for both; its own signature says str
        method = method.decode() if isinstance(method, bytes) else method
        url = url.decode() if isinstance(url, bytes) else url
        if url.startswith(TWEEPY_HOST):
            url = self.api_base + url[len(TWEEPY_HOST) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        headers = kwargs.get("headers")
        if headers and headers.get("Authorization") == f"Bearer {BEARER_PLACEHOLDER}":
            headers = {k: v for k, v in headers.items() if k != "Authorization"}
            kwargs["headers"] = headers
            kwargs["auth"] = self._bearer
        response = super().request(method, url, *args, **kwargs)
        if self._on_response is not None:
            self._on_response(response.request.method or "", response)
        return response

    def __repr__(self) -> str:
        return f"XSession(api_base={self.api_base!r}, timeout={self.timeout})"


_ID_SEGMENT = re.compile(r"(?<!^)/\d+(?=/|$)")  # not the leading "/2" (API version)


def template_path(path: str) -> str:
    """`/2/users/123/tweets` → `/2/users/:id/tweets`: one rate bucket per endpoint."""
    return _ID_SEGMENT.sub("/:id", path)


# Loggers that print request headers or the OAuth client at DEBUG. Logger
# filters only see records logged to that exact logger, so each is named.
_LEAKY_LOGGERS = (
    "tweepy.client",
    "requests_oauthlib.oauth1_auth",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
)


class _Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__("syndicate-x-redactor")
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            for secret in secrets:
                if secret:
                    self._secrets.add(secret)
                    self._secrets.add(quote(secret, safe=""))  # as it appears in an OAuth header

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business
            return True
        redacted = message
        for secret in secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTOR = _Redactor()
_installed = False
_install_lock = threading.Lock()


def redact_logs(secrets: Iterable[str]) -> None:
    """Register secrets to be masked in the SDK loggers' records (idempotent install)."""
    global _installed
    _REDACTOR.add(secrets)
    with _install_lock:
        if not _installed:
            for name in _LEAKY_LOGGERS:
                logging.getLogger(name).addFilter(_REDACTOR)
            _installed = True


def media_category(mime_type: str) -> str:
    """X's `media_category` for an image of this (sniffed) type: GIFs have their own."""
    return "tweet_gif" if mime_type == "image/gif" else "tweet_image"


def upload_image(session: Any, url: str, auth: Any, data: bytes, mime_type: str) -> str:
    """One-shot upload; returns the media id (a string of digits). `mime_type` comes from the bytes."""
    from syndicate.platforms.x.errors import HTTPStatusError

    response = session.post(
        url,
        files={"media": ("image", data, mime_type)},
        data={"media_category": media_category(mime_type)},  # nothing else: see the module docstring
        auth=auth,
    )
    if not 200 <= response.status_code < 300:
        raise HTTPStatusError(response)
    media_id = (response.json().get("data") or {}).get("id")
    if not media_id:
        from syndicate.errors import Transient

        raise Transient("x", "media upload: X answered without data.id")
    return str(media_id)


def set_alt_text(session: Any, url: str, auth: Any, media_id: str, alt: str) -> None:
    from syndicate.platforms.media import trim_alt_text
    from syndicate.platforms.x.errors import HTTPStatusError

    response = session.post(
        url,
        json={"id": media_id, "metadata": {"alt_text": {"text": trim_alt_text(alt, ALT_TEXT_LIMIT)}}},
        auth=auth,
    )
    if not 200 <= response.status_code < 300:
        raise HTTPStatusError(response)
