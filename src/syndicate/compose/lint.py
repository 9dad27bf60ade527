"""Warnings about a dispatch, shown by dry-run; blocking ones hold it until `syndicate release`.

What we look for is what goes wrong in real newsrooms: a template published
before it was filled in (`[Your Name]`, `TK`, `lorem ipsum`, `{{name}}`), HTML
that leaked into a plain-text field (`<p>`, `&amp;`), a dispatch without a
body or without a link. Messages are for the journalist, not for us: they say
what was found, where, and what happens next.

Codes: placeholder (blocking), html-leftover (blocking), missing-link
(blocking), empty-body (blocking only for threads), long-title, empty-title,
held (blocking; the feed has `hold = true`).
"""

from __future__ import annotations

import html.entities
from urllib.parse import urlsplit

import regex

from syndicate.compose.length import graphemes
from syndicate.model import Dispatch, Lint

LONG_TITLE = 200  # characters (grapheme clusters)

_PLACEHOLDERS = (
    regex.compile(r"\[\s*(?:your|insert|add|enter)\b[^\]\n]{0,40}\]", regex.IGNORECASE),
    regex.compile(r"(?<![\w@])@YourHandle\b", regex.IGNORECASE),
    regex.compile(r"(?<![\p{L}\p{N}_-])TK(?:TK)*(?![\p{L}\p{N}_-])"),  # newsroom "to come"; uppercase only
    regex.compile(r"\blorem\s+ipsum\b", regex.IGNORECASE),
    regex.compile(r"\{\{[^{}\n]{0,60}\}\}|\{%[^%\n]{0,60}%\}"),
)
_TAG_NAMES = (
    "a|abbr|article|aside|b|blockquote|br|caption|cite|code|div|em|figcaption|figure|font|footer|h[1-6]|header|"
    "hr|i|iframe|img|li|main|nav|ol|p|picture|pre|s|script|section|small|source|span|strong|style|sub|sup|table|"
    "tbody|td|th|thead|tr|u|ul|video"
)
_HTML_TAG = regex.compile(rf"</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>", regex.IGNORECASE)
_ENTITY = regex.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_NAMED = frozenset(name.rstrip(";") for name in html.entities.html5)


def lint_dispatch(dispatch: Dispatch, *, thread: bool = False, hold: bool = False) -> tuple[Lint, ...]:
    """Every warning for `dispatch`. `thread`: some platform posts it as a thread (then an empty body
    blocks); `hold`: the feed holds everything (adds a blocking `held`)."""
    out: list[Lint] = []
    fields = (("title", dispatch.title), ("summary", dispatch.summary), ("text", dispatch.text))
    for name, value in fields:
        found = find_placeholder(value)
        if found:
            out.append(Lint(
                "placeholder",
                f"The {_label(name)} still contains the placeholder {found!r}; fill it in on your site, "
                "or release the dispatch if it is meant to be there.",
                blocking=True,
            ))
    for name, value in fields:
        found = find_html(value)
        if found:
            out.append(Lint(
                "html-leftover",
                f"The {_label(name)} contains HTML markup {found!r} that would be posted as-is; check the "
                "feed's content, or release the dispatch if it is meant to be there.",
                blocking=True,
            ))
    if not _is_link(dispatch.url):
        shown = repr(dispatch.url) if dispatch.url else "none"
        out.append(Lint(
            "missing-link",
            f"The dispatch has no usable web link (found: {shown}); every post links to the dispatch, "
            "so nothing is posted until the feed gives one.",
            blocking=True,
        ))
    if not dispatch.title.strip():
        out.append(Lint("empty-title", "The dispatch has no title; posts will start with the summary."))
    elif graphemes(dispatch.title) > LONG_TITLE:  # counted without a list of every cluster of a long title
        out.append(Lint(
            "long-title",
            f"The title is longer than {LONG_TITLE} characters; it will be shortened in posts.",
        ))
    if not dispatch.text.strip():
        if thread:
            out.append(Lint(
                "empty-body",
                "The dispatch has no body text, but a thread was asked for; it would only be the teaser. "
                "Release it to post the teaser alone.",
                blocking=True,
            ))
        else:
            out.append(Lint("empty-body", "The dispatch has no body text; teasers use the title and summary."))
    if hold:
        out.append(Lint(
            "held",
            "This feed holds every dispatch (hold = true); it is posted after `syndicate release`.",
            blocking=True,
        ))
    return tuple(out)


def find_placeholder(text: str) -> str | None:
    """The first unfilled placeholder in `text`, as written, or None."""
    hits = [m for m in (pattern.search(text) for pattern in _PLACEHOLDERS) if m]
    return min(hits, key=lambda m: m.start()).group() if hits else None


def find_html(text: str) -> str | None:
    """The first leftover HTML tag or character reference in `text`, as written, or None."""
    hits = [m for m in (_HTML_TAG.search(text), _first_entity(text)) if m]
    return min(hits, key=lambda m: m.start()).group() if hits else None


def _first_entity(text: str) -> regex.Match[str] | None:
    for m in _ENTITY.finditer(text):
        body = m.group()[1:-1]
        if body.startswith("#") or body in _NAMED:
            return m
    return None


def _is_link(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _label(field: str) -> str:
    return {"text": "body", "summary": "summary", "title": "title"}[field]
