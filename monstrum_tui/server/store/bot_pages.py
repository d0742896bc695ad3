"""A page of bots as JSON, the hot read of ``GET /v1/bots`` (the dashboard polls it).

Each bot's JSON is what ``TypeAdapter(Bot).dump_json`` makes of the row, validated the
same way as ``BotRepository.list`` does, kept by the row's exact content
(``RowMemo``: never stale). The page itself is always read fresh, in one driver
statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from ...client.models import Bot
from .bots import bot_of_fields
from .cursor import decode_cursor, encode_cursor
from .database import DriverColumns, driver_read, param
from .row_memo import RowMemo, json_page
from .schema import bots

if TYPE_CHECKING:
    from .store import Store

_BOT = TypeAdapter(Bot)
#: bots whose JSON is kept (~0.5-2 KB each)
CACHED_BOTS = 4096


class BotPageReader:
    """``GET /v1/bots``'s page: the same rows, order and cursor as ``BotRepository.list``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        dialect = store.engine.dialect
        self._dialect = dialect.name
        self._columns = DriverColumns(dialect, list(bots.columns))
        self.memo: RowMemo[bytes] = RowMemo(self.memo_build, CACHED_BOTS)

    def memo_build(self, raw: Sequence[Any]) -> bytes:
        """A bot row's JSON, validated (what ``memo`` keeps)."""
        fields = dict(zip(self._columns.names, self._columns.row(raw), strict=True))
        return _BOT.dump_json(bot_of_fields(fields), by_alias=True)

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
        return json_page([self.memo.of(r) for r in rows], next_cursor)
