"""Opaque keyset cursors: the sort key of the last row of a page."""

from __future__ import annotations

import base64
import json
from typing import Any


class BadCursor(ValueError):
    """The cursor was not made by this server."""


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise BadCursor("cursor is not valid") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadCursor("cursor is not valid")
    return values
