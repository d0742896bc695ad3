"""Approvals at rest: one row per tool call that waits for a person.

A row is created ``pending`` and decided once: ``decide`` only updates a row that is
still pending, so two approvers (or an approver and the timeout) racing on it cannot
both win, in one process or across several.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, select, update

from ...client.models import Approval
from ..ids import new_id
from .columns import utcnow
from .cursor import keyset_page
from .schema import approvals

if TYPE_CHECKING:
    from .store import Store

PENDING = "pending"


def row_to_approval(row: Any) -> Approval:
    return Approval(
        id=row.id, status=row.status, bot_id=row.bot_id, task_id=row.task_id,
        resource_id=row.resource_id, tool_name=row.tool_name, operation=row.operation,
        params=dict(row.params or {}), reason=row.reason, audit_id=row.audit_id, via=row.via,
        requested_by=row.requested_by,
        created_at=row.created_at, expires_at=row.expires_at, decided_at=row.decided_at,
        decided_by=row.decided_by, decided_by_name=row.decided_by_name,
        decision_reason=row.decision_reason or "",
    )


class ApprovalRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self, *, bot_id: str, task_id: str | None, resource_id: str, tool_name: str,
        operation: str | None, params: dict[str, Any], reason: str, audit_id: str | None,
        via: str, expires_at: datetime, requested_by: str | None = None,
    ) -> Approval:
        row = {
            "id": new_id("apr"), "status": PENDING, "bot_id": bot_id, "task_id": task_id,
            "resource_id": resource_id, "tool_name": tool_name, "operation": operation,
            "params": params, "reason": reason, "audit_id": audit_id, "via": via,
            "requested_by": requested_by,
            "created_at": utcnow(), "expires_at": expires_at, "decided_at": None,
            "decided_by": None, "decided_by_name": None, "decision_reason": "",
        }
        with self._store.write() as conn:
            conn.execute(insert(approvals).values(**row))
        return Approval.model_validate(row)

    def get(self, approval_id: str) -> Approval | None:
        with self._store.read() as conn:
            row = conn.execute(select(approvals).where(approvals.c.id == approval_id)).first()
        return row_to_approval(row) if row else None

    def list(
        self, limit: int, cursor: str | None = None, *, status: str | None = None,
        task_id: str | None = None, bot_id: str | None = None,
    ) -> tuple[list[Approval], str | None]:
        """Newest first (ids are time-ordered), keyset-paged on the id."""
        query = select(approvals)
        if status:
            query = query.where(approvals.c.status == status)
        if task_id:
            query = query.where(approvals.c.task_id == task_id)
        if bot_id:
            query = query.where(approvals.c.bot_id == bot_id)
        with self._store.read() as conn:
            rows, next_cursor = keyset_page(
                conn, query, approvals.c.id, limit, cursor, descending=True
            )
        return [row_to_approval(r) for r in rows], next_cursor

    def count_pending(self) -> int:
        with self._store.read() as conn:
            return int(conn.execute(
                select(func.count()).select_from(approvals).where(
                    approvals.c.status == PENDING, approvals.c.expires_at > utcnow()
                )
            ).scalar_one())

    def decide(
        self, approval_id: str, status: str, *, by: str | None = None,
        by_name: str | None = None, reason: str = "", before_expiry: bool = True,
    ) -> bool:
        """Move a pending approval to ``status``; False when it was not pending any more
        (or, with ``before_expiry``, when its time is up)."""
        now = utcnow()
        where = [approvals.c.id == approval_id, approvals.c.status == PENDING]
        if before_expiry:
            where.append(approvals.c.expires_at > now)
        with self._store.write() as conn:
            done = conn.execute(
                update(approvals).where(and_(*where)).values(
                    status=status, decided_at=now, decided_by=by, decided_by_name=by_name,
                    decision_reason=reason,
                )
            )
        return done.rowcount == 1

    def pending(
        self, *, task_ids: builtins.list[str] | None = None, expired_before: datetime | None = None,
        audit_ids: builtins.list[str] | None = None, requested_by: str | None = None,
    ) -> builtins.list[Approval]:
        """Pending approvals of these tasks, or of the calls with these audit entries, or
        of calls this key made, or those whose time ran out before a moment."""
        query = select(approvals).where(approvals.c.status == PENDING)
        if requested_by is not None:
            query = query.where(approvals.c.requested_by == requested_by)
        if audit_ids is not None:
            if not audit_ids:
                return []
            query = query.where(approvals.c.audit_id.in_(audit_ids))
        if task_ids is not None:
            if not task_ids:
                return []
            query = query.where(approvals.c.task_id.in_(task_ids))
        if expired_before is not None:
            query = query.where(approvals.c.expires_at < expired_before)
        with self._store.read() as conn:
            rows = conn.execute(query.order_by(approvals.c.id)).all()
        return [row_to_approval(r) for r in rows]
