"""``RowMemo``: what a stored row decodes to, kept by the row's exact content.

Hot reads turn the same rows into the same objects again and again: list pages
(``GET /v1/bots``, ``GET /v1/audit``) into JSON, the dashboard polling them; every tool
call's policy read into a validated bot and its resources. A row read fresh from the database is
the key, every stored column of it, as the driver returned it: a row changed in any
way, by the API or behind its back, is another key, so what is kept can never be a
stale answer; it only spares validating and serialising a row byte for byte the same as
one seen before. A row that does not validate is not kept (the page is refused, as it
would be without the memo). Bounded: least recently used rows go first.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_SCALARS = (str, int, float, bytes, type(None))


#: the first item of a key made of the row's own values (``row_key``'s quick form)
_PLAIN = "plain"


def row_key(raw: Sequence[Any]) -> tuple[Any, ...]:
    """The row as a hashable key, with each value's type beside it (``True``, ``1`` and
    ``1.0`` must not meet). A row of hashable values (every SQLite row) is its values then
    their types, made in C; one with decoded JSON (PostgreSQL's driver hands JSON columns
    over as dicts and lists) keeps each such value as its JSON text, which keeps its keys'
    order, so ``row_of_key`` gives back the very row (and the same JSON)."""
    key = (_PLAIN, *raw, *map(type, raw))
    try:
        hash(key)
    except TypeError:
        return tuple((type(v).__name__, v) if isinstance(v, _SCALARS)
                     else ("json", json.dumps(v)) for v in raw)
    return key


def row_of_key(key: tuple[Any, ...]) -> list[Any]:
    """The row ``row_key`` was made from, as the driver returned it."""
    if key and key[0] == _PLAIN:
        return list(key[1:1 + (len(key) - 1) // 2])
    return [json.loads(value) if kind == "json" else value for kind, value in key]


class RowMemo(Generic[T]):
    """A bounded LRU of a row -> ``build(row)``, what the row decodes to (a validated
    model, its JSON bytes). ``build`` raising (a row that does not validate) keeps
    nothing, so such a row is refused each time it is read."""

    def __init__(self, build: Callable[[Sequence[Any]], T], size: int) -> None:
        self._of_key = functools.lru_cache(maxsize=size)(
            lambda key: build(row_of_key(key)))

    def of(self, raw: Sequence[Any]) -> T:
        return self._of_key(row_key(raw))

    def __len__(self) -> int:
        return self._of_key.cache_info().currsize


def json_page(items: Sequence[bytes], next_cursor: str | None) -> bytes:
    """``Page[T]``'s JSON (``data``, then ``next_cursor``) from its items' JSON."""
    tail = b"null" if next_cursor is None else json.dumps(next_cursor).encode("ascii")
    return b'{"data":[' + b",".join(items) + b'],"next_cursor":' + tail + b"}"
