"""``TaskRunner``: the task loop of one server process, sharing the queue with any others.

Tasks go ``queued -> running -> completed | failed | cancelled``, and ``running <->
waiting_approval`` while a tool call waits for a person. Any process queues a
task (a row in the store); each process's claim loop takes tasks from the store (one
transaction, never twice: ``TaskRepository.claim``) as its limits allow, and holds each
with a lease it renews while the task runs. So:

- a task runs on exactly one process, and only its owner writes its events: a process
  whose lease was taken over can write nothing more into the task (fencing in
  ``append_events``), and the one terminal event is its owner's;
- a process that starts never fails another live process's tasks; it takes over only
  those whose lease passed (or whose owner it can see is dead on this machine);
- a taken-over task resumes from its last decided call when its model can (the
  scripted model can), otherwise it fails as interrupted; the call that was in flight
  is never re-run: its audit entry says its outcome is unknown;
- a stopping process (SIGTERM) lets each task reach the next call boundary for a few
  seconds, then hands it back, and another process (or this one, started again) takes
  it over at once.

Limits: tasks running at once in this process (``max_running_tasks``) and per bot
across every process (``max_running_per_bot``); tool calls per task; wall-clock time
per task, counted from its first start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ...client.models import Task
from ..calls import AuditUnavailable
from ..store.columns import utcnow
from ..store.tasks import FINISHED, Claimed
from .broker import EventBroker
from .feed import POLL_S, EventFeed, feed_for
from .models import ProviderNotConfigured, provider_for
from .models.openai_chat import ProviderError
from .recorder import EventRecorder, TaskLost
from .session import HandedOff, Progress, StepLimitReached, TaskSession

if TYPE_CHECKING:
    from ..approvals import ApprovalGate
    from ..audit import AuditLog
    from ..calls import ToolCalls
    from ..settings import ServerSettings
    from ..store import Store

log = logging.getLogger("monstrum.runner")

INTERRUPTED = "interrupted"
#: seconds a lease lasts; renewed every third of it
LEASE_S = float(os.environ.get("MONSTRUM_TASK_LEASE", "15"))
#: how long stop() lets running tasks reach a call boundary before handing them off
STOP_GRACE_S = 3.0
#: how long a cancel asked of another process waits for it to take effect
CANCEL_WAIT_S = 10.0
#: cancel reasons that are not a cancel: the task goes on elsewhere, or is lost
_HANDOFF, _LOST = "\x00handoff", "\x00lost"


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"


def runner_identity() -> str:
    """Who holds a lease: host, pid namespace and pid (to tell a dead local owner from a
    live one), and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}:{secrets.token_hex(4)}"


def dead_on_this_machine(owners: list[str], me: str) -> frozenset[str]:
    """The owners among ``owners`` that ran on this machine, in this pid namespace, and
    whose process is gone: their tasks need not wait for the lease to pass."""
    host, ns = socket.gethostname(), _pid_namespace()
    dead = set()
    for owner in owners:
        parts = owner.split(":")
        if owner == me or len(parts) != 4 or parts[0] != host or parts[1] != ns:
            continue
        if not parts[2].isdigit():
            continue
        try:
            os.kill(int(parts[2]), 0)
        except ProcessLookupError:
            dead.add(owner)
        except PermissionError:  # alive, someone else's
            pass
    return frozenset(dead)


class TaskFailed(Exception):
    """The task cannot go on; the message becomes its error."""


