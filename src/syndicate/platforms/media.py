"""Images under a platform's byte cap: link-card thumbnails (Bluesky ≤ 1,000,000 bytes), post images.

`fit_image` hands an image back untouched when it is already small enough, of
a type every platform takes (JPEG, PNG, GIF, WebP) and carries no EXIF block
(EXIF can hold the camera's GPS position; Bluesky asks clients to strip it).
Otherwise it re-encodes with Pillow: orientation applied, metadata dropped,
longest side capped at `max_side`; a PNG (e.g. with transparency) stays PNG
when that fits, else it is flattened onto white and saved as JPEG, stepping
the quality down and then the size until it fits.

`prepare_image` is the one rule all three adapters follow for an image a post
names: fetch it (through `fetch_image`, guarded by `netguard`: the URL comes
from the feed), fit it under the platform's cap, or say in one line why the
post goes out without it. An image never holds its post back: a host that is
down, a 404, bytes that are no image, an image still too large after
re-encoding and an address refused by the fetch rules all drop the image, not
the post.

`trim_alt_text` is the one rule for alt text over a platform's limit (X 1000, a Mastodon
instance's `description_limit`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import regex
from PIL import Image, ImageOps

if TYPE_CHECKING:
    from syndicate.model import Image as PostImage
    from syndicate.netguard import FetchPolicy

__all__ = ["FETCH_MAX_BYTES", "Dropped", "fetch_image", "fit_image", "image_size", "prepare_image", "usable_images",
           "sniff_image_type", "trim_alt_text"]

FETCH_MAX_BYTES = 20 * 1024 * 1024  # what we download at most; re-encoding brings it under each platform's cap

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_QUALITIES = (90, 82, 74, 66, 58, 50)
_SCALED_QUALITIES = (80, 68)
_SHRINK = 0.75
_MIN_SIDE = 32  # below this a thumbnail is useless; give up instead
_ORIENTATION = 0x0112
_GRAPHEME = regex.compile(r"\X")


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) as displayed (EXIF orientation applied), or None when `data` is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if img.getexif().get(_ORIENTATION) in (5, 6, 7, 8):  # rotated a quarter turn
                width, height = height, width
            return width, height
    except Exception:  # Pillow raises many types for bad input; "not an image" is all we need to say
        return None


def fit_image(data: bytes, max_bytes: int, *, max_side: int = 2000) -> tuple[bytes, str] | None:
    """(bytes, mime type) no larger than `max_bytes`, or None when `data` cannot be decoded or made to fit."""
    if max_bytes <= 0:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            exif = img.getexif()
            if fmt in _MIME and len(data) <= max_bytes and not exif:
                img.load()  # prove it decodes: a truncated file is no good to anyone
                return data, _MIME[fmt]
            if fmt == "JPEG":
                img.draft("RGB", (max_side, max_side))  # decode big JPEGs at a reduced scale: much faster
            img.load()
            return _reencode(img, fmt, max_bytes, max_side)
    except Exception:  # undecodable, truncated, decompression bomb, unsupported mode…
        return None


def _reencode(img: Image.Image, fmt: str, max_bytes: int, max_side: int) -> tuple[bytes, str] | None:
    if getattr(img, "is_animated", False):
        img.seek(0)  # a still of the first frame; animations are not worth their bytes here
    frame = ImageOps.exif_transpose(img) or img
    if max(frame.size) > max_side:
        frame = frame.copy()
        frame.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    alpha = frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info)
    if fmt == "PNG" or alpha:
        png = _save(frame.convert("RGBA") if alpha else _plain(frame), "PNG", optimize=True)
        if len(png) <= max_bytes:
            return png, "image/png"
    if alpha:
        flat = _flatten(frame)
    else:
        flat = _plain(frame)
    for quality in _QUALITIES:
        jpeg = _save(flat, "JPEG", quality=quality, optimize=True)
        if len(jpeg) <= max_bytes:
            return jpeg, "image/jpeg"
    while min(flat.size) * _SHRINK >= _MIN_SIDE:
        flat = flat.resize(
            (max(1, round(flat.width * _SHRINK)), max(1, round(flat.height * _SHRINK))), Image.Resampling.LANCZOS
        )
        for quality in _SCALED_QUALITIES:
            jpeg = _save(flat, "JPEG", quality=quality, optimize=True)
            if len(jpeg) <= max_bytes:
                return jpeg, "image/jpeg"
    return None


def _plain(img: Image.Image) -> Image.Image:
    """An image in a mode JPEG/PNG can hold without surprises (CMYK, 16-bit, palette → RGB/L)."""
    if img.mode in ("RGB", "L"):
        return img
    if img.mode in ("I;16", "I", "F"):
        return img.convert("L")
    return img.convert("RGB")


def _flatten(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _save(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)  # no exif= argument: metadata is not carried over
    return out.getvalue()


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type from the file's magic bytes, for the types every platform takes; None otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Dropped:
    """An image a post goes out without, and why (one line for the run's output)."""

    url: str
    cause: str
    what: str = "image"

    @property
    def line(self) -> str:
        return f"{self.what} {self.url} ({self.cause})"


def prepare_image(url: str, fetch: Callable[[str], bytes], *, max_bytes: int,
                  what: str = "image") -> tuple[bytes, str] | Dropped:
    """(bytes, mime type) ready to upload, no larger than `max_bytes`; or why the post goes without it.

    `fetch` is the adapter's fetcher (`fetch_image` with its policy, or a test's). Whatever
    it raises drops the image: retrying the whole post for a picture would hold the post
    hostage to someone else's server.
    """
    from syndicate.errors import PlatformError

    try:
        data = fetch(url)
    except PlatformError as exc:
        return Dropped(url, exc.reason, what)
    except Exception as exc:  # a caller-supplied fetcher may raise anything; the post still goes
        return Dropped(url, _one_line(f"{type(exc).__name__}: {exc}"), what)
    fitted = fit_image(data, max_bytes)
    if fitted is not None:
        return fitted
    if image_size(data) is None:
        return Dropped(url, "not a PNG, JPEG, GIF or WebP image", what)
    return Dropped(url, f"still larger than {max_bytes:,} bytes after re-encoding", what)


def usable_images(images: Iterable[PostImage], fetch: Callable[[str], bytes], *, max_bytes: int, platform: str,
                  dropped: list[str]) -> Iterator[tuple[PostImage, bytes, str]]:
    """(image, bytes, mime type) for each of `images` ready to upload, in order. One that cannot be used is
    left out and its line added to `dropped`: the post goes without it (`prepare_image`), on every network."""
    for image in images:
        ready = prepare_image(image.url, fetch, max_bytes=max_bytes)
        if isinstance(ready, Dropped):
            logging.getLogger(f"syndicate.platforms.{platform}").warning("%s: posting without %s", platform, ready.line)
            dropped.append(ready.line)
            continue
        yield image, *ready


def fetch_image(url: str, *, platform: str, timeout: float = 20.0, max_bytes: int = FETCH_MAX_BYTES,
                policy: FetchPolicy | None = None) -> bytes:
    """GET an image to attach to a post, with a timeout and a size cap enforced while reading.

    The URL comes from feed content: it goes through `netguard` (`policy` None refuses every
    non-public address; at most 5 redirects, each judged). Errors are the platform's (the
    caller is publishing there); their reasons do not repeat the URL. Network trouble, 429
    and 5xx are Transient, other 4xx, oversize and refused addresses Permanent:
    `prepare_image` drops the image either way.
    """
    import httpx  # lazy: only runs when a post has an image

    from syndicate import __version__, netguard
    from syndicate.errors import Permanent, Transient

    try:
        with netguard.guarded_client(policy, headers={"User-Agent": f"syndicate/{__version__}"},
                                     timeout=timeout, max_connections=1) as client:
            response = netguard.follow(client, client.build_request("GET", url))
            try:
                if response.status_code == 429 or response.status_code >= 500:
                    raise Transient(platform, f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise Permanent(platform, f"HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise Permanent(platform, f"larger than {max_bytes} bytes")
                return bytes(body)
            finally:
                response.close()
    except netguard.AddressRefused as exc:
        raise Permanent(platform, str(exc)) from exc
    except httpx.HTTPError as exc:
        raise Transient(platform, _one_line(f"{type(exc).__name__}: {exc}")) from exc
    except ValueError as exc:  # an URL httpx cannot even parse
        raise Permanent(platform, _one_line(f"invalid URL: {exc}")) from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def trim_alt_text(alt: str, limit: int) -> str:
    """Alt text within `limit` code points (as X and Mastodon count), ending "…" when cut.

    Never splits a grapheme (an emoji family, a letter and its accent) and, when a space
    falls in the last fifth, not a word either.
    """
    alt = alt.strip()
    if len(alt) <= limit:
        return alt
    kept: list[str] = []
    size = 0
    for cluster in _GRAPHEME.findall(alt):
        if size + len(cluster) > limit - 1:  # room for the ellipsis
            break
        kept.append(cluster)
        size += len(cluster)
    cut = "".join(kept)
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"
