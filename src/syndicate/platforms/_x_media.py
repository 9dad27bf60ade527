"""Images for X: fetch the bytes, upload them with `POST /2/media/upload`, set alt text.

tweepy 4.17 has no v2 media upload (its `API.media_upload` targets the retired
v1.1 host), so these two calls go straight through the adapter's `XSession`
with the same OAuth signing tweepy uses (docs/platforms.md §1.7):

* `POST /2/media/upload`: multipart `media` (raw bytes) + `media_category`
  (required; `tweet_image`). Images up to 5 MB; JPG/PNG/GIF/WEBP.
* `POST /2/media/metadata`: `{"id", "metadata": {"alt_text": {"text"}}}`, text ≤ 1000.

https://docs.x.com/x-api/media/upload-media ·
https://docs.x.com/x-api/media/metadata-create
"""

from __future__ import annotations

from typing import Any

import regex

__all__ = [
    "ALT_TEXT_LIMIT",
    "MAX_IMAGE_BYTES",
    "default_fetch_image",
    "sniff_image_type",
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


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type X needs to know, from the file's magic bytes; None if not an image X takes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def default_fetch_image(url: str, *, timeout: float = 20.0, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """GET an image with a timeout and a size cap (X refuses images over 5 MB anyway).

    Raises Transient for network trouble and 5xx, Permanent for 4xx and oversize.
    """
    import httpx  # lazy: only runs when a post has an image

    from syndicate.errors import Permanent, Transient

    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 500:
                raise Transient("x", f"image {url}: HTTP {response.status_code}")
            if response.status_code >= 400:
                raise Permanent("x", f"image {url}: HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise Permanent("x", f"image {url}: larger than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise Transient("x", f"image {url}: {type(exc).__name__}") from exc


def upload_image(session: Any, url: str, auth: Any, data: bytes, mime_type: str) -> str:
    """One-shot upload; returns the media id (a string of digits)."""
    from syndicate.platforms._x_errors import HTTPStatusError

    response = session.post(
        url,
        files={"media": ("image", data, mime_type)},
        data={"media_category": "tweet_image", "media_type": mime_type},
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
