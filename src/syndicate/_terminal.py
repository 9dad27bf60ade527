"""Text from feeds and servers, made safe to print on a terminal.

Feed text is cleaned when it is parsed (`watch.cleantext`), but what we print
also comes from state files written by older versions, error messages, account
names a server returns. So everything printed that someone else wrote goes
through `printable` (or `printable_json` for JSON output): characters that
would act on the terminal instead of showing become visible escapes.

Escaped: C0 and C1 controls except newline and tab (ESC, BEL, the one-byte CSI
0x9b …), the line and paragraph separators U+2028/U+2029, the bidi embedding,
override and isolate controls, and lone surrogates (which cannot be encoded).
Kept: everything that displays, including ZWJ emoji sequences, variation
selectors, right-to-left text and NBSP.

A leaf module (standard library only), so any layer that prints may use it.
"""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every character that would act on a terminal shown as an escape (\\x1b, \\u2028)."""
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text)


def printable_json(encoded: str) -> str:
    """JSON text (from json.dumps, ensure_ascii=False) with the same characters as \\uXXXX escapes.

    json.dumps escapes C0 controls itself but leaves DEL, C1, U+2028/U+2029 and
    the bidi controls raw. They can only occur inside JSON strings, where a
    \\uXXXX escape means the same character: the output still decodes to the
    same value.
    """
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
