"""``/v1/audit``: the tamper-evident log of decided tool calls (scope ``audit:read``).

Live tail: ``GET /v1/audit?after_id=<newest id you have>`` returns only entries
newer than that one (newest first, paged like any list); poll it with the newest id
of the previous answer. ``start_time`` is inclusive, ``end_time`` exclusive.
"""

from __future__ import annotations

from datetime import timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from ...client.models import AUDIT_STATUSES, AuditEntry, AuditVerification, Page
from ..audit import AuditFilter
from ..audit.log import datetime_to_micros
from ..audit.query import UnknownAfterId, parse_time
from ..auth import Principal
from .deps import Admission, PlatformDep, admitted, page_limit, require
from .errors import Invalid, NotFound
from .json_answer import JsonAnswer

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Reader = Annotated[Principal, Depends(require("audit:read"))]
#: for the hot list: the key checked in the same worker-thread hop as the query
ListReader = Annotated[Admission, Depends(admitted("audit:read"))]


def _time(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        parsed = parse_time(value)
    except ValueError:
        raise Invalid(
            f"{name} is not an ISO 8601 time: {value!r} (e.g. 2026-02-01T00:00:00Z)",
            fields=[{"field": name, "message": "not an ISO 8601 time"}],
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return datetime_to_micros(parsed)


@router.get("", response_model=Page[AuditEntry])
async def list_audit(
    admission: ListReader,
    bot_id: str | None = None,
    resource_id: str | None = None,
    tool_name: str | None = None,
    status: str | None = Query(None, description=", ".join(AUDIT_STATUSES)),
    task_id: str | None = None,
    start_time: str | None = Query(None, description="ISO 8601, inclusive ('Z' allowed)"),
    end_time: str | None = Query(None, description="ISO 8601, exclusive"),
    q: str | None = Query(
        None, description="text in the params or the reason (3+ characters use the text "
        "index; 1-2 characters scan every entry in range)"
    ),
    after_id: str | None = Query(
        None, description="only entries newer than this one (for a live tail)"
    ),
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
) -> Response:
    """Matching entries, newest first, one keyset page at a time."""

    def page(_: Principal) -> bytes:  # after the key check: a bad key is a 401 first
        if status is not None and status not in AUDIT_STATUSES:
            raise Invalid(
                f"status must be one of {', '.join(AUDIT_STATUSES)}, not {status!r}",
                fields=[{"field": "status", "message": f"one of {', '.join(AUDIT_STATUSES)}"}],
            )
        texts = {"bot_id": bot_id, "resource_id": resource_id, "tool_name": tool_name,
                 "task_id": task_id, "q": q, "after_id": after_id, "cursor": cursor}
        with_nul = [name for name, value in texts.items() if value and "\x00" in value]
        if with_nul:
            # nothing stored holds one (JSON escapes it), FTS5 would end its string at it
            # and PostgreSQL cannot compare it: say so instead of failing
            raise Invalid(
                f"{', '.join(with_nul)} must not contain NUL characters (\\u0000)",
                fields=[{"field": name, "message": "contains a NUL character"}
                        for name in with_nul],
            )
        start_us, end_us = _time("start_time", start_time), _time("end_time", end_time)
        if start_us is not None and end_us is not None and end_us <= start_us:
            raise Invalid(
                "end_time must be after start_time",
                fields=[{"field": "end_time", "message": "not after start_time"}],
            )
        flt = AuditFilter(
            bot_id=bot_id or None, resource_id=resource_id or None,
            tool_name=tool_name or None, status=status, task_id=task_id or None,
            start_us=start_us, end_us=end_us, q=q or None, after_id=after_id or None,
        )
        try:
            return admission.platform.audit.list_json(flt, page_limit(limit), cursor)
        except UnknownAfterId as exc:
            raise Invalid(
                f"after_id: {exc} (never recorded, or pruned by retention)",
                fields=[{"field": "after_id", "message": str(exc)}],
            ) from None

    return JsonAnswer.response(await admission.run(page))


@router.get("/verify", response_model=AuditVerification)
def verify_audit(
    request: Request,
    platform: PlatformDep,
    principal: Reader,
    fast: bool = Query(
        False, description="only from the newest checkpoint (quick, but edits before it are "
        "not seen); the default walks every entry"
    ),
    full: bool | None = Query(None, description="deprecated: the default is the full walk"),
) -> AuditVerification:
    """Walk the hash chain, its seals and the head witness; names the first entry that
    does not verify. The server keeps the last result, and the key's name, for
    ``GET /v1/server``."""
    result = platform.audit.verify(fast=fast and not full)
    request.app.state.server_facts.verified(result, by=principal.name)
    return result


@router.get("/{entry_id}", response_model=AuditEntry)
def get_audit_entry(entry_id: str, platform: PlatformDep, _: Reader) -> AuditEntry:
    entry = platform.audit.get(entry_id)
    if entry is None:
        raise NotFound(f"no audit entry {entry_id}")
    return entry


