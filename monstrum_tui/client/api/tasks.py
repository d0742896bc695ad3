"""``client.tasks``: run bots, follow their events, look up past runs."""

from __future__ import annotations

from typing import Any

from ..models import Task, TaskCreate
from ..namespace import Namespace
from ..pagination import AsyncPager


class Tasks(Namespace):
    async def create(
        self, *, bot_id: str, input: str = "", metadata: dict[str, Any] | None = None
    ) -> Task:
        """Start a task and return at once (status ``queued``)."""
        body = TaskCreate(bot_id=bot_id, input=input, metadata=metadata or {})
        data = await self._transport.request("POST", "/v1/tasks", json=body.model_dump(mode="json"))
        return Task.model_validate(data)

    async def get(self, task_id: str) -> Task:
        return Task.model_validate(await self._transport.request("GET", f"/v1/tasks/{task_id}"))

    def list(
        self,
        *,
        bot_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Task]:
        """Tasks, newest first; ``limit`` caps how many."""
        return AsyncPager(
            self._fetch("/v1/tasks"), Task, {"bot_id": bot_id, "status": status}, limit=limit
        )

    async def cancel(self, task_id: str) -> Task:
        data = await self._transport.request("POST", f"/v1/tasks/{task_id}/cancel")
        return Task.model_validate(data)
