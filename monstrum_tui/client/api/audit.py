"""``client.audit``: the log of every tool call the platform decided on."""

from __future__ import annotations

from datetime import datetime

from ..models import AuditEntry, AuditVerification
from ..namespace import Namespace, id_segment, optional_id
from ..pagination import AsyncPager


def _iso(value: str | datetime | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


class Audit(Namespace):
    def list(
        self,
        *,
        bot_id: str | None = None,
        resource_id: str | None = None,
        tool_name: str | None = None,
        status: str | None = None,
        task_id: str | None = None,
        start_time: str | datetime | None = None,
        end_time: str | datetime | None = None,
        q: str | None = None,
        after_id: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPager[AuditEntry]:
        """Every matching entry, newest first, across pages.

        Times are ISO 8601 strings (``"2026-02-01T00:00:00Z"``) or datetimes (naive ones
        are UTC); ``start_time`` is inclusive, ``end_time`` exclusive. ``after_id`` keeps
        only entries newer than that one: a live tail passes the newest id it has.
        ``page_size`` may be up to 500.
        """
        params = {
            "bot_id": optional_id("bot_id", bot_id),
            "resource_id": optional_id("resource_id", resource_id),
            "tool_name": tool_name,
            "status": status,
            "task_id": optional_id("task_id", task_id),
            "start_time": _iso(start_time),
            "end_time": _iso(end_time),
            "q": q,
            "after_id": optional_id("after_id", after_id),
        }
        return AsyncPager(
            self._fetch("/v1/audit"), AuditEntry, params, limit=limit, page_size=page_size,
            cursor=cursor,
        )

    async def get(self, entry_id: str) -> AuditEntry:
        data = await self._transport.request(
            "GET", f"/v1/audit/{id_segment('entry_id', entry_id)}"
        )
        return AuditEntry.model_validate(data)

    async def verify(self, *, fast: bool = False, full: bool | None = None) -> AuditVerification:
        """Walk the whole hash chain, its seals and head witness (``fast``: only from the
        newest checkpoint); names the first entry that does not verify. ``full=True`` is
        the default walk (kept for older callers)."""
        params = {"fast": "true"} if fast and not full else None
        data = await self._transport.request("GET", "/v1/audit/verify", params=params)
        return AuditVerification.model_validate(data)
