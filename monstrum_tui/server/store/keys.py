"""API keys at rest: only their SHA-256 hash and a short prefix are stored."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update

from ...client.models import ApiKey
from ..auth import Principal, generate_key, hash_key, key_matches
from ..ids import new_id
from .columns import utcnow
from .cursor import keyset_page
from .database import DriverColumns, driver_read, param
from .schema import api_keys

if TYPE_CHECKING:
    from .store import Store


def _row_to_key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        scopes=list(row.scopes),
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


#: how often (seconds) a key's last_used_at is written: one write per key per minute at most
TOUCH_EVERY = 60.0

#: the columns of the lookup every keyed request makes
_LOOKUP_COLUMNS = (api_keys.c.id, api_keys.c.name, api_keys.c.scopes, api_keys.c.key_hash)


class KeyRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._touched: dict[str, float] = {}
        self._touch_lock = threading.Lock()
        # the lookup on the driver, its SQL rendered once: through SQLAlchemy's execute it
        # was most of a keyed request's fixed cost; still one read per request, never stale
        dialect = store.engine.dialect
        self._lookup_columns = DriverColumns(dialect, _LOOKUP_COLUMNS)
        self._lookup_sql = (
            f"SELECT {', '.join(self._lookup_columns.names)} FROM {api_keys.name} "
            f"WHERE key_hash = {param(dialect.name, 'digest')}"
        )

    def create(self, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
        """Create a key; returns it and its secret, which is not stored."""
        secret = generate_key()
        row: dict[str, Any] = {
            "id": new_id("key"),
            "name": name,
            "key_hash": hash_key(secret),
            "prefix": secret[:8],
            "scopes": sorted(set(scopes)),
            "created_at": utcnow(),
            "last_used_at": None,
        }
        with self._store.write() as conn:
            conn.execute(insert(api_keys).values(**row))
        key = ApiKey(
            id=row["id"], name=name, scopes=row["scopes"], prefix=row["prefix"],
            created_at=row["created_at"],
        )
        return key, secret

    def authenticate(self, secret: str) -> Principal | None:
        """The principal for a presented key, or None.

        The lookup is by the hash of the presented key (an index probe); hashing first
        means the timing says nothing about how much of a stored key matched, and the
        final comparison is constant-time as well.
        """
        with driver_read(self._store.engine) as cur:
            raw = cur.one(self._lookup_sql, {"digest": hash_key(secret)})
        if raw is None:
            return None
        key_id, name, scopes, key_hash = self._lookup_columns.row(raw)
        if not key_matches(secret, key_hash):
            return None
        self._touch_if_stale(key_id)
        return Principal(key_id=key_id, name=name, scopes=tuple(scopes))

    def _touch_if_stale(self, key_id: str) -> None:
        """Record use, but write at most once a minute per key: reads stay reads."""
        now = time.monotonic()
        with self._touch_lock:
            last = self._touched.get(key_id)
            if last is not None and now - last < TOUCH_EVERY:
                return
            self._touched[key_id] = now
        self.touch(key_id)

    def touch(self, key_id: str) -> None:
        with self._store.write() as conn:
            conn.execute(
                update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=utcnow())
            )

    def exists(self, key_id: str) -> bool:
        """Whether the key is still there (not revoked)."""
        with self._store.read() as conn:
            return conn.execute(
                select(api_keys.c.id).where(api_keys.c.id == key_id)
            ).first() is not None

    def count(self) -> int:
        with self._store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(api_keys)).scalar_one())

    def list(self, limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
        with self._store.read() as conn:
            rows, next_cursor = keyset_page(conn, select(api_keys), api_keys.c.id, limit, cursor)
        return [_row_to_key(r) for r in rows], next_cursor

    def delete(self, key_id: str) -> bool:
        with self._store.write() as conn:
            gone = conn.execute(delete(api_keys).where(api_keys.c.id == key_id)).rowcount > 0
        with self._touch_lock:
            self._touched.pop(key_id, None)
        return gone
