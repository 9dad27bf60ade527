"""Text from a feed, cleaned of characters that act instead of reading.

A feed is written by someone else. Control characters in it can drive a
terminal (ESC ] 0 ; … BEL retitles the window, ESC [ 2 J clears it, 0x9b is a
one-byte CSI) and would go out in posts. So when an entry is parsed:

* every text field (title, text, summary, author, tags, image alt) loses its C0
  and C1 control characters (U+0000–U+001F, U+007F–U+009F) except newline and tab;
* titles also lose the bidi embedding, override and isolate controls
  (U+202A–U+202E, U+2066–U+2069), which make a headline display in an order
  other than the one it is written in;
* a lone surrogate (JSON Feed may spell one as "\\ud800") becomes U+FFFD: it
  cannot be encoded to print or post at all.

Everything else stays byte for byte: ZWJ emoji sequences, variation selectors,
right-to-left text with its marks (U+200E, U+200F, U+061C), NBSP.

What is printed is escaped once more at the terminal (`syndicate._terminal`):
this module makes the data clean, that one makes printing safe whatever the data.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` without C0/C1 control characters (newline and tab kept) or lone surrogates."""
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


def clean_title(text: str) -> str:
    """`clean_text`, and no bidi embedding/override/isolate controls either."""
    return _BIDI_CONTROLS.sub("", clean_text(text))


def has_controls(text: str) -> bool:
    """True when `clean_text` would change `text`."""
    return bool(_CONTROLS.search(text) or _SURROGATES.search(text))


def escape_url_controls(url: str) -> str:
    """A URL with any control character percent-encoded (as a browser's URL parser does)."""
    return _CONTROLS.sub(lambda m: quote(m.group(), safe=""), _SURROGATES.sub("\ufffd", url))
