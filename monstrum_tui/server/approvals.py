"""``ApprovalGate`` (``platform.approvals``): tool calls that wait for a person.

The process running a call creates the approval row and waits on it; an approver (in
this process or another one) decides it through the API, the CLI or the dashboard.
Waiting is a poll of the row (every ``POLL_S``) woken early by decisions made in this
process, so it works across server processes with the database as the truth. When the
binding's timeout passes first, the waiter marks the approval ``expired`` (unless a
decision landed a moment before) and the call is rejected.

Approvals left pending by a process that stopped are swept on the next start
(``sweep``): their calls never ran, so their audit entries are completed as denied.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..client.models import Approval
from .store.columns import utcnow

if TYPE_CHECKING:
    from .audit import AuditLog
    from .auth import Principal
    from .store import Store

log = logging.getLogger("monstrum.approvals")

#: seconds between looks at a waited-on row (decisions in this process wake it at once)
POLL_S = 0.5


class OwnApproval(Exception):
    """A key tried to approve a call it made itself."""


class ApprovalClosed(Exception):
    """The approval was already decided (or its time is up): the message says which."""

    def __init__(self, approval: Approval, message: str) -> None:
        super().__init__(message)
        self.approval = approval


def outcome_text(approval: Approval) -> str:
    """How an approval's outcome reads in the audit log and to the model."""
    who = f"{approval.decided_by_name or '?'} ({approval.decided_by or 'unknown key'})"
    why = f": {approval.decision_reason}" if approval.decision_reason else ""
    if approval.status == "approved":
        return f"approved by {who}{why}"
    if approval.status == "rejected":
        return f"rejected by {who}{why}"
    if approval.status == "expired":
        return f"approval expired: {approval.decision_reason or 'no decision in time'}"
    return f"approval cancelled: {approval.decision_reason or 'the call was abandoned'}"


