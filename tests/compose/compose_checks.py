"""Property checks on composed posts, written independently of the composer's own cutting rules."""

from __future__ import annotations

import re

import regex

from syndicate.compose.length import measure
from syndicate.model import Limits, Post

CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef]")
KATAKANA = regex.compile(r"[\p{Katakana}ー]")
NUMBERING = re.compile(r" (\d+)/(\d+)$")
TRAILING_PUNCT = ",;:-‐–—/(（「『\"'«“‘"


def assert_fits(platform: str, post: Post, limits: Limits | None) -> None:
    m = measure(platform, post.text, limits=limits)
    assert m.valid, f"{platform}: {m.length}/{m.limit} for {post.text!r}"
    assert (post.length, post.limit) == (m.length, m.limit)


def vocabulary(*texts: str) -> set[str]:
    words: set[str] = set()
    for text in texts:
        for word in text.split():
            words.add(word)
            words.add(word.rstrip(TRAILING_PUNCT))
    return words


def is_whole(fragment: str, words: set[str], source: str) -> bool:
    """Whether `fragment` (the text just before a cut) ends on a whole word of the source.

    A whole token of the source qualifies; so does a piece of a token (CJK text has no spaces) that
    ends between two CJK characters (not inside a katakana run) or between a CJK character and a
    Latin word, and never inside a grapheme cluster.
    """
    if not fragment or fragment in words:
        return True
    for token in source.split():
        j = token.find(fragment)
        while j >= 0:
            end = j + len(fragment)
            if end == len(token):
                return True
            prev, nxt = token[end - 1], token[end]
            clusters = {m.start() for m in regex.finditer(r"\X", token)}
            if end in clusters and (CJK.match(prev) or CJK.match(nxt)) and not (
                KATAKANA.match(prev) and KATAKANA.match(nxt)
            ):
                return True
            j = token.find(fragment, j + 1)
    return False


def strip_numbering(text: str) -> tuple[str, tuple[int, int] | None]:
    m = NUMBERING.search(text)
    if not m:
        return text, None
    return text[: m.start()], (int(m.group(1)), int(m.group(2)))


def squash(text: str) -> str:
    """Text without whitespace or URL schemes: what must survive packing (a link may be shown schemeless)."""
    return re.sub(r"\s+|https?://", "", text)


def assert_facets(post: Post) -> None:
    raw = post.text.encode("utf-8")
    last_end = 0
    for f in post.facets:
        assert f.byte_start >= last_end, f"overlapping or unsorted facets in {post.text!r}"
        assert 0 <= f.byte_start < f.byte_end <= len(raw)
        shown = raw[f.byte_start : f.byte_end].decode("utf-8")  # raises if a range cuts a character
        if f.kind == "tag":
            # a cashtag ("$tsla") is a tag whose value is the ticker upper-cased, as the Bluesky app makes it
            cashtag = f.value[:1] == "$" and shown.upper() == f.value
            assert shown in ("#" + f.value, "＃" + f.value) or cashtag, (shown, f)
        elif f.kind == "mention":
            assert shown == "@" + f.value, (shown, f)
        else:
            assert f.kind == "link" and f.value.startswith(("http://", "https://")), f
            assert " " not in shown and shown, f
        last_end = f.byte_end
