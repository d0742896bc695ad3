"""Opaque keyset cursors: the sort key of the last row of a page."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import Column, Connection, Row, Select


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


def keyset_page(
    conn: Connection,
    query: Select[Any],
    column: Column[Any],
    limit: int,
    cursor: str | None,
    *,
    descending: bool = False,
) -> tuple[list[Row[Any]], str | None]:
    """One page of ``query`` ordered and keyset-paged on a unique ``column``.

    Returns the rows and the cursor of the next page (None on the last page).
    """
    if cursor:
        (last,) = decode_cursor(cursor, 1)
        query = query.where(column < str(last) if descending else column > str(last))
    query = query.order_by(column.desc() if descending else column).limit(limit + 1)
    rows = list(conn.execute(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(getattr(rows[-1], column.key)) if more else None
