"""Images for X: fetch the bytes, upload them with `POST /2/media/upload`, set alt text.

tweepy 4.17 has no v2 media upload (its `API.media_upload` targets the retired
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

from typing import TYPE_CHECKING, Any

import regex

if TYPE_CHECKING:
    from syndicate.netguard import FetchPolicy

__all__ = [
    "ALT_TEXT_LIMIT",
    "MAX_IMAGE_BYTES",
    "default_fetch_image",
    "media_category",
    "trim_alt_text",
]

MAX_IMAGE_BYTES = 5 * 1024 * 1024
ALT_TEXT_LIMIT = 1000

_GRAPHEME = regex.compile(r"\X")


def trim_alt_text(text: str, limit: int = ALT_TEXT_LIMIT) -> str:
    """Cut alt text to `limit` characters without splitting a grapheme (emoji, accents)."""
    if len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for m in _GRAPHEME.finditer(text):
        g = m.group()
        if used + len(g) > limit:
            break
        out.append(g)
        used += len(g)
    return "".join(out)


def default_fetch_image(url: str, *, timeout: float = 20.0, max_bytes: int | None = None,
                        policy: FetchPolicy | None = None) -> bytes:
    """GET an image with a timeout and a size cap; `media.prepare_image` then fits it under 5 MB."""
    from syndicate.platforms.media import FETCH_MAX_BYTES, fetch_image

    return fetch_image(url, platform="x", timeout=timeout, max_bytes=max_bytes or FETCH_MAX_BYTES, policy=policy)


def media_category(mime_type: str) -> str:
    """X's `media_category` for an image of this (sniffed) type: GIFs have their own."""
    return "tweet_gif" if mime_type == "image/gif" else "tweet_image"


def upload_image(session: Any, url: str, auth: Any, data: bytes, mime_type: str) -> str:
    """One-shot upload; returns the media id (a string of digits). `mime_type` comes from the bytes."""
    from syndicate.platforms._x_errors import HTTPStatusError

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
    from syndicate.platforms._x_errors import HTTPStatusError

    response = session.post(
        url,
        json={"id": media_id, "metadata": {"alt_text": {"text": trim_alt_text(alt)}}},
        auth=auth,
    )
    if not 200 <= response.status_code < 300:
        raise HTTPStatusError(response)
