"""The text Mastodon's StatusLengthValidator actually counts.

Mastodon (app/validators/status_length_validator.rb) rewrites the status text
before counting grapheme clusters: every URL with a scheme (twitter-text's
extractor with extract_url_without_protocol: false) becomes a fixed-size
placeholder, and every mention (Account::MENTION_RE) becomes ``@user`` without
its ``@domain``. Overlapping entities keep the earliest. A blank text (only
whitespace) counts as empty.
"""

from __future__ import annotations

import regex

from syndicate.compose._xurls import extract_urls

MAX_DOMAIN_LENGTH = 253

_WORD = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"  # Ruby's [[:word:]]
_MENTION = regex.compile(
    rf"(?<![=/]|{_WORD})@((?:[a-zA-Z0-9_]+(?:[.-]+[a-zA-Z0-9_]+)*)(?:@{_WORD}+(?:[.-]+{_WORD}+)*)?)"
)
# twitter-text's end_mention_match: a mention followed by these is not a mention.
_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_END_MENTION = regex.compile(rf"[@＠{_LATIN_ACCENTS}]|://")
_BLANK = regex.compile(r"[\p{White_Space}]*")


def _mentions(text: str) -> list[tuple[int, int, str]]:
    if "@" not in text and "＠" not in text:
        return []
    found = []
    for m in _MENTION.finditer(text):
        if _END_MENTION.match(text, m.end()):
            continue
        screen_name = m.group(1)
        _, _, domain = screen_name.partition("@")
        if len(domain) > MAX_DOMAIN_LENGTH:
            continue
        found.append((m.start(1) - 1, m.end(1), "@" + screen_name.split("@")[0]))
    return found


def countable_text(text: str, url_length: int) -> str:
    """`text` as Mastodon counts it: URLs → `url_length` placeholder chars, @user@domain → @user."""
    if _BLANK.fullmatch(text):
        return ""
    entities = [(u.start, u.end, "x" * url_length) for u in extract_urls(text, without_protocol=False)]
    entities += _mentions(text)
    if not entities:
        return text
    entities.sort(key=lambda e: e[0])
    pieces: list[str] = []
    pos = 0
    for start, end, replacement in entities:
        if start < pos:
            continue  # overlaps an entity already kept
        pieces += (text[pos:start], replacement)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)
