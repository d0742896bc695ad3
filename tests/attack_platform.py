"""The platform in-process, set up to be attacked: canaries planted where no bot may
reach, bots bound with real bindings, and every trace of a call collected to search.

``HostilePlatform.call`` goes through ``platform.calls`` — decide, the write-ahead audit
entry, the executor with the binding's real ``ScopeGuard``, completion — exactly as a
task's model does, and keeps what the model is told, what the task's events would say
(serialized as the event stream serializes them) and the audit entry.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monstrum_tui.client.models import BotCreate, Decision, TaskEvent
from monstrum_tui.server.calls import ToolOutcome
from monstrum_tui.server.manifests import manifest_digest, parse_manifest
from monstrum_tui.server.platform import Platform
from monstrum_tui.server.resource_values import with_defaults
from monstrum_tui.server.settings import ServerSettings

#: the platform's own files in its data dir; no bot may ever read any of them
DATA_DIR_FILES = ("admin.key", "secret.key", "audit.key", "monstrum.db", "audit.witness")
#: the header every SQLite database file starts with
SQLITE_HEADER = "SQLite format 3"


def data_dir_canaries(data_dir: Path) -> dict[str, str]:
    """What would show that a file of the data dir was read: each key file's secret, the
    witness's seal and the database's header."""
    found: dict[str, str] = {}
    for name in ("admin.key", "secret.key", "audit.key"):
        path = data_dir / name
        if path.exists():
            found[name] = path.read_text().strip()
    witness = data_dir / "audit.witness"
    if witness.exists() and witness.read_text().strip():
        mac = json.loads(witness.read_text().strip()).get("mac")
        if mac:
            found["audit.witness"] = mac
    found["monstrum.db"] = SQLITE_HEADER
    return found


def canary(label: str) -> str:
    """A unique text to plant in a file no bot may read."""
    return f"CANARY-{label}-{uuid.uuid4().hex}"


class _Listener:
    """Keeps each event a task would record for a call, as the event stream sends it."""

    def __init__(self, frames: list[str]) -> None:
        self.frames = frames
        self._seq = 0

    def _frame(self, type_: str, **fields: Any) -> None:
        self._seq += 1
        event = TaskEvent(seq=self._seq, task_id="task_attack", type=type_,
                          timestamp=datetime.now(timezone.utc), **fields)
        # what GET /v1/tasks/{id}/events would send: a failure here is a stream that dies
        self.frames.append(event.model_dump_json(exclude_none=True))

    async def denied(self, call_id: str, tool_name: str, resource_id: str | None,
                     params: dict[str, Any], decision: Decision, audit_id: str | None) -> None:
        self._frame("denied", tool_name=tool_name, resource_id=resource_id, call_id=call_id,
                    params=params, reason=decision.model_dump(mode="json", exclude_none=True),
                    error=decision.message, audit_id=audit_id)

    async def started(self, call_id: str, tool_name: str, resource_id: str,
                      params: dict[str, Any], audit_id: str) -> None:
        self._frame("tool_call", tool_name=tool_name, resource_id=resource_id,
                    call_id=call_id, params=params, audit_id=audit_id)

    async def finished(self, call_id: str, tool_name: str, resource_id: str, *, ok: bool,
                       data: Any, error: str | None, duration_ms: float,
                       audit_id: str) -> None:
        if ok:
            self._frame("result", tool_name=tool_name, resource_id=resource_id,
                        call_id=call_id, data=data, duration_ms=duration_ms, audit_id=audit_id)
        else:
            self._frame("error", tool_name=tool_name, resource_id=resource_id,
                        call_id=call_id, error=error, duration_ms=duration_ms,
                        audit_id=audit_id)


@dataclass
class Traced:
    """One call and every trace it left."""

    outcome: ToolOutcome
    frames: list[str]
    audit: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return self.outcome.status == "ok"

    def text(self) -> str:
        """Everything a user, a model or a reader of the audit log could see of the call."""
        parts = [self.outcome.for_model(), self.outcome.error or "", *self.frames,
                 json.dumps(self.audit, ensure_ascii=False, default=str)]
        return "\n".join(parts)


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class HostilePlatform:
    """A real ``Platform`` on a real SQLite file, driven from one event loop."""

    data_dir: Path
    platform: Platform = field(init=False)
    loop: asyncio.AbstractEventLoop = field(init=False)
    logs: _LogCollector = field(init=False)

    def __post_init__(self) -> None:
        self.platform = Platform.open(ServerSettings(data_dir=self.data_dir))
        self.loop = asyncio.new_event_loop()
        self.logs = _LogCollector()
        logging.getLogger().addHandler(self.logs)
        logging.getLogger("monstrum").setLevel(logging.DEBUG)

    def close(self) -> None:
        logging.getLogger().removeHandler(self.logs)
        self.loop.run_until_complete(self.platform.executors.stop())
        self.loop.close()
        self.platform.close()

    def install(self, manifest_yaml: str) -> str:
        manifest = parse_manifest(manifest_yaml)
        self.platform.store.integrations.install(
            manifest, manifest_yaml, manifest_digest(manifest)
        )
        return manifest.resource_type.id

    def add_resource(self, resource_id: str, type_id: str, config: dict[str, Any],
                     credentials: dict[str, Any] | None = None) -> str:
        compiled = self.platform.store.integrations.for_type(type_id)
        assert compiled is not None, type_id
        creds = credentials or {}
        self.platform.store.resources.create(
            resource_id, type_id, resource_id, with_defaults(compiled.manifest, config),
            self.platform.cipher.encrypt(creds), list(creds),
        )
        return resource_id

    def add_bot(self, name: str, resource_id: str, scope: dict[str, list[str]],
                operations: tuple[str, ...] = ("*",), tools: tuple[str, ...] = ("*",)) -> str:
        bot = self.platform.store.bots.create(BotCreate.model_validate({
            "name": name, "model": "scripted", "allowed_operations": list(operations),
            "resource_bindings": [{"resource_id": resource_id, "allowed_tools": list(tools),
                                   "scope_constraints": scope}],
        }))
        return bot.id

    def call(self, bot_id: str, tool: str, params: Any) -> Traced:
        """One call through ``platform.calls``, with all it left behind."""
        frames: list[str] = []
        outcome = self.loop.run_until_complete(self.platform.calls.call(
            bot_id, tool, params, task_id="task_attack", timeout=20, listener=_Listener(frames),
        ))
        entry = self.platform.audit.get(outcome.audit_id) if outcome.audit_id else None
        return Traced(outcome, frames,
                      entry.model_dump(mode="json") if entry is not None else None)

    def log_text(self) -> str:
        return "\n".join(self.logs.lines)
