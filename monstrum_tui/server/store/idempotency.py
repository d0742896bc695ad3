"""Idempotency keys at rest: each key's first request and, once it is done, its answer.

Only hashes of the key and of the request are stored; the answer is the API's own
response body, which never holds a secret (a new API key's secret is stripped first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .columns import utcnow
from .schema import idempotency_keys

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True)
class IdempotentRequest:
    """The first request made under one key, and its answer once there is one."""

    fingerprint: str
    method: str
    path: str
    created_at: datetime
    status_code: int | None = None
    media_type: str | None = None
    response: str | None = None
    replayable: bool = True

    @property
    def done(self) -> bool:
        return self.status_code is not None


def _record(row: Any) -> IdempotentRequest:
    return IdempotentRequest(
        fingerprint=row.fingerprint,
        method=row.method,
        path=row.path,
        created_at=row.created_at,
        status_code=row.status_code,
        media_type=row.media_type,
        response=row.response,
        replayable=bool(row.replayable),
    )


def _where(scope: str, key_hash: str) -> Any:
    return (idempotency_keys.c.scope == scope) & (idempotency_keys.c.key_hash == key_hash)


class IdempotencyRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def claim(
        self,
        scope: str,
        key_hash: str,
        *,
        fingerprint: str,
        method: str,
        path: str,
        expired_before: datetime,
    ) -> IdempotentRequest | None:
        """Take the key for a new request (None), or return the request that has it.

        A record older than ``expired_before`` no longer counts: it is replaced. Two
        processes claiming the same key at once: the primary key lets one win, and the
        other reads the winner's record.
        """
        for _ in range(2):
            try:
                with self._store.write() as conn:
                    row = conn.execute(
                        select(idempotency_keys).where(_where(scope, key_hash))
                    ).first()
                    if row is not None and row.created_at >= expired_before:
                        return _record(row)
                    if row is not None:
                        conn.execute(delete(idempotency_keys).where(_where(scope, key_hash)))
                    conn.execute(insert(idempotency_keys).values(
                        scope=scope, key_hash=key_hash, fingerprint=fingerprint,
                        method=method, path=path, replayable=1, created_at=utcnow(),
                    ))
                    return None
            except IntegrityError:
                continue  # another process inserted it between our read and write: read it
        raise RuntimeError("idempotency key claim kept conflicting")  # pragma: no cover

    def complete(
        self,
        scope: str,
        key_hash: str,
        *,
        status_code: int,
        media_type: str | None,
        response: str,
        replayable: bool,
    ) -> None:
        """Keep the answer of the request that holds the key."""
        with self._store.write() as conn:
            conn.execute(
                update(idempotency_keys)
                .where(_where(scope, key_hash) & idempotency_keys.c.status_code.is_(None))
                .values(
                    status_code=status_code, media_type=media_type, response=response,
                    replayable=1 if replayable else 0, completed_at=utcnow(),
                )
            )

    def release(self, scope: str, key_hash: str) -> None:
        """Give the key up (the request failed with no effect): a retry runs anew."""
        with self._store.write() as conn:
            conn.execute(
                delete(idempotency_keys).where(
                    _where(scope, key_hash) & idempotency_keys.c.status_code.is_(None)
                )
            )

    def purge(self, expired_before: datetime) -> int:
        """Forget every key older than ``expired_before``; how many went."""
        with self._store.write() as conn:
            result = conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_at < expired_before)
            )
        return int(result.rowcount or 0)
