"""fit_image / image_size: under the byte cap, metadata stripped, orientation applied, garbage refused."""

from __future__ import annotations

import io
import random

from PIL import Image

from syndicate.platforms.media import fit_image, image_size

CAP = 1_000_000


def noise(width: int, height: int, mode: str = "RGB", seed: int = 1) -> Image.Image:
    """Random pixels: the worst case for every codec, so sizes are predictable."""
    rnd = random.Random(seed)
    channels = len(mode)
    return Image.frombytes(mode, (width, height), rnd.randbytes(width * height * channels))


def encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_big_png_and_jpeg_come_back_under_the_cap() -> None:
    png = encode(noise(2400, 1600), "PNG")
    jpeg = encode(noise(2400, 1600, seed=2), "JPEG", quality=98)
    assert len(png) > 3 * CAP and len(jpeg) > 2 * CAP
    for data in (png, jpeg):
        fitted = fit_image(data, CAP)
        assert fitted is not None
        out, mime = fitted
        assert len(out) <= CAP and mime == "image/jpeg"
        img = opened(out)
        assert img.format == "JPEG" and max(img.size) <= 2000
        assert abs(img.width / img.height - 1.5) < 0.01  # aspect ratio kept


def test_small_clean_images_are_returned_untouched() -> None:
    for fmt, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif")):
        data = encode(noise(64, 48), fmt)
        assert fit_image(data, CAP) == (data, mime)


def test_exif_is_stripped_and_orientation_applied() -> None:
    img = noise(300, 100)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    exif[0x010F] = "CameraMaker"
    data = encode(img, "JPEG", exif=exif.tobytes())
    assert image_size(data) == (100, 300)
    fitted = fit_image(data, CAP)
    assert fitted is not None
    out = opened(fitted[0])
    assert out.size == (100, 300)  # rotated pixels, not a tag asking the viewer to rotate
    assert not out.getexif()


def test_png_with_alpha_stays_png_when_it_fits_else_flattens_on_white() -> None:
    rgba = noise(1200, 1200, "RGBA")
    data = encode(rgba, "PNG")
    assert len(data) > CAP
    fitted = fit_image(data, CAP)
    assert fitted is not None and fitted[1] == "image/jpeg" and len(fitted[0]) <= CAP
    clear = Image.new("RGBA", (1200, 1200), (0, 0, 0, 0))
    clear.paste(noise(1100, 1100, "RGBA", seed=3), (100, 100))
    flat = opened(fit_image(encode(clear, "PNG"), CAP)[0])  # type: ignore[index]
    assert flat.mode == "RGB"
    r, g, b = flat.getpixel((10, 10))  # type: ignore[misc]
    assert min(r, g, b) > 240  # transparent corner became white, not black
    small = Image.new("RGBA", (2400, 600), (10, 200, 30, 128))
    big_but_simple = encode(small, "PNG", compress_level=0)
    assert len(big_but_simple) > 1_000_000
    out, mime = fit_image(big_but_simple, 1_000_000)  # type: ignore[misc]
    assert mime == "image/png" and opened(out).mode == "RGBA" and opened(out).size == (2000, 500)


def test_undecodable_or_impossible_gives_none() -> None:
    assert fit_image(b"not an image at all", CAP) is None
    assert fit_image(b"", CAP) is None
    jpeg = encode(noise(400, 400), "JPEG")
    assert fit_image(jpeg[: len(jpeg) // 2], CAP) is None  # truncated
    assert fit_image(jpeg, 50) is None  # no JPEG is 50 bytes
    assert fit_image(jpeg, 0) is None
    assert image_size(b"garbage") is None
    assert image_size(jpeg) == (400, 400)


def test_odd_modes_are_converted() -> None:
    cmyk = encode(noise(1500, 1500, "CMYK"), "JPEG", quality=100)
    fitted = fit_image(cmyk, 500_000)
    assert fitted is not None and opened(fitted[0]).mode == "RGB" and len(fitted[0]) <= 500_000
    tiff = encode(noise(50, 50), "TIFF")  # not a type platforms take: re-encoded even though small
    fitted = fit_image(tiff, CAP)
    assert fitted is not None and fitted[1] in ("image/jpeg", "image/png")
