"""Teasers: one post from a template, shortened until it fits the platform's own count.

The template language is Python `str.format` fields (`{title}`, `{summary}`,
`{url}`, `{hashtags}`, `{author}`, `{feed}`; see `compose/templates.py`). A
line whose fields all came out empty disappears, and runs of blank lines
collapse to one, so "{title}\\n\\n{summary}\\n\\n{url}" without a summary does
not leave a hole.

When the teaser is too long, in this order: hashtags go (last first), the
summary is cut at a sentence end, then at a word with "…", then dropped; then
the title is shortened the same way. The link is never touched, and no cut
ever falls inside a word, URL, hashtag, emoji or grapheme cluster (cuts are
only at `sentences.word_breaks`). Whether a candidate fits is decided by the
caller's `fits`, i.e. the platform's `measure()`; "…" weighs what the
platform says (2 on X).

Work is bounded by what a post can hold, not by the length of the field: a
summary can be a whole article (an RSS description) of a megabyte. Searches
look only as far as `window.reach` says a cut could fit, split sentences only
there, and binary-search the cut points, building and measuring only the
candidates they probe.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from itertools import accumulate

import regex

from syndicate.compose.sentences import Sentence, split_paragraphs, word_breaks
from syndicate.compose.templates import FIELDS, validate_template
from syndicate.compose.window import WINDOW, fits_long, reach

__all__ = ["ELLIPSIS", "Fields", "fit_teaser", "render", "shorten", "validate_template"]

ELLIPSIS = "…"
# Dangling punctuation dropped before the ellipsis: "said, …" reads as "said…".
_DANGLING = " \t\n,;:、，；：-‐–—/(（「『\"'«“‘"
_LINE_SPACES = regex.compile(r"[ \t]{2,}")
# Text beyond the reach of a cut that sentence splitting still reads, so that the sentence ends it
# finds up to there are the ones it finds in the whole text (pysbd looks a few characters ahead).
_CONTEXT = 256

Fits = Callable[[str], bool]


@dataclass(frozen=True)
class Fields:
    """The values a template can show. `url` is the link text as shown (possibly shortened)."""

    title: str
    summary: str
    url: str
    hashtags: tuple[str, ...] = ()
    author: str = ""
    feed: str = ""

    def value(self, name: str) -> str:
        if name == "hashtags":
            return " ".join(self.hashtags)
        return str(getattr(self, name))


@lru_cache(maxsize=64)
def _parse(template: str) -> tuple[tuple[tuple[str, str | None], ...], ...]:
    """The template as lines of (literal, field-or-None) pieces. Raises ValueError naming a bad field."""
    lines = []
    for line in template.split("\n"):
        pieces = []
        try:
            parsed = list(string.Formatter().parse(line))
        except ValueError as exc:
            raise ValueError(f"invalid template line {line!r}: {exc}") from None
        for literal, field, spec, conversion in parsed:
            if field is not None and field not in FIELDS:
                raise ValueError(
                    f"unknown template field {{{field}}}; available: " + ", ".join("{" + f + "}" for f in FIELDS)
                )
            if spec or conversion:
                raise ValueError(f"template field {{{field}}}: format specs and conversions are not supported")
            pieces.append((literal, field))
        lines.append(tuple(pieces))
    return tuple(lines)


def render(template: str, fields: Fields) -> str:
    """The template filled in: empty-field lines dropped, blank lines collapsed, edges stripped."""
    out: list[str] = []
    for pieces in _parse(template):
        values = [fields.value(f) for _, f in pieces if f is not None]
        if values and not any(values):
            continue  # every field on this line is empty: the line goes, not just the fields
        text = "".join(lit + (fields.value(f) if f is not None else "") for lit, f in pieces)
        text = _LINE_SPACES.sub(" ", text).strip()
        if text or (out and out[-1]):
            out.append(text)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def fit_teaser(template: str, fields: Fields, fits: Fits, *, language: str | None = None) -> str | None:
    """The fullest rendering of `template` that `fits`, shortening in the documented order; None if even
    the link with every other field dropped does not fit."""

    def attempt(f: Fields) -> str | None:
        text = render(template, f)
        return text if fits_long(text, fits) else None

    # A teaser weighs at least what each field it shows weighs. A long field the template shows that does
    # not fit even alone (a whole article as the summary) fails every rendering that shows all of it, so
    # those are skipped rather than made: each would render and measure the whole field, for nothing.
    shown = {field for line in _parse(template) for _, field in line if field}
    too_long = {
        name for name in ("summary", "title")
        if name in shown and len(_get(fields, name)) > WINDOW and not fits_long(_get(fields, name), fits)
    }
    for keep in range(len(fields.hashtags), -1, -1) if not too_long else ():  # all tags, one fewer, … none
        text = attempt(replace(fields, hashtags=fields.hashtags[:keep]))
        if text is not None:
            return text
    f = replace(fields, hashtags=())
    for name in ("summary", "title"):
        if name == "summary" and "title" in too_long:
            f = _set(f, name, "")  # every summary attempt would show the whole title: on to the title
            continue
        cut = shorten(_get(f, name), partial(_renders_with, attempt, f, name), language=language)
        if cut is not None:
            return attempt(_set(f, name, cut))
        f = _set(f, name, "")
        text = attempt(f)
        if text is not None:
            return text
    # Last resort before giving up: the byline fields, which templates rarely use.
    return attempt(replace(f, author="", feed=""))


def _renders_with(attempt: Callable[[Fields], str | None], fields: Fields, name: str, value: str) -> bool:
    """Whether the teaser renders and fits with `name` set to `value`."""
    return attempt(_set(fields, name, value)) is not None


def _get(fields: Fields, name: str) -> str:
    return fields.summary if name == "summary" else fields.title


def _set(fields: Fields, name: str, value: str) -> Fields:
    return replace(fields, summary=value) if name == "summary" else replace(fields, title=value)


def shorten(text: str, fits: Fits, *, language: str | None = None) -> str | None:
    """The longest shortening of `text` that `fits`: whole sentences first, else whole words + "…".

    Returns None when not even one word with "…" fits (the caller drops the field).
    The full text itself is not tried: the caller knows it does not fit.
    """
    if not text:
        return None
    end = len(text) if len(text) <= WINDOW else reach(text, lambda i: fits(text[:i]))
    whole = end + _CONTEXT >= len(text)
    sentences = _sentences(text if whole else text[: end + _CONTEXT], language)
    # Candidates end after a sentence: never the last one (the whole text, or cut off by the window),
    # never inside a sentence handed on in pieces.
    ends = [k for k in range(len(sentences) - 1) if not sentences[k].open]
    if ends:
        pieces = [sentences[0].text, *(s.joiner + s.text for s in sentences[1:])]
        joined, offsets = "".join(pieces), list(accumulate(map(len, pieces)))
        best = _last_fitting([offsets[k] for k in ends], lambda i: fits(joined[:i]))
        if best is not None:
            return joined[:best]
    return truncate(text, fits)


def truncate(text: str, fits: Fits) -> str | None:
    """The longest whole-word prefix of `text` + "…" that `fits` (binary search over word breaks), or None."""
    stop = len(text)
    if stop > WINDOW:
        stop = reach(text, lambda i: fits(text[: _cut(text, i)] + ELLIPSIS))
    end = len(text)
    while end and text[end - 1].isspace():
        end -= 1
    cuts: list[int] = []  # where each candidate ends, dangling punctuation dropped; each once
    for i in word_breaks(text, stop):
        if i >= end:
            break  # the whole text: not a shortening
        j = _cut(text, i)
        if j and (not cuts or cuts[-1] != j):
            cuts.append(j)
    best = _last_fitting(cuts, lambda j: fits(text[:j] + ELLIPSIS))
    return None if best is None else text[:best] + ELLIPSIS


def _cut(text: str, i: int) -> int:
    """Where text[:i] ends with its dangling punctuation dropped (len(text[:i].rstrip(_DANGLING)))."""
    while i and text[i - 1] in _DANGLING:
        i -= 1
    return i


def _last_fitting(cuts: list[int], ok: Callable[[int], bool]) -> int | None:
    """The last of the ascending `cuts` for which `ok` holds, by binary search: longer prefixes weigh more,
    so `ok` is monotone along them, and each probe builds and measures one candidate."""
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(cuts[mid]):
            best, lo = cuts[mid], mid + 1
        else:
            hi = mid - 1
    return best


@lru_cache(maxsize=512)
def _sentences(text: str, language: str | None) -> tuple[Sentence, ...]:
    """The sentences of `text`, a sentence longer than a chunk in `open` pieces (see sentences.py)."""
    return tuple(s for para in split_paragraphs(text, language) for s in para.iter_sentences())
