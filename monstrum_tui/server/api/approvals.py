"""``/v1/approvals``: tool calls waiting for a person, and deciding them.

Listing needs ``approvals:read``; approving or rejecting needs ``approvals:write``. A
decision is final (a second one is a 409), records the approver's key and reason on
the approval and on the call's audit entry, and wakes the waiting call in whichever
server process runs it. A key cannot decide a call it made itself (an MCP client's).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ...client.models import (
    APPROVAL_STATUSES,
    Approval,
    ApprovalDecision,
    ApprovalStatus,
    ApprovalSummary,
    Page,
)
from ..approvals import ApprovalClosed, OwnApproval
from ..auth import Principal
from ..platform import Platform
from .deps import PlatformDep, page_limit, require
from .errors import Conflict, NotFound, PermissionDenied

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])
Reader = Annotated[Principal, Depends(require("approvals:read"))]
Writer = Annotated[Principal, Depends(require("approvals:write"))]


@router.get("", response_model=Page[Approval])
async def list_approvals(
    platform: PlatformDep,
    _: Reader,
    status: ApprovalStatus | None = Query(None, description=", ".join(APPROVAL_STATUSES)),
    task_id: str | None = None,
    bot_id: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> Page[Approval]:
    """Approvals, newest first (``status=pending`` for the calls waiting now)."""
    items, next_cursor = await asyncio.to_thread(
        platform.store.approvals.list, page_limit(limit), cursor, status=status,
        task_id=task_id, bot_id=bot_id,
    )
    return Page[Approval](data=items, next_cursor=next_cursor)


@router.get("/summary", response_model=ApprovalSummary)
async def approvals_summary(platform: PlatformDep, _: Reader) -> ApprovalSummary:
    """How many calls wait for a person now (the dashboard's header count)."""
    return ApprovalSummary(pending=await asyncio.to_thread(platform.store.approvals.count_pending))


@router.get("/{approval_id}", response_model=Approval)
async def get_approval(approval_id: str, platform: PlatformDep, _: Reader) -> Approval:
    approval = await asyncio.to_thread(platform.store.approvals.get, approval_id)
    if approval is None:
        raise NotFound(f"no approval {approval_id}")
    return approval


def _decide(
    platform: Platform, approval_id: str, approve: bool, principal: Principal, reason: str
) -> Approval:
    try:
        return platform.approvals.decide(
            approval_id, approve=approve, principal=principal, reason=reason.strip()
        )
    except LookupError:
        raise NotFound(f"no approval {approval_id}") from None
    except OwnApproval as exc:
        raise PermissionDenied("approvals:write", message=str(exc)) from None
    except ApprovalClosed as exc:
        raise Conflict(str(exc), status=exc.approval.status) from None


@router.post("/{approval_id}/approve", response_model=Approval)
async def approve(
    approval_id: str, platform: PlatformDep, principal: Writer,
    body: ApprovalDecision | None = None,
) -> Approval:
    """Let the waiting call run; the reason (optional) goes on the audit log."""
    reason = body.reason if body else ""
    return await asyncio.to_thread(_decide, platform, approval_id, True, principal, reason)


@router.post("/{approval_id}/reject", response_model=Approval)
async def reject(
    approval_id: str, platform: PlatformDep, principal: Writer,
    body: ApprovalDecision | None = None,
) -> Approval:
    """Refuse the waiting call: it does not run and the model is told why."""
    reason = body.reason if body else ""
    return await asyncio.to_thread(_decide, platform, approval_id, False, principal, reason)