class TaskRunner:
    def __init__(
        self, settings: ServerSettings, store: Store, audit: AuditLog, calls: ToolCalls,
        approvals: ApprovalGate,
        feed: EventFeed | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit
        self.calls = calls
        self.owner = runner_identity()
        self.feed = feed if feed is not None else feed_for(settings.db_url)
        self.approvals = approvals
        self.broker = EventBroker()
        self.recorder = EventRecorder(store, self.broker, owner=self.owner,
                                      on_lost=self._lost)
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._sessions: dict[str, TaskSession] = {}
        self._cancel_reason: dict[str, str] = {}
        #: jobs whose coroutine has taken its first step (see _stop_job)
        self._begun: set[str] = set()
        self._wake_claims = asyncio.Event()
        self._renew_now = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._accepting = False

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Start claiming tasks (those a stopped process left are taken over by the
        claim loop once their lease passes, or at once if their owner died here)."""
        self.recorder.start()
        self._wake_claims = asyncio.Event()
        self._renew_now = asyncio.Event()
        # a finished task's call whose outcome could not be written: nothing of it runs
        # anywhere any more, so its outcome is unknown
        await asyncio.to_thread(self.audit.resolve_pending, await self._finished_pending())
        await asyncio.to_thread(self._settle_orphaned_mcp_calls)
        self.feed.start(asyncio.get_running_loop(), self._notified)
        self._accepting = True
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="task claims"),
            asyncio.create_task(self._lease_loop(), name="task leases"),
        ]
        self._wake_claims.set()

    def _settle_orphaned_mcp_calls(self) -> None:
        """An MCP client's calls (no task) whose server process died on this machine:
        one that waited for a person never ran (its approval is cancelled, its entry
        denied); one that was running has an unknown outcome. Neither is run again."""
        pending = self.audit.pending_outside_tasks()
        dead = dead_on_this_machine(sorted({p for _, p in pending if p}), self.owner)
        orphaned = [entry_id for entry_id, process in pending if process in dead]
        if orphaned:
            self.approvals.sweep([], audit_ids=orphaned)
            self.audit.resolve_pending(entry_ids=orphaned)

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
        """Stop claiming; let running tasks reach a call boundary, then hand them off."""
        self._accepting = False
        for loop in self._loops:
            loop.cancel()
        for session in self._sessions.values():
            session.hand_off()
        jobs = list(self._jobs.values())
        if jobs:
            await asyncio.wait(jobs, timeout=STOP_GRACE_S)
        for task_id in list(self._jobs):
            self._stop_job(task_id, _HANDOFF)
        jobs = list(self._jobs.values())
        if jobs:
            await asyncio.wait(jobs, timeout=STOP_GRACE_S)
        await self.recorder.stop()
        self.feed.stop()

    def _notified(self, payload: str) -> None:
        """Another process queued a task, stored events, or asked for a cancel."""
        kind, _, task_id = payload.partition(":")
        if kind == "e":
            self.broker.poke(task_id)
        elif kind == "q":
            self._wake_claims.set()
        elif kind == "c" and task_id in self._jobs:
            self._renew_now.set()

    # --- submitting and cancelling --------------------------------------------------

    async def submit(self, bot_id: str, input: str, metadata: dict[str, Any]) -> Task:
        """Queue a task; this process or another starts it as soon as the limits allow."""
        if not self._accepting:
            raise RuntimeError("the task runner is not running")
        task = await asyncio.to_thread(self.store.tasks.create, bot_id, input, metadata)
        self._wake_claims.set()
        return task

    def runs(self, task_id: str) -> bool:
        """Whether this process runs the task now."""
        return task_id in self._jobs

    async def cancel(self, task_id: str, reason: str = "cancelled by request") -> None:
        """Stop a queued or running task, wherever it runs (waits a while for it)."""
        job = self._jobs.get(task_id)
        if job is not None:
            self._stop_job(task_id, reason)
            await asyncio.wait([job], timeout=STOP_GRACE_S)
            return
        if await asyncio.to_thread(self.store.tasks.take_queued, task_id, self.owner):
            await self._finish(task_id, "cancelled", error=reason, detail=reason)
            return
        # another process runs it (or is about to): it acts on the request
        if not await asyncio.to_thread(self.store.tasks.request_cancel, task_id, reason):
            return
        deadline = time.monotonic() + CANCEL_WAIT_S
        while time.monotonic() < deadline:
            current = await asyncio.to_thread(self.store.tasks.get, task_id)
            if current is None or current.status in FINISHED:
                return
            await asyncio.sleep(0.1)

    def running_count(self, bot_id: str | None = None) -> int:
        """Tasks this process runs now (of one bot)."""
        if bot_id is None:
            return len(self._jobs)
        return sum(1 for s in self._sessions.values() if s.bot.id == bot_id)

    # --- claiming and leases -------------------------------------------------------

    async def _claim_loop(self) -> None:
        while self._accepting:
            try:
                await asyncio.wait_for(self._wake_claims.wait(), POLL_S)
            except asyncio.TimeoutError:
                pass
            self._wake_claims.clear()
            try:
                await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is busy or gone for a moment: try again
                log.exception("could not claim tasks")
                await asyncio.sleep(POLL_S)

    async def _claim(self) -> None:
        free = max(1, self.settings.max_running_tasks) - len(self._jobs)
        if free <= 0 or not self._accepting:
            return
        store = self.store

        def claim() -> list[Claimed]:
            dead = dead_on_this_machine(store.tasks.running_owners(), self.owner)
            return store.tasks.claim(
                self.owner, limit=free, per_bot=self.settings.max_running_per_bot,
                lease_s=LEASE_S, dead_owners=dead,
            )

        for claimed in await asyncio.to_thread(claim):
            self._start(claimed)

    def _start(self, claimed: Claimed) -> None:
        task_id = claimed.task.id
        self.recorder.forget(task_id)  # numbering goes on from what the store holds
        job = asyncio.create_task(self._run(claimed), name=f"task {task_id}")
        self._jobs[task_id] = job
        job.add_done_callback(lambda _job: self._done(task_id))

    def _stop_job(self, task_id: str, reason: str) -> None:
        """Stop a job of this process, saying why (a cancel, a hand-off, a loss).

        A job not yet started is not cancelled but told: a coroutine cancelled before
        its first step never runs, so nothing would record how its task ended, and the
        task, left ``running``, would be taken over once its lease passed and run to the
        end as if never cancelled. ``_run`` looks for the reason on its first step.
        """
        job = self._jobs.get(task_id)
        if job is None or job.done():
            return
        self._cancel_reason[task_id] = reason
        if task_id in self._begun:
            job.cancel()

    def _done(self, task_id: str) -> None:
        self._jobs.pop(task_id, None)
        self._begun.discard(task_id)
        self._sessions.pop(task_id, None)
        self._cancel_reason.pop(task_id, None)
        if self._accepting:
            self._wake_claims.set()

    async def _lease_loop(self) -> None:
        while self._accepting:
            try:
                await asyncio.wait_for(self._renew_now.wait(), LEASE_S / 3)
            except asyncio.TimeoutError:
                pass
            self._renew_now.clear()
            if not self._jobs:
                continue
            try:
                held = await asyncio.to_thread(self.store.tasks.renew, self.owner, LEASE_S)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not renew task leases")
                continue
            still = {h.task_id: h for h in held}
            for task_id, job in list(self._jobs.items()):
                h = still.get(task_id)
                if h is None and not job.done():
                    self._lost([task_id])
                elif h is not None and h.cancel_requested:
                    self._stop_job(task_id, h.cancel_requested)

    def _lost(self, task_ids: list[str] | set[str]) -> None:
        """Another process took these tasks over: stop them here, writing nothing."""
        for task_id in task_ids:
            job = self._jobs.get(task_id)
            if job is not None and not job.done():
                log.warning("task %s was taken over by another process; stopping it here",
                            task_id)
                self._stop_job(task_id, _LOST)

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

    def _deadline(self, task: Task) -> float:
        """When the wall-clock limit ends, counted from the task's first start."""
        started = task.started_at or datetime.now(timezone.utc)
        elapsed = (datetime.now(timezone.utc) - started).total_seconds()
        return time.monotonic() + self.settings.task_timeout_s - max(0.0, elapsed)

    async def _begin(self, claimed: Claimed) -> tuple[Task, Progress]:
        """Record how the run begins; returns the task and what of it ran before (a
        take-over resumes after that)."""
        task = claimed.task
        if not claimed.taken_over:
            await self.recorder.record(
                task.id, "started", status="running",
                task_changes={"status": "running", "started_at": utcnow()},
            )
            fresh = await asyncio.to_thread(self.store.tasks.get, task.id)
            return fresh or task, Progress()

        def progress() -> Progress:
            events = self.store.tasks.events_after(task.id, 0, limit=1_000_000)
            turns = {e.turn or 0 for e in events if e.type == "message"}
            return Progress(calls=self.audit.count_for_task(task.id), messages=len(turns),
                            last_turn=max(turns, default=0))

        return task, await asyncio.to_thread(progress)

    async def _run(self, claimed: Claimed) -> None:
        task_id = claimed.task.id
        self._begun.add(task_id)
        try:
            if claimed.taken_over:
                # the process that ran it stopped: a call waiting for a person never ran
                # (it is denied); one that was running has an unknown outcome; neither is
                # ever run again
                await asyncio.to_thread(self.approvals.sweep, [task_id])
                await asyncio.to_thread(self.audit.resolve_pending, [task_id])
                if claimed.cancel_requested:  # asked of the process that stopped
                    reason = claimed.cancel_requested
                    await self._finish(task_id, "cancelled", error=reason, detail=reason)
                    return
            if task_id in self._cancel_reason:  # stopped before its first step (_stop_job)
                raise asyncio.CancelledError
            task, done = await self._begin(claimed)
            bot = await asyncio.to_thread(self.store.bots.get, task.bot_id)
            if bot is None:
                raise TaskFailed(f"bot {task.bot_id} was deleted before the task ran")
            provider = provider_for(bot.model)
            if claimed.taken_over:
                if not getattr(provider, "resumable", False):
                    raise TaskFailed(
                        f"{INTERRUPTED}: the server running this task stopped, and model "
                        f"{bot.model} cannot resume a run"
                    )
                await self.recorder.record(
                    task_id, "error",
                    error=f"the server running this task stopped; resumed here after "
                    f"{done.calls} decided call(s) (a call in flight then has an unknown "
                    "outcome and is not run again)",
                )
            deadline = self._deadline(task)
            if deadline <= time.monotonic():
                raise asyncio.TimeoutError
            session = TaskSession(
                calls=self.calls, recorder=self.recorder, task=task, bot=bot,
                max_steps=self.settings.max_steps, deadline=deadline, resume_after=done,
            )
            self._sessions[task_id] = session
            output = await asyncio.wait_for(provider.run(session),
                                            timeout=deadline - time.monotonic())
        except HandedOff:
            await self._hand_off(task_id)
            return
        except TaskLost:
            log.warning("task %s was taken over by another process", task_id)
            return
        except asyncio.CancelledError:
            reason = self._cancel_reason.get(task_id, INTERRUPTED)
            if reason == _HANDOFF:
                await self._hand_off(task_id)
            elif reason != _LOST:
                detail = ("interrupted: the server stopped while this task was running"
                          if reason == INTERRUPTED else reason)
                status = "failed" if reason == INTERRUPTED else "cancelled"
                try:
                    await self._finish(task_id, status, error=reason, detail=detail)
                except Exception:
                    log.exception("could not record the end of task %s", task_id)
            return
        except asyncio.TimeoutError:
            await self._fail(task_id, "wall-clock limit reached: the task ran over "
                             f"{self.settings.task_timeout_s:g}s (the server's --task-timeout)")
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

    async def _hand_off(self, task_id: str) -> None:
        """Give the task back for another process (or this one, restarted) to resume."""
        try:
            await self.recorder.flush()
            await asyncio.to_thread(self.store.tasks.release, self.owner, [task_id])
            log.info("task %s handed off", task_id)
        except Exception:
            log.exception("could not hand off task %s (its lease will pass)", task_id)

    async def _fail(self, task_id: str, message: str) -> None:
        try:
            await self._finish(task_id, "failed", error=message, detail=message)
        except Exception:
            log.exception("could not record the failure of task %s", task_id)


__all__ = ["FINISHED", "INTERRUPTED", "TaskRunner"]
