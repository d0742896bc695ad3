"""What the Server screen shows: version, uptime, limits, queue, database, audit chain.

``ServerFacts`` lives on the app (``app.state.server_facts``): when the server started,
and the last audit-chain verification it ran, with the name of the key that asked. The
rest is read fresh on every call. Nothing here names a secret, a URL with a password, or
a file path: the database is described by its kind and size only.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlalchemy import func, select

from .. import __version__
from ..client.models import (
    AuditChainState,
    AuditVerification,
    ServerDatabase,
    ServerInfo,
    ServerLimits,
    ServerQueue,
    VerificationRecord,
)
from .audit.tables import audit_head
from .platform import Platform
from .store.columns import from_micros
from .store.schema import tasks


class ServerFacts:
    """The facts a server process keeps about itself (thread-safe)."""

    def __init__(self, started_at: datetime | None = None) -> None:
        self.started_at = started_at or datetime.now(timezone.utc)
        self._lock = threading.Lock()
        self._last: VerificationRecord | None = None

    def verified(self, result: AuditVerification, by: str) -> None:
        """Remember a walk of the chain (the newest one wins)."""
        record = VerificationRecord(
            at=datetime.now(timezone.utc), by=by, ok=result.ok, checked=result.checked,
            first_bad_id=result.first_bad_id, problem=result.problem,
        )
        with self._lock:
            self._last = record

    @property
    def last_verification(self) -> VerificationRecord | None:
        with self._lock:
            return self._last


def database_facts(platform: Platform) -> ServerDatabase:
    engine = platform.store.engine
    kind = engine.dialect.name
    size: int | None = None
    try:
        with platform.store.read() as conn:
            if kind == "sqlite":
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
                size = int(pages) * int(page_size)
            elif kind == "postgresql":
                size = int(conn.exec_driver_sql(
                    "SELECT pg_database_size(current_database())").scalar_one())
    except Exception:  # a permission or driver quirk: say "unknown", never fail the page
        size = None
    return ServerDatabase(kind=kind, size_bytes=size)


def server_info(platform: Platform, facts: ServerFacts, now: datetime | None = None
                ) -> ServerInfo:
    """Everything ``GET /v1/server`` answers, read now."""
    now = now or datetime.now(timezone.utc)
    settings = platform.settings
    with platform.store.read() as conn:
        rows = conn.execute(
            select(tasks.c.status, func.count())
            .where(tasks.c.status.in_(("queued", "running")))
            .group_by(tasks.c.status)
        ).all()
    by_status = {str(status): int(count) for status, count in rows}
    with platform.audit.engine.connect() as conn:
        head = conn.execute(select(audit_head.c.entry_id, audit_head.c.ts)).first()
    chain = AuditChainState(
        entries=platform.audit.count(),
        head_id=head.entry_id if head is not None else None,
        head_at=from_micros(head.ts) if head is not None else None,
        sealed=platform.audit.sealer is not None,
        last_verification=facts.last_verification,
    )
    return ServerInfo(
        version=__version__,
        started_at=facts.started_at,
        uptime_seconds=max(0.0, (now - facts.started_at).total_seconds()),
        limits=ServerLimits(
            max_running_tasks=settings.max_running_tasks,
            max_running_per_bot=settings.max_running_per_bot,
            max_steps=settings.max_steps,
            task_timeout_s=settings.task_timeout_s,
            rate_limit_per_s=settings.rate_limit,
            audit_retention_days=settings.audit_retention_days,
        ),
        queue=ServerQueue(queued=by_status.get("queued", 0),
                          running=by_status.get("running", 0)),
        database=database_facts(platform),
        audit=chain,
    )
