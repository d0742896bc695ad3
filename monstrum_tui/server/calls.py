"""``ToolCalls`` (``platform.calls``): the one path every tool call a bot makes goes through.

A task's model and an MCP client asking on a bot's behalf both end up here, so the
order is the same for all (DESIGN §2):

1. read the bot and what its resources offer *now* (a binding changed a moment ago
   applies to this call);
2. ``decide`` (pure);
3. denied: the audit entry, then the listener is told; allowed: the audit entry is
   written *before* the executor runs (status ``pending``) — if it cannot be written the
   call does not run (``AuditUnavailable``);
4. the executor runs with the binding's ``ScopeGuard``; a refusal by its confinement is a
   denial; the outcome completes the audit entry (an outcome that cannot be written
   leaves the entry pending, which the next start records as ``unknown``).

Two governed variations on step 4 (DESIGN §2):

- a binding's ``require_approval`` makes an allowed call wait for a person: the entry is
  written first (``pending``, its decision naming why approval is needed), then the
  approval row; the task shows ``waiting_approval`` until someone decides. Approved, the
  call runs and the entry's outcome names the approver's key and reason; rejected,
  expired or abandoned, it does not run and the entry is completed as ``denied``. A call
  whose approval cannot be recorded or waited for does not run either.
- shadow mode (``enforce: log_only`` on the bot or binding): a call denied by a check a
  binding sets (allowed tools, operations, scope) runs anyway, and so does one whose
  executor's scope guard would refuse a value; the entry's status is ``would_deny`` with
  the reason, and the outcome of the run.

Params are redacted (secret-looking keys) and made storable before they reach the
audit log or a listener; results and errors come back from the catalog with every
credential already replaced by ``***``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..client.models import Approval, Bot, Decision
from .approvals import ApprovalGate, outcome_text
from .audit import AuditLog
from .audit.log import PendingEntry
from .catalog import ResolvedTool, ResourceLookup, ToolCatalog
from .governance import approval_needed, decide, in_shadow, runs_in_shadow, split_tool_name
from .governance.approval import APPROVAL, ApprovalNeed
from .governance.guard import ScopeGuard, ShadowGuard, guard_for
from .ids import new_id
from .redaction import Redactor, redact_params, wire_safe
from .store import Store

log = logging.getLogger("monstrum.calls")


#: the outcome of a call whose task was cancelled before its executor started
NOT_RUN = {"status": "error", "reason": "cancelled before it ran: the call did not run"}
#: ... and while its executor was running
CANCELLED_RUNNING = {
    "status": "unknown",
    "reason": "cancelled while running: the call may or may not have taken effect",
}


class AuditUnavailable(RuntimeError):
    """The audit log cannot record the call, so it was not run."""


@dataclass
class ToolOutcome:
    """What became of one tool call, as the model (or MCP client) is told."""

    status: Literal["ok", "error", "denied"]
    tool_name: str
    call_id: str
    data: Any = None
    error: str | None = None
    decision: Decision | None = None
    duration_ms: float | None = None
    audit_id: str | None = None

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


@dataclass(frozen=True)
class Caller:
    """Who asks on the bot's behalf when it is not one of its tasks (an MCP client's key);
    recorded in the audit entry's decision, with the server process that runs the call
    (``process``: no task settles such a call if that process dies, so the next start
    on its machine does, by this)."""

    via: str
    key_id: str
    key_name: str
    process: str | None = None

    def as_audit(self) -> dict[str, str]:
        body = {"via": self.via, "key_id": self.key_id, "key_name": self.key_name}
        if self.process is not None:
            body["process"] = self.process
        return body


class CallListener(Protocol):
    """Told what happens to each call (a task records these as its events)."""

    async def approval(
        self, call_id: str, tool_name: str, resource_id: str, params: dict[str, Any],
        approval: Approval,
    ) -> None: ...

    async def denied(
        self, call_id: str, tool_name: str, resource_id: str | None, params: dict[str, Any],
        decision: Decision, audit_id: str | None,
    ) -> None: ...

    async def started(
        self, call_id: str, tool_name: str, resource_id: str, params: dict[str, Any],
        audit_id: str,
    ) -> None: ...

    async def finished(
        self, call_id: str, tool_name: str, resource_id: str, *, ok: bool, data: Any,
        error: str | None, duration_ms: float, audit_id: str,
    ) -> None: ...


def jsonable(value: Any) -> Any:
    """The value as plain JSON types (what is stored and streamed)."""
    try:
        return json.loads(json.dumps(wire_safe(value), default=str))
    except (TypeError, ValueError):
        return str(value)


def _as_mapping(params: Any) -> dict[str, Any]:
    return params if isinstance(params, dict) else {"_value": params}


class ToolCalls:
    def __init__(
        self, store: Store, catalog: ToolCatalog, audit: AuditLog, approvals: ApprovalGate
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._audit = audit
        self._approvals = approvals

    def _policy(self, bot_id: str) -> tuple[Bot | None, dict[str, list[ResolvedTool]]]:
        bot, offered, _ = self._catalog.policy(bot_id)
        return bot, offered

    async def policy(self, bot_id: str) -> tuple[Bot | None, dict[str, list[ResolvedTool]]]:
        """The bot as stored now and the tools of its resources (one thread hop)."""
        return await asyncio.to_thread(self._policy, bot_id)

    async def offered(self, resource_ids: list[str]) -> dict[str, list[ResolvedTool]]:
        """The tools of these resources as governance sees them (one thread hop)."""
        return await asyncio.to_thread(self._catalog.offered, resource_ids)

    def _decide_and_write(
        self, bot_id: str, name: str, params: Any, safe_params: dict[str, Any],
        task_id: str | None, caller: Caller | None,
    ) -> _Plan:
        """In a worker thread: read the policy, decide, and write the audit entry (a
        denial whole, an allowed call ``pending``); raises ``AuditUnavailable`` when the
        entry cannot be written, and then nothing runs. An allowed call's resource is
        looked up here too, for an executor that starts right after."""
        bot, offered, lookups = self._catalog.policy(bot_id)
        if bot is None:
            decision = Decision(allowed=False, check="bot_active", message="the bot was deleted",
                                tool_name=name)
        else:
            decision = decide(bot, offered, name, params)
        _, bare = split_tool_name(name)
        tool_name = decision.tool_name or bare
        where: dict[str, Any] = {"bot_id": bot_id, "task_id": task_id, "tool_name": tool_name,
                                 "operation": decision.operation, "params": safe_params}
        shadowed = bot is not None and runs_in_shadow(bot, offered, decision, params)

        if bot is None or not (decision.allowed or shadowed):
            try:
                entry = self._audit.record(
                    resource_id=decision.resource_id, status="denied", reason=decision.message,
                    decision=_audited(decision, caller), **where,
                )
            except Exception as exc:
                log.error("the audit log could not record a denial: %s", exc)
                raise AuditUnavailable(f"the audit log cannot record calls: {exc}") from None
            return _Plan(decision, tool_name, denied_id=entry.id)

        resource_id = decision.resource_id
        assert resource_id is not None
        # a shadowed denial is judged as if allowed from here: it may still need a person
        judged = decision if decision.allowed else decision.model_copy(update={"allowed": True})
        shadow = shadowed or in_shadow(bot, resource_id)
        need = approval_needed(bot, offered, judged, params)
        try:
            # a call that waits for a person is approved for what it asks; one that does
            # not is still refused a value that would need a person (the real file)
            guard: ScopeGuard = guard_for(bot, offered, judged, approved=need is not None)
        except LookupError as exc:  # cannot happen for a decision made on this offer
            raise AuditUnavailable(f"the call cannot be guarded: {exc}") from None
        if shadow:
            guard = ShadowGuard.over(guard)
        try:
            audited = _audited(decision, caller, approval_required=need.reason if need else None,
                               enforce="log_only" if shadow else None)
            pending = self._audit.begin(resource_id=resource_id, decision=audited, **where)
        except Exception as exc:
            log.error("the audit log could not record a call, so it was not run: %s", exc)
            raise AuditUnavailable(
                f"the call was not run: the audit log cannot record it: {exc}"
            ) from None
        # the resource as read with the policy (the executor reports one that is gone)
        found = lookups.get(resource_id) if need is None else None
        return _Plan(decision, tool_name, pending=pending, guard=guard, need=need,
                     shadowed=shadowed, found=found)

    async def call(
        self,
        bot_id: str,
        name: str,
        params: Any,
        *,
        task_id: str | None = None,
        timeout: float = 30.0,
        listener: CallListener | None = None,
        redactor: Redactor | None = None,
        caller: Caller | None = None,
    ) -> ToolOutcome:
        """Decide one call and, if allowed, run it; every outcome is audited.

        ``redactor`` holds secrets of whoever asks (a model provider's key) to keep out
        of the audited and reported params and results.
        """
        call_id = new_id("call")
        safe_params = _as_mapping(redact_params(wire_safe(params)))
        if redactor:
            safe_params = redactor.value(safe_params)
        # one thread hop: the policy as stored now, the decision, and the audit entry
        # (a denial whole; an allowed call's ``pending`` entry before anything runs)
        writing = asyncio.ensure_future(asyncio.to_thread(
            self._decide_and_write, bot_id, name, params, safe_params, task_id, caller,
        ))
        try:
            # shielded: a task cancelled now still gets its entry written (then completed)
            plan = await asyncio.shield(writing)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                written = await writing
                if written.pending is not None:
                    await self._complete(written.pending, **NOT_RUN)
            raise
        decision, tool_name = plan.decision, plan.tool_name
        if plan.pending is None:
            assert plan.denied_id is not None
            if listener is not None:
                await listener.denied(call_id, tool_name, decision.resource_id, safe_params,
                                      decision, plan.denied_id)
            return ToolOutcome("denied", tool_name, call_id, decision=decision,
                               error=decision.message, audit_id=plan.denied_id)
        pending, guard, need, shadowed = plan.pending, plan.guard, plan.need, plan.shadowed
        resource_id = decision.resource_id
        assert resource_id is not None and guard is not None
        judged = decision if decision.allowed else decision.model_copy(update={"allowed": True})

        approval_note = ""
        if need is not None:
            waited = time.monotonic()
            verdict = await self._await_approval(
                need, pending, bot_id=bot_id, task_id=task_id, call_id=call_id,
                resource_id=resource_id, tool_name=tool_name, decision=judged,
                params=safe_params, listener=listener, caller=caller,
            )
            if isinstance(verdict, ToolOutcome):
                return verdict
            approval_note = outcome_text(verdict)
            timeout = max(0.1, timeout - (time.monotonic() - waited))
        started = time.perf_counter()
        running = False
        try:
            if listener is not None:
                await listener.started(call_id, tool_name, resource_id, safe_params,
                                       pending.id)
            running = True
            result = await self._catalog.execute(
                resource_id, tool_name, params, timeout=timeout, guard=guard,
                found=plan.found if need is None else None,
            )
        except asyncio.CancelledError:
            await self._complete(
                pending, **(CANCELLED_RUNNING if running else NOT_RUN),
                duration_ms=(time.perf_counter() - started) * 1000,
            )
            raise
        except Exception as exc:  # a catalog bug is the call's error, not the task's
            log.exception("tool %s on %s raised", tool_name, resource_id)
            await self._complete(pending, status="error", reason=f"{type(exc).__name__}",
                                 duration_ms=(time.perf_counter() - started) * 1000)
            raise
        if result.refused is not None:
            refusal = result.refused
            await self._complete(pending, status="denied",
                                 reason=_joined(approval_note, refusal.message),
                                 duration_ms=result.duration_ms, result_size=0)
            if listener is not None:
                await listener.denied(call_id, tool_name, resource_id, safe_params, refusal,
                                      pending.id)
            return ToolOutcome("denied", tool_name, call_id, decision=refusal,
                               error=refusal.message, duration_ms=result.duration_ms,
                               audit_id=pending.id)
        data = jsonable(result.data)
        error = result.error or ("the tool failed" if not result.ok else None)
        if redactor:
            data, error = redactor.value(data), redactor.text(error) if error else error
        status = "success" if result.ok else "error"
        reason = decision.message if result.ok else (error or "error")
        would_deny = decision if shadowed else (
            guard.noted[0] if isinstance(guard, ShadowGuard) and guard.noted else None
        )
        if would_deny is not None:
            ran = "it succeeded" if result.ok else f"it failed: {error}"
            status = "would_deny"
            reason = f"would deny: {would_deny.message}; ran in shadow mode (log_only) and {ran}"
        await self._complete(
            pending, status=status, reason=_joined(approval_note, reason),
            duration_ms=result.duration_ms, result_size=result.size,
        )
        if listener is not None:
            await listener.finished(call_id, tool_name, resource_id, ok=result.ok,
                                    data=data if result.ok else None, error=error,
                                    duration_ms=result.duration_ms, audit_id=pending.id)
        if result.ok:
            return ToolOutcome("ok", tool_name, call_id, data=data,
                               duration_ms=result.duration_ms, audit_id=pending.id)
        return ToolOutcome("error", tool_name, call_id, error=error,
                           duration_ms=result.duration_ms, audit_id=pending.id)

    async def _await_approval(
        self, need: ApprovalNeed, pending: PendingEntry, *, bot_id: str, task_id: str | None,
        call_id: str, resource_id: str, tool_name: str, decision: Decision,
        params: dict[str, Any], listener: CallListener | None, caller: Caller | None,
    ) -> Approval | ToolOutcome:
        """Wait for a person: the approved approval, or the call's denial (it did not run)."""

        async def refuse(message: str) -> ToolOutcome:
            refusal = Decision(
                allowed=False, check=APPROVAL, message=message, tool_name=tool_name,
                resource_id=resource_id, operation=decision.operation,
                approval_required=need.reason,
            )
            await self._complete(pending, status="denied",
                                 reason=f"{message}; the call did not run")
            if listener is not None:
                await listener.denied(call_id, tool_name, resource_id, params, refusal,
                                      pending.id)
            return ToolOutcome("denied", tool_name, call_id, decision=refusal, error=message,
                               audit_id=pending.id)

        try:
            approval = await self._approvals.request(
                bot_id=bot_id, task_id=task_id, resource_id=resource_id, tool_name=tool_name,
                operation=decision.operation, params=params, reason=need.reason,
                audit_id=pending.id, via=caller.via if caller else "task",
                timeout_s=need.timeout_s, requested_by=caller.key_id if caller else None,
            )
        except Exception as exc:
            log.error("could not record an approval request: %s", exc)
            return await refuse(f"the call needs approval ({need.reason}), but the request "
                                f"for it could not be recorded: {type(exc).__name__}")
        if listener is not None:
            await listener.approval(call_id, tool_name, resource_id, params, approval)
        try:
            final = await self._approvals.wait(approval)
        except asyncio.CancelledError:
            await self._approvals.cancel(approval, "the task ended while the call waited")
            await self._complete(pending, status="denied", reason="approval cancelled: the "
                                 "task ended while the call waited; the call did not run")
            raise
        except Exception as exc:
            log.error("could not wait for approval %s: %s", approval.id, exc)
            return await refuse(f"the approval of this call could not be read: "
                                f"{type(exc).__name__}")
        if listener is not None:
            await listener.approval(call_id, tool_name, resource_id, params, final)
        if final.status != "approved":
            return await refuse(outcome_text(final))
        return final

    async def _complete(self, pending: PendingEntry, **outcome: Any) -> None:
        try:
            # shielded: a task cancelled mid-call still gets its entry completed
            await asyncio.shield(asyncio.to_thread(self._audit.complete, pending, **outcome))
        except Exception as exc:
            # the call ran; its entry stays pending and is recorded as unknown on restart
            log.error("could not record the outcome of audit entry %s: %s", pending.id, exc)


@dataclass
class _Plan:
    """What the policy hop decided and wrote: a denial's entry, or an allowed call's
    pending entry with what running it needs."""

    decision: Decision
    tool_name: str
    denied_id: str | None = None
    pending: PendingEntry | None = None
    guard: ScopeGuard | None = None
    need: ApprovalNeed | None = None
    shadowed: bool = False
    found: ResourceLookup | None = None


def _audited(decision: Decision, caller: Caller | None, **fields: str | None) -> dict[str, Any]:
    """The decision as the audit entry keeps it (with who asked, when not a task), with
    ``fields`` of its own set (plain values: one dump, no model copy on the call path)."""
    body = decision.model_dump(mode="json")
    body.update(fields)
    if caller is not None:
        body["caller"] = caller.as_audit()
    return body


def _joined(note: str, reason: str) -> str:
    return f"{note}; {reason}" if note else reason
