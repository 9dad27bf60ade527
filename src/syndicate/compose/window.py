"""How far into a long text a post could reach: the bound on every search for where to cut.

A post holds a few hundred characters; a dispatch can carry a megabyte. A
search for "the longest prefix that fits" need only look as far as a prefix
could fit, so it first probes the cut at the last word break within `WINDOW`
characters, then within twice as many, and so on, and stops at the first
probe that does not fit: every longer cut contains it and weighs at least as
much (the monotony every binary search over cut points here relies on), so
none of them fits either. The bound comes from the platform's own `fits`, not
from a guessed size: a Mastodon instance allowing 100,000 characters gets a
window that large, and a run of links X weighs 23 each is followed as far as
it fits. Probing costs about twice the window, so the work stays linear in
what a post can hold. Texts up to `WINDOW` are searched exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from syndicate.compose.sentences import word_breaks

__all__ = ["WINDOW", "fits_long", "reach"]

WINDOW = 4096
_TAIL = 256
_GRAPHEME = regex.compile(r"\X")


def reach(text: str, ok: Callable[[int], bool]) -> int:
    """An index of `text` no fitting cut lies beyond: the first probe cut i (see above) for which
    `ok(i)` is false, or len(text) when every probe fits. `ok(i)`: whether the cut at i fits."""
    n, w = len(text), WINDOW
    while w < n:
        i = _probe(text, w)
        if i and not ok(i):
            return i
        w *= 2
    return n


def fits_long(text: str, fits: Callable[[str], bool]) -> bool:
    """`fits(text)`, without measuring the whole of a long text when a prefix of it already does not fit."""
    if len(text) > WINDOW and reach(text, lambda i: fits(text[:i])) < len(text):
        return False
    return fits(text)


def _probe(text: str, w: int) -> int:
    """A cut at or before `w`, found by looking at the last `_TAIL` characters only: the last word break
    there; else (inside a long word) the last grapheme cluster boundary, as a prefix of a link weighs no
    more than the link; else 0. A word break near i depends only on a few characters around i."""
    start = max(0, w - _TAIL)
    breaks = [start + i for i in word_breaks(text[start : w + 1]) if 0 < start + i <= w]
    if breaks:
        return breaks[-1]
    bounds = [m.start() for m in _GRAPHEME.finditer(text, start, w + 1)]  # the cluster at w needs text[w]
    inside = [b for b in bounds if start < b <= w]
    return inside[-1] if inside else 0
