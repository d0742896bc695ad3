"""Resources at rest: config in the clear, credentials as one Fernet token."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ...client.models import Bot
from .bots import row_to_bot
from .columns import utcnow
from .cursor import keyset_page
from .schema import bot_bindings, bots, resources

if TYPE_CHECKING:
    from .store import Store


class ResourceExists(Exception):
    """A resource with this id exists already."""


@dataclass(frozen=True)
class ResourceRecord:
    id: str
    type: str
    name: str
    config: dict[str, Any]
    #: the encrypted credentials; only the tool catalog decrypts them
    credentials_token: str
    credential_fields: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BindingRecord:
    """One bot's binding to a resource, as the bot stores it."""

    bot_id: str
    bot_name: str
    bot_status: str
    allowed_operations: list[str]
    binding: dict[str, Any]
    #: the whole bot, for the governance verdicts on its binding
    bot: Bot


def record_of_row(row: Any) -> ResourceRecord:
    return ResourceRecord(
        id=row.id,
        type=row.type,
        name=row.name,
        config=dict(row.config or {}),
        credentials_token=row.credentials or "",
        credential_fields=list(row.credential_fields or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class ResourceRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self,
        resource_id: str,
        type_id: str,
        name: str,
        config: dict[str, Any],
        credentials_token: str,
        credential_fields: list[str],
    ) -> ResourceRecord:
        now = utcnow()
        row: dict[str, Any] = {
            "id": resource_id,
            "type": type_id,
            "name": name,
            "config": config,
            "credentials": credentials_token,
            "credential_fields": sorted(credential_fields),
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self._store.write() as conn:
                taken = select(resources.c.id).where(resources.c.id == resource_id)
                if conn.execute(taken).first():
                    raise ResourceExists(resource_id)
                conn.execute(insert(resources).values(**row))
        except IntegrityError as exc:  # a concurrent create of the same id
            raise ResourceExists(resource_id) from exc
        return ResourceRecord(
            id=resource_id, type=type_id, name=name, config=config,
            credentials_token=credentials_token, credential_fields=row["credential_fields"],
            created_at=now, updated_at=now,
        )

    def get(self, resource_id: str) -> ResourceRecord | None:
        with self._store.read() as conn:
            row = conn.execute(select(resources).where(resources.c.id == resource_id)).first()
        return record_of_row(row) if row else None

    def get_many(self, resource_ids: set[str]) -> dict[str, ResourceRecord]:
        if not resource_ids:
            return {}
        with self._store.read() as conn:
            rows = conn.execute(select(resources).where(resources.c.id.in_(resource_ids))).all()
        return {r.id: record_of_row(r) for r in rows}

    def list(
        self, limit: int, cursor: str | None, *, type_id: str | None = None, q: str | None = None
    ) -> tuple[list[ResourceRecord], str | None]:
        query = select(resources)
        if type_id:
            query = query.where(resources.c.type == type_id)
        if q:
            like = f"%{q}%"
            query = query.where(or_(resources.c.name.ilike(like), resources.c.id.ilike(like)))
        with self._store.read() as conn:
            rows, next_cursor = keyset_page(conn, query, resources.c.id, limit, cursor)
        return [record_of_row(r) for r in rows], next_cursor

    def update(self, resource_id: str, values: dict[str, Any]) -> ResourceRecord | None:
        """Set columns (name, config, credentials, credential_fields) of one resource."""
        if "credential_fields" in values:
            values = dict(values, credential_fields=sorted(values["credential_fields"]))
        with self._store.write() as conn:
            result = conn.execute(
                update(resources)
                .where(resources.c.id == resource_id)
                .values(**values, updated_at=utcnow())
            )
            if result.rowcount == 0:
                return None
            row = conn.execute(select(resources).where(resources.c.id == resource_id)).one()
        return record_of_row(row)

    def delete_unbound(self, resource_id: str) -> tuple[bool, builtins.list[str]]:
        """Delete a resource no bot is bound to: (deleted, ids of the bots in the way)."""
        with self._store.write() as conn:
            bound = [
                r.bot_id for r in conn.execute(
                    select(bot_bindings.c.bot_id)
                    .where(bot_bindings.c.resource_id == resource_id)
                    .order_by(bot_bindings.c.bot_id)
                )
            ]
            if bound:
                return False, bound
            deleted = conn.execute(delete(resources).where(resources.c.id == resource_id))
            return deleted.rowcount > 0, []

    def bindings_of(
        self, resource_ids: builtins.list[str]
    ) -> dict[str, builtins.list[BindingRecord]]:
        """The bots bound to each resource, with their bindings (one query)."""
        if not resource_ids:
            return {}
        with self._store.read() as conn:
            rows = conn.execute(
                select(bot_bindings.c.resource_id, bots)
                .join(bots, bots.c.id == bot_bindings.c.bot_id)
                .where(bot_bindings.c.resource_id.in_(resource_ids))
                .order_by(bots.c.name, bots.c.id)
            ).all()
        out: dict[str, list[BindingRecord]] = {rid: [] for rid in resource_ids}
        for row in rows:
            for binding in row.resource_bindings or []:
                if binding.get("resource_id") == row.resource_id:
                    out[row.resource_id].append(
                        BindingRecord(
                            bot_id=row.id,
                            bot_name=row.name,
                            bot_status=row.status,
                            allowed_operations=list(row.allowed_operations or []),
                            binding=binding,
                            bot=row_to_bot(row),
                        )
                    )
                    break
        return out

    def types_of(self, resource_ids: set[str]) -> dict[str, str]:
        if not resource_ids:
            return {}
        with self._store.read() as conn:
            rows = conn.execute(
                select(resources.c.id, resources.c.type).where(resources.c.id.in_(resource_ids))
            ).all()
        return {r.id: r.type for r in rows}
