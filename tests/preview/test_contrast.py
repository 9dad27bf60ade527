"""Every text colour in the preview stylesheet against the background it sits on meets WCAG AA (4.5:1).

Reads the palettes (CSS custom properties) straight from the stylesheet the page
inlines, so a colour change that hurts legibility fails here.
"""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

CSS = (files("syndicate.preview") / "templates" / "preview.css").read_text(encoding="utf-8")


def palette(selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert block, f"no {selector} block in preview.css"
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block.group(1)))


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


NETWORK_PAIRS = [
    ("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("head-fg", "head-bg"), ("head-muted", "head-bg"),
    ("chip-fg", "chip-bg"), ("over-fg", "over"), ("over", "bg"),
]


@pytest.mark.parametrize("network", ["x", "bluesky", "mastodon"])
@pytest.mark.parametrize(("fg", "bg"), NETWORK_PAIRS)
def test_network_palette_meets_aa(network: str, fg: str, bg: str) -> None:
    colours = palette(f".net-{network}")
    ratio = contrast(colours[fg], colours[bg])
    assert ratio >= 4.5, f".net-{network}: --{fg} {colours[fg]} on --{bg} {colours[bg]} is {ratio:.2f}:1"


@pytest.mark.parametrize(
    ("fg", "bg"),
    [("page-fg", "page-bg"), ("page-muted", "page-bg"), ("page-muted", "#ffffff"), ("warn-fg", "warn-bg"),
     ("block-fg", "block-bg"), ("#ffffff", "warn-fg"), ("#ffffff", "block-fg"), ("#1f5fbf", "#ffffff")],
)
def test_page_palette_meets_aa(fg: str, bg: str) -> None:
    colours = palette(":root")
    a, b = (c if c.startswith("#") else colours[c] for c in (fg, bg))
    assert contrast(a, b) >= 4.5, f"{fg} on {bg}: {contrast(a, b):.2f}:1"


def test_contrast_formula() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic just-fails-AA grey
