"""``TaskService``: starting, finding and cancelling tasks, whichever process runs them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ...client.models import FINISHED_TASK_STATUSES, Task
from .errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from ..runner import TaskRunner
    from ..store import Store


class TaskService:
    def __init__(self, store: Store, runner: TaskRunner) -> None:
        self._store = store
        self._runner = runner

    async def get(self, task_id: str) -> Task:
        task = await asyncio.to_thread(self._store.tasks.get, task_id)
        if task is None:
            raise NotFoundError(f"no task {task_id}")
        return task

    async def list(
        self, limit: int, cursor: str | None, *, bot_id: str | None, status: str | None
    ) -> tuple[list[Task], str | None]:
        """Tasks, newest first."""
        return await asyncio.to_thread(
            self._store.tasks.list, limit, cursor, bot_id=bot_id, status=status
        )

    async def start(self, bot_id: str, input: str, metadata: dict[str, Any]) -> Task:
        """Queue a task for an active bot; it runs as soon as the limits allow."""
        bot = await asyncio.to_thread(self._store.bots.get, bot_id)
        if bot is None:
            raise NotFoundError(f"no bot {bot_id}")
        if bot.status != "active":
            raise ConflictError(
                f"bot {bot.name} ({bot.id}) is {bot.status}: it cannot start tasks until its "
                "status is set back to active"
            )
        return await self._runner.submit(bot.id, input, metadata)

    async def cancel(self, task_id: str, reason: str = "cancelled by request") -> Task:
        """Stop a queued or running task, wherever it runs; a finished one is a conflict."""
        task = await self.get(task_id)
        if task.status in FINISHED_TASK_STATUSES:
            raise ConflictError(f"task {task_id} is already {task.status}")
        await self._runner.cancel(task_id, reason)
        return await self.get(task_id)
