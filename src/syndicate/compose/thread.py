"""Threads: the teaser first, then the dispatch's own text packed sentence by sentence.

Packing is greedy: each post takes as many whole sentences as its limit allows
(measured by the caller's `fits`, the platform's own count, numbering
included). A sentence is split only when it alone is too long: at word breaks,
and a single word longer than a whole post at grapheme clusters as a last
resort. Sentences of one paragraph are joined as they were written (a space,
or nothing in Chinese and Japanese); a paragraph break inside a post stays a
blank line.

Numbering "n/N" is appended to every part and counts toward its length; N
depends on the packing and the packing on N's width, so we repeat until N is
stable (a wider N can only add parts, so this settles in a step or two).
With `max_parts`, a thread that would be longer keeps max_parts - 2 body posts
and ends with a closing post linking to the full dispatch; the teaser and the
closing post both count toward max_parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from syndicate.compose.sentences import Sentence, grapheme_boundaries, word_breaks

__all__ = ["CLOSING", "compose_thread", "pack"]

CLOSING = "Read the full dispatch: {url}"
_MAX_ROUNDS = 8

Fits = Callable[[str], bool]
Suffix = Callable[[int], str]


def numbering(total: int) -> Suffix:
    """The "n/N" suffix for each part number (1-based) of a thread of `total` parts."""
    return lambda n: f" {n}/{total}"


def _no_suffix(n: int) -> str:
    return ""


def compose_thread(
    first: Callable[[str], str | None],
    body: Sequence[Sentence],
    closing_url: str,
    fits: Fits,
    *,
    numbered: bool = True,
    max_parts: int = 5,
) -> list[str] | None:
    """The texts of a thread, in order, each fitting `fits`.

    `first(suffix)` returns the teaser shortened to leave room for `suffix`
    (None when nothing fits); `body` is the dispatch text as sentences;
    `closing_url` is the link text shown in the closing post. Returns None when
    the first post cannot be made to fit.
    """
    max_parts = max(1, max_parts)
    if not body or max_parts == 1:
        return _single(first)

    def layout(total: int | None) -> tuple[list[str], bool]:
        suffix = numbering(total) if (numbered and total) else _no_suffix
        posts = pack(body, fits, suffix, first_number=2, stop_after=max_parts - 1)
        return posts, len(posts) > max_parts - 1  # more body posts than the cap leaves room for

    total: int | None = None
    posts: list[str] = []
    truncated = False
    for _ in range(_MAX_ROUNDS):
        posts, truncated = layout(total)
        wanted = max_parts if truncated else 1 + len(posts)
        if not numbered or wanted == total:
            break
        total = wanted
    if truncated:
        keep = max_parts - 2
        if keep < 1:  # no room for any body text: the teaser alone already links to the dispatch
            return _single(first)
        posts = posts[:keep]
        posts.append(_closing(closing_url, numbering(max_parts)(max_parts) if numbered else "", fits))
    # Converged, the body was laid out for exactly this many parts.
    suffix = numbering(1 + len(posts)) if numbered else _no_suffix
    head = first(suffix(1))
    if head is None:
        return None
    return [head + suffix(1), *posts]


def _single(first: Callable[[str], str | None]) -> list[str] | None:
    head = first("")
    return None if head is None else [head]


def _closing(url: str, suffix: str, fits: Fits) -> str:
    text = CLOSING.format(url=url)
    return text + suffix if fits(text + suffix) else url + suffix


def pack(
    body: Sequence[Sentence],
    fits: Fits,
    suffix: Suffix = _no_suffix,
    *,
    first_number: int = 1,
    stop_after: int | None = None,
) -> list[str]:
    """Sentences packed greedily into posts (suffix included), in order.

    With `stop_after`, packing stops once one post more than that exists, so
    callers can tell "it all fits in stop_after posts" from "it doesn't"
    without packing a whole long text.
    """
    posts: list[str] = []
    current = ""

    def number() -> int:
        return first_number + len(posts)

    def full() -> bool:
        return stop_after is not None and len(posts) > stop_after

    for sentence in body:
        if current:
            candidate = current + sentence.joiner + sentence.text
            if fits(candidate + suffix(number())):
                current = candidate
                continue
            posts.append(current + suffix(number()))
            current = ""
            if full():
                return posts
        remaining = sentence.text
        while remaining:
            tail = suffix(number())
            if fits(remaining + tail):
                current = remaining
                break
            cut = _longest_prefix(remaining, lambda t: fits(t + tail))
            posts.append(remaining[:cut].rstrip() + tail)
            remaining = remaining[cut:].lstrip()
            if full():
                return posts
    if current:
        posts.append(current + suffix(number()))
    return posts


def _longest_prefix(text: str, fits: Fits) -> int:
    """Where to cut `text` so that text[:i] fits: the last word break that does, else the last grapheme
    boundary that does (a single word longer than a post), else one grapheme (nothing else can fit)."""
    for bounds in (word_breaks(text), grapheme_boundaries(text)[1:]):
        best = _bisect(bounds, lambda i: fits(text[:i].rstrip()))
        if best is not None:
            return best
    return grapheme_boundaries(text)[1]


def _bisect(bounds: list[int], ok: Callable[[int], bool]) -> int | None:
    lo, hi, best = 0, len(bounds) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(bounds[mid]):
            best, lo = bounds[mid], mid + 1
        else:
            hi = mid - 1
    return best
