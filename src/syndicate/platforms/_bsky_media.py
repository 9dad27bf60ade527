"""Images for Bluesky posts: fetch them, fit them under the lexicon's byte caps, measure them.

Caps (lexicon, docs/platforms.md §6.10): an image in `app.bsky.embed.images` ≤
2,000,000 bytes and needs an aspect ratio; a link-card thumb ≤ 1,000,000 bytes.
Re-encoding is `syndicate.media.fit_image` when that module is present; until
then a small private fallback here does the same job with Pillow.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from syndicate.errors import Permanent, Transient

__all__ = ["FETCH_MAX_BYTES", "IMAGE_MAX_BYTES", "THUMB_MAX_BYTES", "default_fetch_image", "dimensions", "fit"]

log = logging.getLogger(__name__)

IMAGE_MAX_BYTES = 2_000_000
THUMB_MAX_BYTES = 1_000_000
FETCH_MAX_BYTES = 20 * 1024 * 1024  # what we are willing to download before re-encoding


def default_fetch_image(url: str, *, timeout: float = 20.0, max_bytes: int = FETCH_MAX_BYTES) -> bytes:
    """GET an image with a timeout and a size cap. Transient for network/5xx, Permanent for 4xx/oversize."""
    import httpx  # lazy: only runs when a post has an image

    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 500:
                raise Transient("bluesky", f"image {url}: HTTP {response.status_code}")
            if response.status_code >= 400:
                raise Permanent("bluesky", f"image {url}: HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise Permanent("bluesky", f"image {url}: larger than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise Transient("bluesky", f"image {url}: {type(exc).__name__}") from exc


def _fit_fallback(data: bytes, max_bytes: int) -> tuple[bytes, str] | None:
    """Keep a small JPEG/PNG as is; otherwise re-encode as JPEG, shrinking until it fits."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        fmt = img.format
        img.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if len(data) <= max_bytes and fmt in ("JPEG", "PNG"):
        return data, f"image/{str(fmt).lower()}"
    flat: Image.Image = img
    if img.mode not in ("RGB", "L"):  # JPEG has no alpha: flatten onto white
        flat = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    side = max(flat.size)
    for limit in (2000, 1600, 1200, 1000, 800, 600, 400):
        if limit < side:
            flat.thumbnail((limit, limit))
            side = max(flat.size)
        for quality in (85, 75, 60):
            out = io.BytesIO()
            flat.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue(), "image/jpeg"
    return None


def _fitter() -> Callable[[bytes, int], tuple[bytes, str] | None]:
    try:
        from syndicate.media import fit_image
    except ImportError:
        return _fit_fallback
    return fit_image


def fit(data: bytes, max_bytes: int) -> tuple[bytes, str] | None:
    """(bytes, mime type) no larger than `max_bytes`, or None when it is not an image we can use."""
    return _fitter()(data, max_bytes)


def dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) of an image, for `aspectRatio`; (1, 1) when Pillow cannot tell."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError, ValueError):
        return (1, 1)
