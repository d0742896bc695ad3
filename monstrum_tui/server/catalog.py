"""``ToolCatalog`` (``platform.catalog``): the tools each resource offers, and running them.

``tools_of`` is on the governance hot path: one indexed lookup for the resource's
type, then the compiled manifest from a cache keyed by the manifest's digest.
``execute`` is the only place credentials are decrypted; they go to the executor and
nowhere else, and any credential value found in the result or error, in any encoding,
is replaced by ``***`` before it is returned (and before an error is shortened).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from ..client.models import Bot, Decision, Tool
from .credentials import CredentialCipher, SecretKeyError
from .executors.call import ExecutorCall, ToolFailure, ToolRefused
from .executors.confinement import PrivateZone
from .executors.registry import ExecutorRegistry
from .governance.guard import ScopeGuard
from .manifests import CompiledManifest
from .manifests.model import ToolSpec
from .redaction import Redactor, secrets_in_use, shorten, shorten_strings, wire_safe
from .store import Store
from .store.resources import ResourceRecord

log = logging.getLogger("monstrum.catalog")

#: the longest error text a call's outcome keeps (after secrets are redacted from it)
#: a resource as stored and its type's compiled manifest (None for what is missing)
ResourceLookup = tuple[ResourceRecord | None, CompiledManifest | None]

ERROR_TEXT_CHARS = 2000
#: the longest text in a failed call's data (an error body), after redaction
FAILURE_DATA_CHARS = 500


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    data: Any
    error: str | None
    duration_ms: float
    #: bytes of the result's JSON form
    size: int
    #: set when the executor's confinement refused the call before touching anything
    refused: Decision | None = None


@dataclass(frozen=True)
class ResolvedTool:
    """One tool of one resource, as governance sees it."""

    resource_id: str
    resource_type: str
    integration: str
    #: the wire tool; ``scope_dimensions`` are those that apply to this tool
    tool: Tool
    #: the manifest's tool: ``spec.http`` / ``spec.executor`` say how it runs
    spec: ToolSpec

    @property
    def name(self) -> str:
        return self.tool.name

    @property
    def operation(self) -> str:
        return self.tool.operation

    @property
    def executor(self) -> str | None:
        """``http GET /path``, ``filesystem.read``..., or None when it declares none."""
        return getattr(self.tool, "executor", None)


def _size(data: Any) -> int:
    try:
        return len(json.dumps(data, default=str, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return 0


async def _within(running: Coroutine[Any, Any, Any], seconds: float) -> Any:
    """``running``'s result, or ``asyncio.TimeoutError`` after ``seconds``.

    On 3.11+ ``asyncio.timeout`` runs it in the calling task; ``wait_for`` there wraps it
    in a task of its own first, tens of µs on every tool call's path for the backstop.
    """
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await running
    return await asyncio.wait_for(running, seconds)


class ToolCatalog:
    def __init__(
        self,
        store: Store,
        cipher: CredentialCipher,
        executors: ExecutorRegistry,
        private: PrivateZone,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._executors = executors
        self._private = private
        self._resolved: dict[tuple[str, str, str], list[ResolvedTool]] = {}
        self._lock = threading.Lock()

    def manifest_of(self, resource_id: str) -> tuple[str, CompiledManifest] | None:
        """The resource's type and its compiled manifest, if both exist."""
        return self._store.integrations.for_resource(resource_id)

    def tools_of(self, resource_id: str) -> list[ResolvedTool]:
        """The tools a resource offers ([] for an unknown resource or uninstalled type)."""
        found = self.manifest_of(resource_id)
        if found is None:
            return []
        type_id, compiled = found
        return self._resolved_tools(resource_id, type_id, compiled)

    def policy(
        self, bot_id: str
    ) -> tuple[Bot | None, dict[str, list[ResolvedTool]], dict[str, ResourceLookup]]:
        """The bot as stored now, the tools of each resource it is bound to (as
        ``offered``), and each one's ``lookup``: all from one read of the store."""
        read = self._store.policy.read(bot_id)
        if read is None:
            return None, {}, {}
        offered: dict[str, list[ResolvedTool]] = {}
        found: dict[str, ResourceLookup] = {}
        for binding in read.bot.resource_bindings:
            resource_id = binding.resource_id
            if resource_id in offered:
                continue
            bound = read.resources.get(resource_id)
            record, compiled = (bound.record if bound else None), None
            if bound is not None and bound.digest is not None:
                try:
                    compiled = self._store.integrations.compiled(bound.record.type,
                                                                 bound.digest)
                except Exception as exc:  # fail closed: what cannot be read is not offered
                    log.warning("no tools for %s: %s", resource_id, exc)
            offered[resource_id] = (
                self._resolved_tools(resource_id, record.type, compiled)
                if record is not None and compiled is not None else []
            )
            found[resource_id] = (record, compiled)
        return read.bot, offered, found

    def _resolved_tools(
        self, resource_id: str, type_id: str, compiled: CompiledManifest
    ) -> list[ResolvedTool]:
        key = (resource_id, type_id, compiled.digest)
        with self._lock:
            hit = self._resolved.get(key)
        if hit is not None:
            return list(hit)
        tools = [
            ResolvedTool(
                resource_id=resource_id,
                resource_type=type_id,
                integration=compiled.manifest.name,
                tool=ct.wire,
                spec=ct.spec,
            )
            for ct in compiled.tools.values()
        ]
        with self._lock:
            if len(self._resolved) > 10_000:
                self._resolved.clear()
            self._resolved[key] = tools
        return list(tools)

    def offered(self, resource_ids: Iterable[str]) -> dict[str, list[ResolvedTool]]:
        """The tools of each resource, for governance (a resource that fails offers none)."""
        out: dict[str, list[ResolvedTool]] = {}
        for resource_id in resource_ids:
            try:
                out[resource_id] = self.tools_of(resource_id)
            except Exception as exc:  # fail closed: what cannot be looked up is not offered
                log.warning("no tools for %s: %s", resource_id, exc)
                out[resource_id] = []
        return out

    def config_problems(
        self, compiled: CompiledManifest, config: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Why a resource of this type with this config must not run (its executors say:
        e.g. a folder that would expose the data dir), as 422 fields."""
        problems = self._executors.config_problems(
            [t.spec for t in compiled.tools.values()], config, self._private
        )
        return [{"field": "config", "message": p} for p in problems]

    def tool(self, resource_id: str, tool_name: str) -> ResolvedTool | None:
        return next((t for t in self.tools_of(resource_id) if t.name == tool_name), None)

    def lookup(self, resource_id: str) -> ResourceLookup:
        """The resource as stored now and its type's compiled manifest (blocking)."""
        record = self._store.resources.get(resource_id)
        if record is None:
            return None, None
        return record, self._store.integrations.for_type(record.type)

    async def execute(
        self,
        resource_id: str,
        tool_name: str,
        params: dict[str, Any],
        *,
        timeout: float = 30.0,
        guard: ScopeGuard | None = None,
        found: ResourceLookup | None = None,
    ) -> ToolResult:
        """Run one (already allowed) tool call; failures come back as ``ok=False``.

        ``found`` is the resource's ``lookup`` made just before (in the thread hop that
        wrote the call's audit entry); without it the lookup is made here.

        Secrets are redacted from the result and the error in every encoding, and only
        then is the error shortened.
        """
        started = time.perf_counter()

        def done(
            ok: bool, data: Any, error: str | None, redactor: Redactor | None = None,
            refused: Decision | None = None,
        ) -> ToolResult:
            # bounded first: an upstream's JSON nested hundreds deep would make every
            # walk over it below (redaction, shortening) raise RecursionError
            data = wire_safe(data)
            if redactor:
                data = redactor.value(data)
                error = redactor.text(error) if error else error
                if refused is not None:
                    refused = refused.model_copy(update={"message": redactor.text(refused.message)})
            if error:
                error = shorten(error, ERROR_TEXT_CHARS)
            if not ok:
                data = shorten_strings(data, FAILURE_DATA_CHARS)
            return ToolResult(
                ok=ok, data=data, error=error,
                duration_ms=(time.perf_counter() - started) * 1000, size=_size(data),
                refused=refused,
            )

        record, compiled = found if found is not None else await asyncio.to_thread(
            self.lookup, resource_id)
        if record is None:
            return done(False, None, f"no resource {resource_id}")
        if compiled is None:
            return done(False, None, f"resource type '{record.type}' is not installed")
        ct = compiled.tools.get(tool_name)
        if ct is None:
            return done(False, None, f"no tool {tool_name} on resource {resource_id} "
                        f"(type {record.type})")
        if ct.spec.http is None and ct.spec.executor is None:
            return done(False, None, f"no executor: tool {tool_name} of integration "
                        f"{compiled.manifest.name} declares no executor")
        runs_it = self._executors.for_tool(ct.spec)
        if runs_it is None:
            return done(False, None, f"no executor: tool {tool_name} of integration "
                        f"{compiled.manifest.name} names unknown executor {ct.spec.executor}")
        executor, action = runs_it
        config = {
            f.field: f.default for f in compiled.manifest.config_schema if f.default is not None
        }
        config.update(record.config)
        problems = executor.config_problems(config, self._private)
        if problems:
            return done(False, None, f"resource {resource_id} cannot run {tool_name}: "
                        + "; ".join(problems))
        try:
            credentials = self._cipher.decrypt(record.credentials_token)
        except SecretKeyError as exc:
            return done(False, None, f"cannot run {tool_name} on {resource_id}: {exc}")
        call = ExecutorCall(
            manifest=compiled.manifest, tool=ct.spec, action=action, resource_id=resource_id,
            params=dict(params or {}), config=config, credentials=credentials,
            guard=guard if guard is not None else ScopeGuard.allow_all(),
            private=self._private, timeout=max(0.001, float(timeout)),
        )

        def redactor() -> Redactor:
            return Redactor([*credentials.values(), *call.derived_secrets])

        in_use = Redactor(credentials.values())
        with secrets_in_use(in_use):  # a log line written meanwhile is redacted too
            try:
                # the executors keep their own time; this is the backstop (+ a grace)
                data = await _within(executor.run(call), call.timeout + 2.0)
            except ToolRefused as refusal:
                return done(False, None, refusal.decision.message, redactor(),
                            refusal.decision)
            except ToolFailure as failure:
                return done(False, failure.data, failure.message, redactor())
            except asyncio.TimeoutError:
                return done(False, None, f"{tool_name} timed out after {call.timeout:g}s")
            except Exception as exc:  # an executor bug must not take the task down with it
                secrets = redactor()
                message = shorten(secrets.text(f"{type(exc).__name__}: {exc}"),
                                  ERROR_TEXT_CHARS)
                log.warning("tool %s on %s failed: %s", tool_name, resource_id, message)
                return done(False, None, f"{tool_name} failed: {message}", secrets)
            return done(True, data, None, redactor())
