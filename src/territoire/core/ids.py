"""Time-ordered UUIDs (version 7, RFC 9562) for the public ids of high-volume tables.

A random UUID (version 4) lands on a random page of its unique index: at a million rows,
each insert reads a page that is rarely in memory, splits pages all over the index and
rewrites a different page at every commit. A version 7 UUID begins with the time in
milliseconds, so new ids go to the right end of the index, whose pages stay in memory
and are rewritten by many commits in a row. The rest (74 bits) is random: ids cannot be
guessed.

They tell when the row was made, to the millisecond: use them where the creation time
is public anyway (a report's ``requested_at`` is in every Open311 answer), not on
records whose timing could identify someone (a ballot).
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION = 0x7 << 76
_VARIANT = 0x2 << 62
_MASK = ~((0xF << 76) | (0x3 << 62))


def uuid7() -> uuid.UUID:
    """A new version 7 UUID: 48 bits of Unix time in milliseconds, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    value = ((millis & 0xFFFF_FFFF_FFFF) << 80) | int.from_bytes(os.urandom(10), "big")
    return uuid.UUID(int=(value & _MASK) | _VERSION | _VARIANT)
