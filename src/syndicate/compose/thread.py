"""Threads: the teaser first, then the dispatch's own text packed sentence by sentence.

Packing is greedy: each post takes as many whole sentences as its limit allows
(measured by the caller's `fits`, the platform's own count, numbering
included). A sentence is split only when it alone is too long: at word breaks,
and a single word longer than a whole post at grapheme clusters as a last
resort. Sentences of one paragraph are joined as they were written (a space,
or nothing in Chinese and Japanese); a paragraph break inside a post stays a
blank line.

Numbering "n/N" is appended to every part and counts toward its length; N
depends on the packing and the packing on N's width. Only the width matters
(every platform weighs digits alike), so we pack for a one-digit N and pack
again only if the count turns out to need more digits (a wider N can only add
parts, so this settles at once). With `max_parts`, a thread that would be
longer keeps max_parts - 2 body posts and ends with a closing post linking to
the full dispatch; the teaser and the closing post both count toward
max_parts. `body` is sentences, or paragraphs that are split into sentences
only when one does not fit whole (pysbd is slow; a 5-part thread never
splits a whole long text); greedy packing gives the same posts either way.

Cost follows the thread, not the text: paragraphs are split only as far as
packing reads them, a sentence longer than a chunk arrives in `open` pieces
that are pulled in only when the text so far fits (so every cut falls where
it would in the whole sentence), and cut points are searched within
`window.reach`. Beyond a few linear passes over the text (paragraphs, Bluesky
link shortening), a megabyte of body costs what its first few posts do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import regex

from syndicate.compose.sentences import (
    Paragraph,
    Sentence,
    grapheme_boundaries,
    word_breaks,
)
from syndicate.compose.window import WINDOW, fits_long, reach

__all__ = ["CLOSING", "compose_thread", "pack"]

CLOSING = "Read the full dispatch: {url}"
_MAX_ROUNDS = 8

_GRAPHEME = regex.compile(r"\X")

Fits = Callable[[str], bool]
Suffix = Callable[[int], str]


def numbering(total: int) -> Suffix:
    """The "n/N" suffix for each part number (1-based) of a thread of `total` parts."""
    return lambda n: f" {n}/{total}"


def _no_suffix(n: int) -> str:
    return ""


def compose_thread(
    first: Callable[[str], str | None],
    body: Sequence[Sentence | Paragraph],
    closing_url: str,
    fits: Fits,
    *,
    numbered: bool = True,
    max_parts: int = 5,
) -> list[str] | None:
    """The texts of a thread, in order, each fitting `fits`.

    `first(suffix)` returns the teaser shortened to leave room for `suffix`
    (None when nothing fits); `body` is the dispatch text as sentences (it is
    iterated more than once); `closing_url` is the link text shown in the
    closing post. Returns None when the first post cannot be made to fit.
    """
    max_parts = max(1, max_parts)
    if not body or max_parts == 1:
        return _single(first)
    total = min(max_parts, 9)  # any one-digit N packs the same as every other one-digit N
    for _ in range(_MAX_ROUNDS):
        suffix = numbering(total) if numbered else _no_suffix
        posts = pack(body, fits, suffix, first_number=2, stop_after=max_parts - 1)
        truncated = len(posts) > max_parts - 1  # more body posts than the cap leaves room for
        wanted = max_parts if truncated else 1 + len(posts)
        if not numbered or len(str(wanted)) == len(str(total)):
            break
        total = wanted
    if truncated:
        if max_parts - 2 < 1:  # no room for any body text: the teaser alone already links to the dispatch
            return _single(first)
        posts = [*posts[: max_parts - 2], _closing(closing_url, suffix(max_parts), fits)]
    suffix = numbering(1 + len(posts)) if numbered else _no_suffix
    head = first(suffix(1))
    if head is None:
        return None
    return [head + suffix(1), *(text + suffix(n) for n, text in enumerate(posts, start=2))]


def _single(first: Callable[[str], str | None]) -> list[str] | None:
    head = first("")
    return None if head is None else [head]


def _closing(url: str, suffix: str, fits: Fits) -> str:
    text = CLOSING.format(url=url)
    return text if fits(text + suffix) else url


def pack(
    body: Iterable[Sentence | Paragraph],
    fits: Fits,
    suffix: Suffix = _no_suffix,
    *,
    first_number: int = 1,
    stop_after: int | None = None,
) -> list[str]:
    """Sentences packed greedily into posts, in order; each post fits with its `suffix` (not included).

    With `stop_after`, packing stops once one post more than that exists, so
    callers can tell "it all fits in stop_after posts" from "it doesn't"
    without packing (or even splitting) a whole long text.
    """
    posts: list[str] = []
    current = ""

    def number() -> int:
        return first_number + len(posts)

    def full() -> bool:
        return stop_after is not None and len(posts) > stop_after

    for unit in body:
        if isinstance(unit, Paragraph):
            # Whole if it fits (what sentence-by-sentence packing would give too, as it would take them all).
            candidate = current + unit.joiner + unit.text if current else unit.text
            if fits_long(candidate + suffix(number()), fits):
                current = candidate
                continue
            sentences: Iterator[Sentence] = unit.iter_sentences()
        else:
            sentences = iter((unit,))
        for sentence in sentences:
            current = _add(sentence, sentences, current, posts, fits, suffix, number, full)
            if full():
                return posts
    if current:
        posts.append(current)
    return posts


def _add(
    sentence: Sentence,
    rest: Iterator[Sentence],
    current: str,
    posts: list[str],
    fits: Fits,
    suffix: Suffix,
    number: Callable[[], int],
    full: Callable[[], bool],
) -> str:
    """Put one sentence after `current` or, when it does not fit there, into new posts (appended to
    `posts`; a sentence too long for one post is split). Returns the post now being filled.

    An `open` sentence continues in the next pieces of `rest`: they are appended while the text so far
    fits (only then can the cut lie beyond it), so the posts are those of the whole sentence."""
    text, more = sentence.text, sentence.open

    def extend(text: str) -> str:
        nonlocal more
        piece = next(rest)  # an open piece is always followed by its continuation
        more = piece.open
        return text + piece.joiner + piece.text

    if current:
        while fits(current + sentence.joiner + text + suffix(number())):
            if not more:
                return current + sentence.joiner + text
            text = extend(text)
        posts.append(current)
        if full():
            return ""
    remaining = text
    while remaining or more:
        tail = suffix(number())
        if fits(remaining + tail):
            if not more:
                return remaining
            remaining = extend(remaining)
            continue
        cut = _longest_prefix(remaining, lambda t: fits(t + tail), whole=not more)  # noqa: B023 (called here)
        if more and cut >= len(remaining):  # only the piece's own end would fit, and the sentence goes on past it
            remaining = extend(remaining)
            continue
        posts.append(remaining[:cut].rstrip())
        remaining = remaining[cut:].lstrip()
        if full():
            return ""
    return ""


def _longest_prefix(text: str, fits: Fits, *, whole: bool = True) -> int:
    """Where to cut `text` so that text[:i] fits: the last word break that does, else the last grapheme
    boundary that does (a single word longer than a post), else one grapheme (nothing else can fit).
    `whole=False`: `text` is a piece of a longer sentence, so its own end is not a place to cut."""
    n = len(text)
    stop = n if n <= WINDOW else reach(text, lambda i: fits(text[:i].rstrip()))
    clusters = grapheme_boundaries(text)[1:] if stop == n else [
        b for b in grapheme_boundaries(text[: stop + 1])[1:] if b <= stop  # the cluster at stop needs text[stop]
    ]
    for bounds in (word_breaks(text, stop), clusters):
        if not whole:
            bounds = [b for b in bounds if b < n]
        best = _bisect(bounds, lambda i: fits(text[:i].rstrip()))
        if best is not None:
            return best
    first = _GRAPHEME.match(text)
    return first.end() if first else n


def _bisect(bounds: list[int], ok: Callable[[int], bool]) -> int | None:
    lo, hi, best = 0, len(bounds) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(bounds[mid]):
            best, lo = bounds[mid], mid + 1
        else:
            hi = mid - 1
    return best
