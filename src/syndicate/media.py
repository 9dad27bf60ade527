"""Images under a platform's byte cap: link-card thumbnails (Bluesky ≤ 1,000,000 bytes), post images.

`fit_image` hands an image back untouched when it is already small enough, of
a type every platform takes (JPEG, PNG, GIF, WebP) and carries no EXIF block
(EXIF can hold the camera's GPS position; Bluesky asks clients to strip it).
Otherwise it re-encodes with Pillow: orientation applied, metadata dropped,
longest side capped at `max_side`; a PNG (e.g. with transparency) stays PNG
when that fits, else it is flattened onto white and saved as JPEG, stepping
the quality down and then the size until it fits. Nothing here does I/O.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

__all__ = ["fit_image", "image_size"]

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_QUALITIES = (90, 82, 74, 66, 58, 50)
_SCALED_QUALITIES = (80, 68)
_SHRINK = 0.75
_MIN_SIDE = 32  # below this a thumbnail is useless; give up instead
_ORIENTATION = 0x0112


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


def fetch_image(url: str, *, platform: str, timeout: float = 20.0, max_bytes: int) -> bytes:
    """GET an image to attach to a post, with a timeout and a size cap enforced while reading.

    Errors are the platform's (the caller is publishing there): network trouble, 429 and 5xx
    are Transient (try again later); other 4xx and oversize are Permanent.
    """
    import httpx  # lazy: only runs when a post has an image

    from syndicate import __version__
    from syndicate.errors import Permanent, Transient

    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True,
                          headers={"User-Agent": f"syndicate/{__version__}"}) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise Transient(platform, f"image {url}: HTTP {response.status_code}")
            if response.status_code >= 400:
                raise Permanent(platform, f"image {url}: HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise Permanent(platform, f"image {url}: larger than {max_bytes} bytes")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise Transient(platform, f"image {url}: {type(exc).__name__}") from exc
