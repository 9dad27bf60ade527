"""Sample dry-run plans (the JSON form `render_html` takes) and the pictures they point at.

`realistic_plan` is a dispatch as a journalist would preview it: an X teaser,
3-part threads on Bluesky and Mastodon, a Bluesky link card with a thumbnail,
a photo with alt text and a warning. `hostile_plan` is a dispatch whose every
feed-controlled field tries to inject markup or a `javascript:` link.
Bluesky facets are computed from the text here, as UTF-8 byte offsets.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw

from syndicate.compose.length import measure

ARTICLE = "https://dispatches.example.org/2026/05/titicaca-retreat"
ALT = (
    "Two fishers drag a wooden boat across cracked mud towards the distant waterline of "
    "Lake Titicaca, with the snow-capped Cordillera Real behind them."
)
ACCOUNTS = {
    "x": {"handle": "@ana_quispe", "name": "Ana Quispe"},
    "bluesky": {"handle": "@anaquispe.bsky.social", "name": "Ana Quispe"},
    "mastodon": {"handle": "@ana@journa.host", "name": "Ana Quispe"},
}
SCRIPT = "<script>alert(1)</script>"
# Would set the canary if a browser ever ran it.
CANARY = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


def facet(text: str, kind: str, covered: str, value: str) -> dict[str, Any]:
    """A facet on the first occurrence of `covered` in `text`, in UTF-8 byte offsets."""
    start = text.index(covered)
    byte_start = len(text[:start].encode("utf-8"))
    return {
        "type": kind,
        "byteStart": byte_start,
        "byteEnd": byte_start + len(covered.encode("utf-8")),
        "value": value,
    }


def post(platform: str, text: str, **extra: Any) -> dict[str, Any]:
    m = measure(platform, text, spoiler_text=extra.get("spoiler_text"))
    return {
        "text": text,
        "length": m.length,
        "limit": m.limit,
        "facets": [],
        "card": None,
        "images": [],
        "language": "en",
        "spoiler_text": None,
        **extra,
    }


def realistic_plan(image_base: str) -> dict[str, Any]:
    """A plan with one realistic dispatch; `image_base` is where `photo.png` and `card.png` are served."""
    photo = f"{image_base}/photo.png"
    x_text = (
        "Lake Titicaca is at its lowest level in decades. In Puno, fishers now walk a kilometre "
        "through dried reeds to reach their boats.\n\n"
        "dispatches.example.org/2026/05/titicaca-retreat #Peru #climate"
    )
    b1 = (
        "🌊 Lake Titicaca has dropped to its lowest level in decades. In Puno, fishers now walk "
        "a kilometre through dried totora reeds to reach their boats. 🧵 1/3"
    )
    b2 = (
        "“The lake used to come to my door,” says Rosa Mamani, 62. Her family’s boat now sits on "
        "cracked mud, 300 m from the water.\n\nOfficials in Lima promise dredging; "
        "people in Puno call it too little, too late. 2/3"
    )
    b3 = (
        "Full dispatch, with photos by @anaquispe.bsky.social: "
        "dispatches.example.org/2026/05/titica…\n\n#Peru #ClimateCrisis 3/3"
    )
    m1 = (
        "Lake Titicaca has dropped to its lowest level in decades. In Puno, fishers now walk a "
        "kilometre through dried totora reeds to reach their boats. 1/3"
    )
    m2 = b2
    m3 = (
        f"Full dispatch, with photos by @ana@journa.host and reporting by @luis@mastodon.social:\n"
        f"{ARTICLE}\n\n#Peru #Titicaca #ClimateCrisis 3/3"
    )
    return {
        "generated_at": "2026-05-14T07:30:00+00:00",
        "accounts": ACCOUNTS,
        "dispatches": [
            {
                "id": "field-notes:titicaca-retreat",
                "feed": "Field notes",
                "title": "In Puno, fishers watch Lake Titicaca retreat",
                "url": ARTICLE,
                "published": "2026-05-14T06:00:00+00:00",
                "warnings": [
                    {
                        "code": "summary-shortened",
                        "message": "The summary was cut after its first sentence to fit the X teaser.",
                        "blocking": False,
                    }
                ],
                "platforms": {
                    "x": {
                        "posts": [post("x", x_text, images=[{"url": photo, "alt": ALT}])],
                        "skipped": None,
                    },
                    "bluesky": {
                        "posts": [
                            post(
                                "bluesky",
                                b1,
                                card={
                                    "uri": ARTICLE,
                                    "title": "In Puno, fishers watch Lake Titicaca retreat",
                                    "description": "The highest navigable lake in the world is at its "
                                    "lowest level in decades. A dispatch from its shrinking shore.",
                                    "image": f"{image_base}/card.png",
                                },
                            ),
                            post("bluesky", b2),
                            post(
                                "bluesky",
                                b3,
                                facets=[
                                    facet(b3, "mention", "@anaquispe.bsky.social", "anaquispe.bsky.social"),
                                    facet(b3, "link", "dispatches.example.org/2026/05/titica…", ARTICLE),
                                    facet(b3, "tag", "#Peru", "Peru"),
                                    facet(b3, "tag", "#ClimateCrisis", "ClimateCrisis"),
                                ],
                            ),
                        ],
                        "skipped": None,
                    },
                    "mastodon": {
                        "posts": [
                            post("mastodon", m1, images=[{"url": photo, "alt": ALT}]),
                            post("mastodon", m2),
                            post("mastodon", m3),
                        ],
                        "skipped": None,
                    },
                },
            }
        ],
    }


def hostile_plan(image_base: str) -> dict[str, Any]:
    """A plan whose dispatch tries markup and `javascript:` links in every field a feed controls."""
    b_text = f"{CANARY} read https://dispatches.example.org/x?a=1&b=2"
    return {
        "generated_at": "2026-05-14T07:30:00+00:00",
        "accounts": {"x": {"handle": None, "name": None}, "bluesky": {"handle": None, "name": SCRIPT}},
        "dispatches": [
            {
                "id": "untrusted:1",
                "feed": f"Untrusted {SCRIPT}",
                "title": SCRIPT,
                "url": "javascript:alert(1)",
                "published": None,
                "warnings": [{"code": "markup-in-title", "message": f"Title is markup: {SCRIPT}", "blocking": True}],
                "platforms": {
                    "x": {"posts": [], "skipped": f"X is disabled for this feed {SCRIPT}"},
                    "bluesky": {
                        "posts": [
                            post(
                                "bluesky",
                                b_text,
                                facets=[
                                    facet(b_text, "link", "https://dispatches.example.org/x?a=1&b=2",
                                          "https://dispatches.example.org/x?a=1&b=2"),
                                    facet(b_text, "link", "read", "javascript:window.__xss=3"),
                                ],
                                card={
                                    "uri": "javascript:alert(1)",
                                    "title": SCRIPT,
                                    "description": CANARY,
                                    "image": "javascript:alert(1)",
                                },
                                images=[{"url": f"{image_base}/photo.png", "alt": f'{SCRIPT}" onload="window.__xss=4'}],
                                language="en",
                            )
                        ],
                        "skipped": None,
                    },
                    "mastodon": {
                        "posts": [post("mastodon", f"{SCRIPT} javascript:alert(1) #fine", spoiler_text=CANARY)],
                        "skipped": None,
                    },
                },
            }
        ],
    }


def picture(kind: str) -> bytes:
    """A small PNG landscape (lake, mountains, boat) drawn here, so the tests need no image files."""
    w, h = (960, 540) if kind == "photo" else (800, 419)
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    for y in range(h):  # sky fading to a pale horizon
        t = y / h
        draw.line([(0, y), (w, y)], fill=(int(70 + 150 * t), int(130 + 90 * t), int(200 + 40 * t)))
    draw.polygon([(0, h * .55), (w * .18, h * .28), (w * .33, h * .47), (w * .52, h * .22),
                  (w * .75, h * .5), (w * .9, h * .33), (w, h * .45), (w, h * .62), (0, h * .62)], fill=(88, 96, 122))
    draw.polygon([(w * .45, h * .29), (w * .52, h * .22), (w * .59, h * .3), (w * .54, h * .28)], fill=(240, 244, 250))
    draw.rectangle([0, h * .6, w, h * .7], fill=(52, 110, 160))
    draw.rectangle([0, h * .7, w, h], fill=(170, 140, 100))
    for x in range(0, w, 37):  # cracks in the dry lake bed
        draw.line([(x, h * .72), (x + 20, h)], fill=(140, 112, 78), width=2)
    draw.polygon([(w * .3, h * .8), (w * .46, h * .8), (w * .43, h * .86), (w * .33, h * .86)], fill=(110, 60, 30))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()
