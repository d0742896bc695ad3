"""Bots at rest, with their bindings mirrored into ``bot_bindings`` for lookups."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, delete, insert, or_, select, update

from ...client.models import Bot, BotCreate
from ..ids import new_id
from .columns import utcnow
from .cursor import keyset_page
from .schema import bot_bindings, bots

if TYPE_CHECKING:
    from .store import Store


#: a page of bots validated in one call (a third quicker than one model at a time)
_BOTS = TypeAdapter(list[Bot])


#: the columns of ``bots``, in the order ``select(bots)`` returns them
_NAMES = tuple(c.key for c in bots.c)


def _completed(fields: dict[str, Any]) -> dict[str, Any]:
    fields["enforce"] = fields["enforce"] or "enforce"  # rows from before the column
    return fields


def _bot_fields(row: Any) -> dict[str, Any]:
    """A bot's fields from any row holding the bots columns (a join may add others)."""
    m = row._mapping
    return _completed({name: m[name] for name in _NAMES})


def row_to_bot(row: Any) -> Bot:
    return Bot(**_bot_fields(row))


def bot_of_fields(fields: dict[str, Any]) -> Bot:
    """A bot from its columns by name (a row read on the driver, store/policy.py)."""
    return Bot(**_completed(dict(fields)))


def _sync_bindings(conn: Connection, bot_id: str, bindings: list[dict[str, Any]]) -> None:
    conn.execute(delete(bot_bindings).where(bot_bindings.c.bot_id == bot_id))
    resource_ids = sorted({b["resource_id"] for b in bindings})
    if resource_ids:
        conn.execute(
            insert(bot_bindings),
            [{"bot_id": bot_id, "resource_id": rid} for rid in resource_ids],
        )


class BotRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, spec: BotCreate) -> Bot:
        now = utcnow()
        bindings = [b.model_dump(mode="json") for b in spec.resource_bindings]
        row: dict[str, Any] = {
            "id": new_id("bot"),
            "name": spec.name,
            "description": spec.description,
            "model": spec.model,
            "status": spec.status,
            "allowed_operations": list(spec.allowed_operations),
            "resource_bindings": bindings,
            "enforce": spec.enforce,
            "created_at": now,
            "updated_at": now,
        }
        with self._store.write() as conn:
            conn.execute(insert(bots).values(**row))
            _sync_bindings(conn, row["id"], bindings)
        return Bot.model_validate(row)

    def get(self, bot_id: str) -> Bot | None:
        with self._store.read() as conn:
            row = conn.execute(select(bots).where(bots.c.id == bot_id)).first()
        return row_to_bot(row) if row else None

    def list(
        self, limit: int, cursor: str | None, q: str | None = None
    ) -> tuple[list[Bot], str | None]:
        query = select(bots)
        if q:
            like = f"%{q}%"
            query = query.where(or_(bots.c.name.ilike(like), bots.c.id.ilike(like)))
        with self._store.read() as conn:
            rows, next_cursor = keyset_page(conn, query, bots.c.id, limit, cursor)
        # rows of select(bots): their values are in _NAMES order (quicker than by name)
        fields = [_completed(dict(zip(_NAMES, r, strict=True))) for r in rows]
        return _BOTS.validate_python(fields), next_cursor

    def update(self, bot_id: str, changes: dict[str, Any]) -> Bot | None:
        """Apply already-validated changes (JSON-ready values)."""
        with self._store.write() as conn:
            values = dict(changes, updated_at=utcnow())
            result = conn.execute(update(bots).where(bots.c.id == bot_id).values(**values))
            if result.rowcount == 0:
                return None
            if "resource_bindings" in changes:
                _sync_bindings(conn, bot_id, changes["resource_bindings"])
            row = conn.execute(select(bots).where(bots.c.id == bot_id)).one()
        return row_to_bot(row)

    def delete(self, bot_id: str) -> bool:
        with self._store.write() as conn:
            conn.execute(delete(bot_bindings).where(bot_bindings.c.bot_id == bot_id))
            return conn.execute(delete(bots).where(bots.c.id == bot_id)).rowcount > 0

    def bound_to(self, resource_id: str) -> builtins.list[str]:
        """Ids of the bots bound to a resource."""
        with self._store.read() as conn:
            rows = conn.execute(
                select(bot_bindings.c.bot_id)
                .where(bot_bindings.c.resource_id == resource_id)
                .order_by(bot_bindings.c.bot_id)
            ).all()
        return [r.bot_id for r in rows]
