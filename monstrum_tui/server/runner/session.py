"""``TaskSession``: what a model provider may do while running one task.

Every tool call goes through here: decide (governance) -> denied: audit + ``denied``
event, the model is told; allowed: ``tool_call`` event -> the catalog executes ->
``result`` or ``error`` event, audit entry with duration and result size.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ...client.models import Bot, Decision, Task, Tool
from ..governance import OfferedTool, callable_tools, decide, split_tool_name
from ..ids import new_id
from .recorder import EventRecorder
from .redaction import redact_params

if TYPE_CHECKING:
    from ..platform import Platform

log = logging.getLogger("monstrum.runner")


class StepLimitReached(Exception):
    """The task asked for more tool calls than its step limit allows."""


@dataclass
class ToolOutcome:
    """What became of one tool call, as the model is told."""

    status: Literal["ok", "error", "denied"]
    tool_name: str
    call_id: str
    data: Any = None
    error: str | None = None
    decision: Decision | None = None
    duration_ms: float | None = None

    def for_model(self) -> str:
        """The call's outcome as JSON text a model can read."""
        if self.status == "ok":
            body: dict[str, Any] = {"ok": True, "data": self.data}
        elif self.status == "denied":
            assert self.decision is not None
            body = {
                "ok": False,
                "denied": True,
                "check": self.decision.check,
                "reason": self.decision.message,
            }
        else:
            body = {"ok": False, "error": self.error}
        return json.dumps(body, ensure_ascii=False, default=str)


@dataclass
class CallableTool:
    """A tool the bot may ask for, under the name it must use."""

    name: str
    resource_id: str
    tool: Tool


@dataclass
class TaskSession:
    platform: Platform
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
    _offered: dict[str, list[OfferedTool]] = field(default_factory=dict)

    @property
    def task_id(self) -> str:
        return self.task.id

    def remaining(self) -> float:
        """Seconds left before the wall-clock limit."""
        return max(0.0, self.deadline - time.monotonic())

    # --- what the bot can reach ---------------------------------------------------

    def _tools_of(self, resource_id: str) -> list[OfferedTool]:
        catalog = getattr(self.platform, "catalog", None)
        if catalog is None:
            return []
        try:
            return list(catalog.tools_of(resource_id))
        except Exception as exc:  # a resource deleted mid-task offers nothing
            log.info("no tools for %s: %s", resource_id, exc)
            return []

    async def offered(self, bot: Bot) -> dict[str, list[OfferedTool]]:
        """The tools of each resource the bot is bound to (looked up once per task)."""
        missing = [
            b.resource_id for b in bot.resource_bindings if b.resource_id not in self._offered
        ]
        for resource_id in missing:
            self._offered[resource_id] = await asyncio.to_thread(self._tools_of, resource_id)
        return {b.resource_id: self._offered[b.resource_id] for b in bot.resource_bindings}

    async def callable_tools(self) -> list[CallableTool]:
        """Tools the bot's bindings let it ask for; names are qualified when ambiguous."""
        offered = await self.offered(self.bot)
        return [
            CallableTool(name=a.call_name, resource_id=a.resource_id, tool=a.tool)
            for a in callable_tools(self.bot, offered)
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
            await self.recorder.record(self.task_id, "message", text=text, turn=self.turn)

    async def problem(self, text: str, **fields: Any) -> None:
        """A non-fatal error the task goes on after (bad JSON on a call line...)."""
        await self.recorder.record(self.task_id, "error", error=text, **fields)

    # --- tool calls -------------------------------------------------------------------

    async def _current_bot(self) -> Bot | None:
        # re-read for every call: pausing a bot or narrowing a binding takes effect at once
        return await asyncio.to_thread(self.platform.store.bots.get, self.bot.id)

    def _audit(self, **entry: Any) -> None:
        audit = getattr(self.platform, "audit", None)
        if audit is None:
            return
        try:
            audit.record(bot_id=self.bot.id, task_id=self.task_id, **entry)
        except Exception:  # the audit log must not take the task down with it
            log.exception("could not write the audit entry for task %s", self.task_id)

    def _counts(self) -> dict[str, int]:
        return {"tool_calls": self.tool_calls, "denials": self.denials}

    async def call_tool(self, name: str, params: Any) -> ToolOutcome:
        """Decide, then (if allowed) execute one tool call; every outcome is recorded."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise StepLimitReached(
                f"step limit reached: more than {self.max_steps} tool calls (the server's "
                "--max-steps)"
            )
        call_id = new_id("call")
        safe_params = redact_params(params) if isinstance(params, dict) else params
        bot = await self._current_bot()
        if bot is None:
            decision = Decision(
                allowed=False, check="bot_active", message="the bot was deleted", tool_name=name
            )
        else:
            self.bot = bot
            decision = decide(bot, await self.offered(bot), name, params)
        _, bare = split_tool_name(name)
        tool_name = decision.tool_name or bare
        self.tool_calls += 1
        if not decision.allowed:
            self.denials += 1
            await asyncio.to_thread(
                self._audit,
                resource_id=decision.resource_id, tool_name=tool_name,
                operation=decision.operation, params=_as_mapping(safe_params), status="denied",
                reason=decision.message, decision=decision.model_dump(mode="json"),
            )
            await self.recorder.record(
                self.task_id, "denied", task_changes=self._counts(),
                tool_name=tool_name, resource_id=decision.resource_id, call_id=call_id,
                params=_as_mapping(safe_params),
                reason=decision.model_dump(mode="json", exclude_none=True),
                error=decision.message,
            )
            return ToolOutcome("denied", tool_name, call_id, decision=decision,
                               error=decision.message)

        resource_id = decision.resource_id
        assert resource_id is not None
        await self.recorder.record(
            self.task_id, "tool_call", task_changes=self._counts(),
            tool_name=tool_name, resource_id=resource_id, call_id=call_id,
            params=_as_mapping(safe_params),
        )
        started = time.perf_counter()
        try:
            result = await self.platform.catalog.execute(
                resource_id, tool_name, params, timeout=max(0.1, self.remaining())
            )
            ok, data, error = result.ok, _jsonable(result.data), result.error
            duration_ms, size = result.duration_ms, result.size
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an executor bug is the call's error, not the task's
            log.exception("tool %s on %s raised", tool_name, resource_id)
            ok, data, error = False, None, f"{type(exc).__name__}: {exc}"
            duration_ms, size = (time.perf_counter() - started) * 1000, 0
        await asyncio.to_thread(
            self._audit,
            resource_id=resource_id, tool_name=tool_name, operation=decision.operation,
            params=safe_params, status="success" if ok else "error",
            reason=decision.message if ok else (error or "error"),
            decision=decision.model_dump(mode="json"), duration_ms=duration_ms, result_size=size,
        )
        if ok:
            await self.recorder.record(
                self.task_id, "result", tool_name=tool_name, resource_id=resource_id,
                call_id=call_id, data=data, duration_ms=duration_ms,
            )
            return ToolOutcome("ok", tool_name, call_id, data=data, duration_ms=duration_ms)
        await self.recorder.record(
            self.task_id, "error", tool_name=tool_name, resource_id=resource_id,
            call_id=call_id, error=error or "the tool failed", duration_ms=duration_ms,
        )
        return ToolOutcome("error", tool_name, call_id, error=error or "the tool failed",
                           duration_ms=duration_ms)


def _jsonable(value: Any) -> Any:
    """The value as plain JSON types (what is stored and streamed)."""
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def _as_mapping(params: Any) -> dict[str, Any]:
    return params if isinstance(params, dict) else {"_value": params}
