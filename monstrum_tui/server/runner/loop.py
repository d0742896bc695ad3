"""``TaskRunner``: the task loop of one server process.

Tasks go ``queued -> running -> completed | failed | cancelled``. Each running task is
an asyncio task, so cancelling it is prompt. Limits: tasks running at once per server
and per bot (the rest wait, in order), tool calls per task, wall-clock time per task.
Tasks a previous process left unfinished are failed ("interrupted") on start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from ...client.models import Task
from ..calls import AuditUnavailable
from ..store.columns import utcnow
from ..store.tasks import FINISHED
from .broker import EventBroker
from .models import ProviderNotConfigured, provider_for
from .models.openai_chat import ProviderError
from .recorder import EventRecorder
from .session import StepLimitReached, TaskSession

if TYPE_CHECKING:
    from ..audit import AuditLog
    from ..calls import ToolCalls
    from ..settings import ServerSettings
    from ..store import Store

log = logging.getLogger("monstrum.runner")

INTERRUPTED = "interrupted"
#: how long stop() waits for running tasks to record that they were interrupted
STOP_GRACE_S = 5.0


class TaskFailed(Exception):
    """The task cannot go on; the message becomes its error."""


class TaskRunner:
    def __init__(
        self, settings: ServerSettings, store: Store, audit: AuditLog, calls: ToolCalls
    ) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit
        self.calls = calls
        self.broker = EventBroker()
        self.recorder = EventRecorder(store, self.broker)
        self._queue: dict[str, str] = {}  # task id -> bot id, in arrival order
        self._running: dict[str, asyncio.Task[None]] = {}
        self._running_bot: dict[str, str] = {}
        self._per_bot: Counter[str] = Counter()
        self._cancel_reason: dict[str, str] = {}
        self._started = False

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Fail what a previous process left unfinished; then accept tasks."""
        self.recorder.start()
        unfinished = await asyncio.to_thread(self.store.tasks.unfinished)
        # calls that were running when the server stopped: their outcome is unknown; so is
        # that of a finished task's call whose outcome could not be written
        await asyncio.to_thread(self.audit.resolve_pending,
                                [t.id for t in unfinished] + await self._finished_pending())
        for task in unfinished:
            await self._finish(
                task.id, "failed", error=INTERRUPTED,
                detail=f"interrupted: the server stopped while this task was {task.status}",
            )
        self._started = True

    async def _finished_pending(self) -> list[str]:
        """Finished (or deleted) tasks that still have pending entries: nothing of theirs
        runs anywhere any more."""
        ids = await asyncio.to_thread(self.audit.pending_task_ids)
        found = []
        for task_id in sorted(ids):
            task = await asyncio.to_thread(self.store.tasks.get, task_id)
            if task is None or task.status in FINISHED:
                found.append(task_id)
        return found

    async def stop(self) -> None:
        """Interrupt running tasks and fail queued ones; they do not survive a restart."""
        self._started = False
        for task_id in list(self._queue):
            self._queue.pop(task_id, None)
            await self._finish(
                task_id, "failed", error=INTERRUPTED,
                detail="interrupted: the server stopped before this task started",
            )
        running = list(self._running.items())
        for task_id, job in running:
            self._cancel_reason[task_id] = INTERRUPTED
            job.cancel()
        if running:
            await asyncio.wait([job for _, job in running], timeout=STOP_GRACE_S)
        await self.recorder.stop()

    # --- submitting and cancelling --------------------------------------------------

    async def submit(self, bot_id: str, input: str, metadata: dict[str, Any]) -> Task:
        """Create a queued task and start it as soon as the limits allow."""
        if not self._started:
            raise RuntimeError("the task runner is not running")
        task = await asyncio.to_thread(self.store.tasks.create, bot_id, input, metadata)
        self._queue[task.id] = bot_id
        self._start_ready()
        return task

    def is_active(self, task_id: str) -> bool:
        return task_id in self._queue or task_id in self._running

    async def cancel(self, task_id: str, reason: str = "cancelled by request") -> bool:
        """Stop a queued or running task; ``False`` if this runner does not have it."""
        if task_id in self._queue:
            self._queue.pop(task_id)
            await self._finish(task_id, "cancelled", error=reason, detail=reason)
            return True
        job = self._running.get(task_id)
        if job is None:
            return False
        self._cancel_reason[task_id] = reason
        job.cancel()
        await asyncio.wait([job], timeout=STOP_GRACE_S)
        return True

    async def cancel_orphan(self, task: Task, reason: str) -> None:
        """Finish a task no runner holds (it can only be left over from a crash)."""
        await self._finish(task.id, "cancelled", error=reason, detail=reason)

    def running_count(self, bot_id: str | None = None) -> int:
        return self._per_bot[bot_id] if bot_id else len(self._running)

    # --- scheduling ---------------------------------------------------------------------

    def _start_ready(self) -> None:
        for task_id, bot_id in list(self._queue.items()):
            if len(self._running) >= max(1, self.settings.max_running_tasks):
                return
            if self._per_bot[bot_id] >= max(1, self.settings.max_running_per_bot):
                continue
            del self._queue[task_id]
            self._per_bot[bot_id] += 1
            self._running_bot[task_id] = bot_id
            job = asyncio.create_task(self._run(task_id, bot_id), name=f"task {task_id}")
            self._running[task_id] = job
            job.add_done_callback(lambda _job, tid=task_id: self._done(tid))

    def _done(self, task_id: str) -> None:
        self._running.pop(task_id, None)
        bot_id = self._running_bot.pop(task_id, None)
        if bot_id is not None:
            self._per_bot[bot_id] -= 1
            if self._per_bot[bot_id] <= 0:
                del self._per_bot[bot_id]
        self._cancel_reason.pop(task_id, None)
        if self._started:
            self._start_ready()

    # --- running one task -------------------------------------------------------------

    async def _finish(
        self,
        task_id: str,
        status: str,
        *,
        output: str | None = None,
        error: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record the terminal event and the final task state in one transaction."""
        changes = {"status": status, "output": output, "error": error, "finished_at": utcnow()}
        if status == "completed":
            await self.recorder.record(
                task_id, "complete", task_changes=changes, output=output, status=status
            )
        else:
            await self.recorder.record(
                task_id, "error", task_changes=changes, error=detail or error, status=status
            )

    async def _run(self, task_id: str, bot_id: str) -> None:
        timeout = self.settings.task_timeout_s
        session: TaskSession | None = None
        try:
            await self.recorder.record(
                task_id, "started", status="running",
                task_changes={"status": "running", "started_at": utcnow()},
            )
            store = self.store
            task, bot = await asyncio.to_thread(
                lambda: (store.tasks.get(task_id), store.bots.get(bot_id))
            )
            if task is None:
                return
            if bot is None:
                raise TaskFailed(f"bot {bot_id} was deleted before the task started")
            provider = provider_for(bot.model)
            session = TaskSession(
                calls=self.calls, recorder=self.recorder, task=task, bot=bot,
                max_steps=self.settings.max_steps, deadline=time.monotonic() + timeout,
            )
            output = await asyncio.wait_for(provider.run(session), timeout=timeout)
        except asyncio.CancelledError:
            reason = self._cancel_reason.get(task_id, INTERRUPTED)
            try:
                if reason == INTERRUPTED:
                    await self._finish(
                        task_id, "failed", error=INTERRUPTED,
                        detail="interrupted: the server stopped while this task was running",
                    )
                else:
                    await self._finish(task_id, "cancelled", error=reason, detail=reason)
            except Exception:
                log.exception("could not record the end of task %s", task_id)
            return
        except asyncio.TimeoutError:
            await self._fail(task_id, f"wall-clock limit reached: the task ran over {timeout:g}s "
                             "(the server's --task-timeout)")
            return
        except (StepLimitReached, ProviderNotConfigured, ProviderError, TaskFailed,
                AuditUnavailable) as exc:
            await self._fail(task_id, str(exc))
            return
        except Exception as exc:
            log.exception("task %s failed", task_id)
            await self._fail(task_id, f"internal error: {type(exc).__name__}: {exc}")
            return
        await self._finish(task_id, "completed", output=output)

    async def _fail(self, task_id: str, message: str) -> None:
        try:
            await self._finish(task_id, "failed", error=message, detail=message)
        except Exception:
            log.exception("could not record the failure of task %s", task_id)


__all__ = ["FINISHED", "INTERRUPTED", "TaskRunner"]
