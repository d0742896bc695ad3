"""A page of bots as JSON, the hot read of ``GET /v1/bots`` (the dashboard polls it).

Each bot's JSON is what ``TypeAdapter(Bot).dump_json`` makes of the row, validated the
same way as ``BotRepository.list`` does; it is kept in a bounded LRU keyed by the row
exactly as the driver returned it (every stored column, its raw text and integers). A
row changed in any way, by the API or behind its back in the database, is a different
key, so a kept answer is never stale: the cache only spares validating and serialising
a row that is byte for byte the one seen before. The page itself is always read fresh,
in one driver statement.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from ...client.models import Bot
from .bots import bot_of_fields
from .cursor import decode_cursor, encode_cursor
from .database import DriverColumns, driver_read, param
from .schema import bots

if TYPE_CHECKING:
    from .store import Store

_BOT = TypeAdapter(Bot)
#: bots whose JSON is kept (~0.5-2 KB each)
CACHED_BOTS = 4096


_SCALARS = (str, int, float, bytes, type(None))


def _row_key(raw: Sequence[Any]) -> tuple[Any, ...]:
    """The row as a hashable key: PostgreSQL's driver hands JSON columns over decoded."""
    return tuple(v if isinstance(v, _SCALARS) else ("json", json.dumps(v, sort_keys=True))
                 for v in raw)


class BotJsonMemo:
    """A bounded LRU of a bot row (raw driver values) -> the bot's JSON bytes."""

    def __init__(self, columns: DriverColumns, size: int = CACHED_BOTS) -> None:
        self._columns = columns
        self._size = size
        self._kept: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def json_of(self, raw: Sequence[Any]) -> bytes:
        key = _row_key(raw)
        with self._lock:
            body = self._kept.get(key)
            if body is not None:
                self._kept.move_to_end(key)
                return body
        fields = dict(zip(self._columns.names, self._columns.row(raw), strict=True))
        body = _BOT.dump_json(bot_of_fields(fields), by_alias=True)
        with self._lock:
            self._kept[key] = body
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return body

    def __len__(self) -> int:
        return len(self._kept)


class BotPageReader:
    """``GET /v1/bots``'s page: the same rows, order and cursor as ``BotRepository.list``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        dialect = store.engine.dialect
        self._dialect = dialect.name
        self._columns = DriverColumns(dialect, list(bots.columns))
        self.memo = BotJsonMemo(self._columns)

    def _sql(self, after: bool, text: bool) -> str:
        def p(name: str) -> str:
            return param(self._dialect, name)

        where: list[str] = []
        if after:
            where.append(f"id > {p('after')}")
        if text:
            # what SQLAlchemy's ilike renders for each dialect (BotRepository.list uses it)
            if self._dialect == "postgresql":
                where.append(f"(name ILIKE {p('like')} OR id ILIKE {p('like')})")
            else:
                where.append(f"(lower(name) LIKE lower({p('like')}) "
                             f"OR lower(id) LIKE lower({p('like')}))")
        sql = f"SELECT {', '.join(self._columns.names)} FROM {bots.name}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql + f" ORDER BY id LIMIT {p('n')}"

    def page(self, limit: int, cursor: str | None, q: str | None = None) -> bytes:
        """The page as the JSON of ``Page[Bot]`` (``data``, ``next_cursor``)."""
        named: dict[str, Any] = {"n": limit + 1}
        if cursor:
            (last,) = decode_cursor(cursor, 1)
            named["after"] = str(last)
        if q:
            named["like"] = f"%{q}%"
        with driver_read(self._store.engine) as cur:
            rows = cur.all(self._sql(bool(cursor), bool(q)), named)
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][self._columns.names.index("id")]) if more else None
        data = b",".join(self.memo.json_of(r) for r in rows)
        tail = b"null" if next_cursor is None else b'"' + next_cursor.encode("ascii") + b'"'
        return b'{"data":[' + data + b'],"next_cursor":' + tail + b"}"