class ApprovalGate:
    def __init__(self, store: Store, audit: AuditLog) -> None:
        self._store = store
        self._audit = audit
        #: approvals this process waits on: the event to set, and the loop it belongs to
        self._wakeups: dict[str, tuple[asyncio.Event, asyncio.AbstractEventLoop]] = {}

    async def request(
        self, *, bot_id: str, task_id: str | None, resource_id: str, tool_name: str,
        operation: str | None, params: dict[str, Any], reason: str, audit_id: str,
        via: str, timeout_s: float, requested_by: str | None = None,
    ) -> Approval:
        """Record a call that waits for a person (raises if it cannot be recorded)."""
        expires = utcnow() + timedelta(seconds=timeout_s)
        return await asyncio.to_thread(
            self._store.approvals.create, bot_id=bot_id, task_id=task_id,
            resource_id=resource_id, tool_name=tool_name, operation=operation, params=params,
            reason=reason, audit_id=audit_id, via=via, expires_at=expires,
            requested_by=requested_by,
        )

    async def wait(self, approval: Approval) -> Approval:
        """The approval once decided; at its expiry it is marked ``expired``."""
        wake = asyncio.Event()
        self._wakeups[approval.id] = (wake, asyncio.get_running_loop())
        try:
            while True:
                current = await asyncio.to_thread(self._store.approvals.get, approval.id)
                if current is None:  # deleted under us: nobody can approve it any more
                    return approval.model_copy(update={
                        "status": "cancelled", "decision_reason": "the approval was removed",
                    })
                if current.status != "pending":
                    return current
                left = (current.expires_at - utcnow()).total_seconds()
                if left <= 0:
                    await asyncio.to_thread(
                        self._store.approvals.decide, approval.id, "expired",
                        reason=f"no decision within {_seconds(approval)}", before_expiry=False,
                    )
                    continue  # read back: a decision may have landed first
                try:
                    await asyncio.wait_for(wake.wait(), min(POLL_S, left))
                except asyncio.TimeoutError:
                    pass
                wake.clear()
        finally:
            self._wakeups.pop(approval.id, None)

    async def cancel(self, approval: Approval, reason: str) -> None:
        """Give up on a pending approval (its task was cancelled or timed out)."""
        await asyncio.shield(asyncio.to_thread(
            self._store.approvals.decide, approval.id, "cancelled", reason=reason,
            before_expiry=False,
        ))

    def decide(
        self, approval_id: str, *, approve: bool, principal: Principal, reason: str
    ) -> Approval:
        """An approver's decision (sync: routes call it in a thread). Raises ``LookupError``
        for an unknown id, ``ApprovalClosed`` when it was decided or expired already."""
        repo = self._store.approvals
        current = repo.get(approval_id)
        if current is None:
            raise LookupError(approval_id)
        if current.status != "pending":
            raise ApprovalClosed(current, f"approval {approval_id} is already {current.status}")
        if current.requested_by is not None and current.requested_by == principal.key_id:
            raise OwnApproval(f"approval {approval_id} is for a call this key made: another "
                              "key must decide it")
        if current.expires_at <= utcnow():
            raise ApprovalClosed(
                current, f"approval {approval_id} expired at {current.expires_at.isoformat()}"
            )
        if current.requested_by is not None and not self._store.keys.exists(
            current.requested_by
        ):  # deleted a moment ago (``cancel_for_key`` runs right after the delete)
            self.cancel_for_key(current.requested_by)
            latest = repo.get(approval_id) or current
            raise ApprovalClosed(latest, f"approval {approval_id} is {latest.status}: the API "
                                 "key that made the call was deleted")
        status = "approved" if approve else "rejected"
        if not repo.decide(approval_id, status, by=principal.key_id, by_name=principal.name,
                           reason=reason):
            latest = repo.get(approval_id) or current
            raise ApprovalClosed(latest, f"approval {approval_id} is already {latest.status}")
        decided = repo.get(approval_id)
        assert decided is not None
        waiting = self._wakeups.get(approval_id)
        if waiting is not None:  # routes run this in a worker thread: set it on its loop
            event, loop = waiting
            loop.call_soon_threadsafe(event.set)
        return decided

    def cancel_for_key(self, key_id: str) -> int:
        """Cancel the pending approvals of calls this (deleted) key made, and wake their
        waiters: a revoked agent's call must not run because someone approves it later.
        Sync (the key routes call it in a thread). Returns how many."""
        repo = self._store.approvals
        done = 0
        for approval in repo.pending(requested_by=key_id):
            if repo.decide(approval.id, "cancelled", before_expiry=False, reason=(
                    f"the API key that made this call ({key_id}) was deleted")):
                done += 1
                waiting = self._wakeups.get(approval.id)
                if waiting is not None:
                    event, loop = waiting
                    loop.call_soon_threadsafe(event.set)
        return done

    def sweep(self, task_ids: list[str], audit_ids: list[str] | None = None) -> int:
        """Close what no process waits on any more: pending approvals of these (interrupted)
        tasks, of the calls with these audit entries (an MCP client's, whose process
        died), and any whose time ran out; their calls never ran, so their audit entries
        are completed as denied. Returns how many."""
        repo = self._store.approvals
        stale = {a.id: a for a in repo.pending(task_ids=task_ids)}
        if audit_ids:
            stale.update({a.id: a for a in repo.pending(audit_ids=audit_ids)})
        stale.update({a.id: a for a in repo.pending(expired_before=utcnow() - timedelta(
            seconds=10 * POLL_S))})
        for approval in stale.values():
            reason = "the server stopped while this call waited for approval"
            if not repo.decide(approval.id, "cancelled", reason=reason, before_expiry=False):
                continue
            entry = self._audit.pending_entry(approval.audit_id) if approval.audit_id else None
            if entry is not None:
                self._audit.complete(
                    entry, status="denied", reason=f"approval cancelled: {reason}; the call "
                    "did not run",
                )
        if stale:
            log.warning("closed %d approval(s) no server was waiting on", len(stale))
        return len(stale)


def _seconds(approval: Approval) -> str:
    total = (approval.expires_at - approval.created_at).total_seconds()
    return f"{total:g}s"
