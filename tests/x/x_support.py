"""Shared helpers for the X adapter tests: canary credentials, a fixed clock, posts and images."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image as PILImage

from syndicate.model import Image, Post
from syndicate.platforms.base import PartIdentity
from syndicate.platforms.x import XCredentials, XPublisher

NOW = 1_800_000_000.0  # a fixed "now" (2027-01-15) shared by the fake and the publisher

# Canary credentials: distinctive strings that must never show up in logs, errors or reprs.
CANARY = XCredentials(
    consumer_key="CANARYck7f3a91e2",
    consumer_secret="CANARYcs0b8d44c1",
    access_token="1500000000000000001-CANARYat5e6f",
    access_token_secret="CANARYats9c2a7d3",
)
CANARY_OAUTH2 = "CANARYoauth2tok4d7e"


MakePublisher = Callable[..., XPublisher]


def clock() -> float:
    return NOW


def post(text: str, *images: Image) -> Post:
    return Post(text=text, length=len(text), limit=280, images=tuple(images))


def ident(part: int = 1, dispatch: str = "dispatch-1") -> PartIdentity:
    return PartIdentity(dispatch_id=dispatch, part=part, key=f"{dispatch}:x:{part}")


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()
