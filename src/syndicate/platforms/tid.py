"""Bluesky record keys (TIDs), chosen before the first attempt so a retry can't post twice.

A TID is 13 characters of base32-sortable text ("234567abcdefghijklmnopqrstuvwxyz")
encoding a 64-bit integer: top bit 0, 53 bits of microseconds since the Unix
epoch, 10 bits of clock id (random per process). Spec: atproto.com/specs/tid.
"""

from __future__ import annotations

import random
import re
import threading
import time

_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_CLOCK_ID = random.SystemRandom().randrange(1024)
_lock = threading.Lock()
_last = 0


def new_tid(now: float | None = None) -> str:
    """A fresh TID; strictly increasing within this process."""
    global _last
    micros = int((time.time() if now is None else now) * 1_000_000)
    with _lock:
        micros = max(micros, _last + 1)
        _last = micros
    value = (micros << 10) | _CLOCK_ID
    chars = []
    for _ in range(13):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
