"""``TaskSession``: what a model provider may do while running one task.

Every tool call goes through ``platform.calls`` (decide, write-ahead audit, execute,
complete: ``server/calls.py``); the session counts steps and records what happens
as the task's events (``denied``, ``tool_call``, then ``result`` or ``error``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...client.models import Approval, Bot, Decision, Task, Tool
from ..calls import ToolOutcome
from ..governance import callable_tools
from ..redaction import Redactor
from .recorder import EventRecorder

if TYPE_CHECKING:
    from ..calls import ToolCalls

log = logging.getLogger("monstrum.runner")

__all__ = ["CallableTool", "HandedOff", "Progress", "StepLimitReached", "TaskSession",
           "ToolOutcome"]


class StepLimitReached(Exception):
    """The task asked for more tool calls than its step limit allows."""


@dataclass(frozen=True)
class Progress:
    """What a run did before it was taken over: calls decided, messages said."""

    calls: int = 0
    messages: int = 0
    #: the newest message turn, so new messages do not join old ones
    last_turn: int = 0


class HandedOff(Exception):
    """The server is stopping: the task stops at this call boundary, to go on elsewhere."""


@dataclass
class CallableTool:
    """A tool the bot may ask for, under the name it must use."""

    name: str
    resource_id: str
    tool: Tool


@dataclass
class TaskSession:
    calls: ToolCalls
    recorder: EventRecorder
    task: Task
    bot: Bot
    max_steps: int
    deadline: float
    steps: int = 0
    tool_calls: int = 0
    denials: int = 0
    #: the current model turn; ``message`` events carry it so watchers know where one
    #: message ends and the next begins (streamed chunks of one turn share it)
    turn: int = 0
    #: secrets of the model provider, redacted from what the model says and asks for
    redactor: Redactor = field(default_factory=Redactor)
    #: what ran before this run (a task taken over resumes after it)
    resume_after: Progress = field(default_factory=Progress)
    #: set when the server stops: the model stops at its next call boundary or wait
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.steps = self.resume_after.calls
        self.turn = max(self.turn, self.resume_after.last_turn)
        self.tool_calls = max(self.tool_calls, self.task.tool_calls)
        self.denials = max(self.denials, self.task.denials)

    def hand_off(self) -> None:
        """Ask the run to stop at its next call boundary (the server is stopping)."""
        self.stopping.set()

    async def pause(self, seconds: float) -> None:
        """Wait (a scripted ``wait``), ended early by a stop: then ``HandedOff``."""
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except asyncio.TimeoutError:
            return
        raise HandedOff

    def add_secret(self, value: str) -> None:
        """Redact ``value`` from this task's messages, params and audit entries."""
        self.redactor = Redactor([*self.redactor.secrets, value])

    @property
    def task_id(self) -> str:
        return self.task.id

    def remaining(self) -> float:
        """Seconds left before the wall-clock limit."""
        return max(0.0, self.deadline - time.monotonic())

    # --- what the bot can reach ---------------------------------------------------

    async def callable_tools(self) -> list[CallableTool]:
        """Tools the bot's bindings let it ask for now; names are qualified when ambiguous."""
        bot, offered = await self.calls.policy(self.bot.id)
        if bot is None:
            return []
        self.bot = bot
        return [
            CallableTool(name=a.call_name, resource_id=a.resource_id, tool=a.tool)
            for a in callable_tools(bot, offered)
            if a.tool is not None
        ]

    # --- events a model emits -------------------------------------------------------

    def begin_turn(self) -> int:
        """Start a new model turn: the next ``message`` text starts a new message."""
        self.turn += 1
        return self.turn

    async def message(self, text: str) -> None:
        """Model text of the current turn (a streamed chunk or a whole message)."""
        if text:
            await self.recorder.record(self.task_id, "message", text=self.redactor.text(text),
                                       turn=self.turn)

    async def problem(self, text: str, **fields: Any) -> None:
        """A non-fatal error the task goes on after (bad JSON on a call line...)."""
        await self.recorder.record(self.task_id, "error", error=text, **fields)

    # --- tool calls -------------------------------------------------------------------

    def _counts(self) -> dict[str, int]:
        return {"tool_calls": self.tool_calls, "denials": self.denials}

    async def call_tool(self, name: str, params: Any) -> ToolOutcome:
        """Decide, then (if allowed) execute one tool call; every outcome is recorded."""
        if self.stopping.is_set():
            raise HandedOff
        self.steps += 1
        if self.steps > self.max_steps:
            raise StepLimitReached(
                f"step limit reached: more than {self.max_steps} tool calls (the server's "
                "--max-steps)"
            )
        self.tool_calls += 1
        return await self.calls.call(
            self.bot.id, name, params, task_id=self.task_id,
            timeout=max(0.1, self.remaining()), listener=self, redactor=self.redactor,
        )

    # --- CallListener: the call's events ------------------------------------------------

    async def approval(
        self, call_id: str, tool_name: str, resource_id: str, params: dict[str, Any],
        approval: Approval,
    ) -> None:
        waiting = approval.status == "pending"
        await self.recorder.record(
            self.task_id, "approval",
            task_changes={"status": "waiting_approval" if waiting else "running"},
            tool_name=tool_name, resource_id=resource_id, call_id=call_id, params=params,
            approval=approval.model_dump(mode="json"),
            status="waiting_approval" if waiting else "running",
            wait=True,
        )

    async def denied(
        self, call_id: str, tool_name: str, resource_id: str | None, params: dict[str, Any],
        decision: Decision, audit_id: str | None,
    ) -> None:
        self.denials += 1
        await self.recorder.record(
            self.task_id, "denied", task_changes=self._counts(),
            tool_name=tool_name, resource_id=resource_id, call_id=call_id, params=params,
            reason=decision.model_dump(mode="json", exclude_none=True),
            error=decision.message, audit_id=audit_id,
        )

    async def started(
        self, call_id: str, tool_name: str, resource_id: str, params: dict[str, Any],
        audit_id: str,
    ) -> None:
        await self.recorder.record(
            self.task_id, "tool_call", task_changes=self._counts(),
            tool_name=tool_name, resource_id=resource_id, call_id=call_id, params=params,
            audit_id=audit_id,
        )

    async def finished(
        self, call_id: str, tool_name: str, resource_id: str, *, ok: bool, data: Any,
        error: str | None, duration_ms: float, audit_id: str,
    ) -> None:
        if ok:
            await self.recorder.record(
                self.task_id, "result", tool_name=tool_name, resource_id=resource_id,
                call_id=call_id, data=data, duration_ms=duration_ms, audit_id=audit_id,
            )
        else:
            await self.recorder.record(
                self.task_id, "error", tool_name=tool_name, resource_id=resource_id,
                call_id=call_id, error=error or "the tool failed", duration_ms=duration_ms,
                audit_id=audit_id,
            )
