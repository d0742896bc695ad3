"""``RowJsonMemo``: the JSON of a stored row, kept by the row's exact content.

Hot list pages (``GET /v1/bots``, ``GET /v1/audit``) turn the same rows into the same
JSON again and again (the dashboard polls them). A row read fresh from the database is
the key, every stored column of it, as the driver returned it: a row changed in any
way, by the API or behind its back, is another key, so what is kept can never be a
stale answer; it only spares validating and serialising a row byte for byte the same as
one seen before. A row that does not validate is not kept (the page is refused, as it
would be without the memo). Bounded: least recently used rows go first.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

_SCALARS = (str, int, float, bytes, type(None))


def row_key(raw: Sequence[Any]) -> tuple[Any, ...]:
    """The row as a hashable key (PostgreSQL's driver hands JSON columns over decoded;
    ``True`` and ``1`` must not meet, so scalars are kept with their type)."""
    return tuple((type(v).__name__, v) if isinstance(v, _SCALARS)
                 else ("json", json.dumps(v, sort_keys=True)) for v in raw)


class RowJsonMemo:
    """A bounded LRU of a row -> ``build(row)``, the JSON bytes of what the row holds."""

    def __init__(self, build: Callable[[Sequence[Any]], bytes], size: int) -> None:
        self._build = build
        self._size = size
        self._kept: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def json_of(self, raw: Sequence[Any]) -> bytes:
        key = row_key(raw)
        with self._lock:
            body = self._kept.get(key)
            if body is not None:
                self._kept.move_to_end(key)
                return body
        body = self._build(raw)  # raises for a row that does not validate: not kept
        with self._lock:
            self._kept[key] = body
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return body

    def __len__(self) -> int:
        return len(self._kept)


def json_page(items: Sequence[bytes], next_cursor: str | None) -> bytes:
    """``Page[T]``'s JSON (``data``, then ``next_cursor``) from its items' JSON."""
    tail = b"null" if next_cursor is None else json.dumps(next_cursor).encode("ascii")
    return b'{"data":[' + b",".join(items) + b'],"next_cursor":' + tail + b"}"
