"""Identifiers: a prefix and a time-ordered, URL-safe body (``bot_01jd3x5k2m7q9r4t8v``)."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """A new id that sorts by creation time (millisecond resolution, then random)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(5), "big")
    return f"{prefix}_{_b32(millis, 10)}{_b32(rand, 8)}"


def ordered_id(prefix: str, millis: int, counter: int) -> str:
    """An id in ``new_id``'s format whose order follows (millis, counter), not chance."""
    return f"{prefix}_{_b32(millis, 10)}{_b32(counter & ((1 << 40) - 1), 8)}"
