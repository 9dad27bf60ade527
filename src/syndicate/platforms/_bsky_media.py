"""Images for Bluesky posts: fetch them, fit them under the lexicon's byte caps, measure them.

Caps (lexicon, docs/platforms.md §6.10): an image in `app.bsky.embed.images` ≤
2,000,000 bytes and needs an aspect ratio; a link-card thumb ≤ 1,000,000 bytes.
Re-encoding and measuring are `syndicate.platforms.media`'s (Pillow; EXIF dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndicate.netguard import FetchPolicy

__all__ = ["FETCH_MAX_BYTES", "IMAGE_MAX_BYTES", "THUMB_MAX_BYTES", "default_fetch_image", "dimensions", "fit"]

IMAGE_MAX_BYTES = 2_000_000
THUMB_MAX_BYTES = 1_000_000
FETCH_MAX_BYTES = 20 * 1024 * 1024  # what we are willing to download before re-encoding (= media.FETCH_MAX_BYTES)


def default_fetch_image(url: str, *, timeout: float = 20.0, max_bytes: int = FETCH_MAX_BYTES,
                        policy: FetchPolicy | None = None) -> bytes:
    """GET an image with a timeout and a size cap (re-encoded under the lexicon's caps afterwards)."""
    from syndicate.platforms.media import fetch_image

    return fetch_image(url, platform="bluesky", timeout=timeout, max_bytes=max_bytes, policy=policy)


def fit(data: bytes, max_bytes: int) -> tuple[bytes, str] | None:
    """(bytes, mime type) no larger than `max_bytes`, or None when it is not an image we can use."""
    from syndicate.platforms.media import fit_image

    return fit_image(data, max_bytes)


def dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) as displayed, for `aspectRatio`; (1, 1) when it cannot be told."""
    from syndicate.platforms.media import image_size

    return image_size(data) or (1, 1)
