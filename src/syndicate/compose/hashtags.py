"""Feed tags and categories → hashtags that every platform recognises.

`Open Source` → `#OpenSource`, `COVID-19` → `#COVID19`, `état` → `#état`,
`東京` → `#東京`. A hashtag keeps Unicode letters, combining marks, digits and
the underscore; everything else is dropped. Words separated by spaces, hyphens
or slashes are joined in CamelCase so the tag stays readable; other punctuation
(`Node.js`, `don't`) is dropped without a capital. A tag that would be empty or
all digits is skipped: none of the three networks links `#2026`.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

# Bluesky refuses tags longer than 64 graphemes; nobody reads one that long anyway.
MAX_TAG_GRAPHEMES = 64

_WORD_SEPARATOR = regex.compile(r"[\s\-‐‑‒–—―/\\|·・,;+&]+")
_NOT_TAG_CHAR = regex.compile(r"[^\p{L}\p{M}\p{N}_]+")
_ALL_DIGITS_OR_UNDERSCORE = regex.compile(r"[\p{N}_]*")


def to_hashtag(tag: str) -> str | None:
    """The hashtag for one feed tag, with its '#', or None when nothing usable is left."""
    words = [w for w in _WORD_SEPARATOR.split(tag.strip().lstrip("#＃")) if w]
    parts: list[str] = []
    for word in words:
        cleaned = _NOT_TAG_CHAR.sub("", word)
        if not cleaned:
            continue
        if len(words) > 1:
            # CamelCase across words; leave the rest of each word alone ("iPhone", "NASA").
            cleaned = cleaned[0].upper() + cleaned[1:]
        parts.append(cleaned)
    body = "".join(parts)
    if not body or _ALL_DIGITS_OR_UNDERSCORE.fullmatch(body):
        return None
    if len(regex.findall(r"\X", body)) > MAX_TAG_GRAPHEMES:
        return None
    return "#" + body


def hashtags(tags: Iterable[str], max_hashtags: int) -> tuple[str, ...]:
    """Distinct hashtags for `tags`, in feed order, case-insensitively deduplicated, at most `max_hashtags`."""
    out: list[str] = []
    seen: set[str] = set()
    if max_hashtags <= 0:
        return ()
    for tag in tags:
        tagged = to_hashtag(tag)
        if tagged is None:
            continue
        key = tagged.casefold()
        if key in seen:
            continue
        seen.add(key)
        out.append(tagged)
        if len(out) >= max_hashtags:
            break
    return tuple(out)
