"""Fast, exact counting of extended grapheme clusters (UAX #29, the `regex` module's data).

`regex`'s ``\\X`` is exact but costs ~50 ns per character. Most characters
are clusters of their own, and two neighbours can only share a cluster when
one of them has a Grapheme_Cluster_Break property other than Other / Control
/ CR / LF (Extend, ZWJ, SpacingMark, Prepend, Regional_Indicator, Hangul
L/V/T/LV/LVT) or is CR before LF. So we find the runs of such "joining"
characters with a fast character class, widen each by one character on both
sides (a run's neighbours decide GB9c, GB11 and the like), segment only those
regions with ``\\X``, and count every other character as one cluster.

The class is derived at first use from `regex` itself, so both paths always
use the same Unicode version. Every character above U+FFFF is treated as
joining: a superset only sends more text down the exact path.
"""

from __future__ import annotations

import functools
import re

import regex

_GRAPHEME = regex.compile(r"\X")
_JOINING_PROPERTIES = (
    "Extend", "ZWJ", "SpacingMark", "Prepend", "Regional_Indicator", "L", "V", "T", "LV", "LVT",
)


@functools.cache
def _regions() -> re.Pattern[str]:
    props = "".join(rf"\p{{Grapheme_Cluster_Break={p}}}" for p in _JOINING_PROPERTIES)
    bmp = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))
    runs = regex.finditer(f"[{props}]+", bmp)
    parts = []
    for m in runs:
        lo, hi = m.group()[0], m.group()[-1]
        parts.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
    joining = "[" + "".join(parts) + "\\r\U00010000-\U0010ffff]"
    # Runs of joining characters, merged when one other character separates them.
    return re.compile(f"{joining}+(?:.{joining}+)*", re.DOTALL)


def count(text: str) -> int:
    """Number of extended grapheme clusters in `text` (same as len(regex.findall(r"\\X", text)))."""
    if text.isascii():
        return len(text) - text.count("\r\n")  # CR LF is the only ASCII cluster of two
    total = len(text)
    for m in _regions().finditer(text):
        start, end = max(m.start() - 1, 0), m.end() + 1
        region = text[start:end]
        total += len(_GRAPHEME.findall(region)) - len(region)
    return total
