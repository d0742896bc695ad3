"""The sync client's namespaces: the async ones' calls, run on the client's loop thread.

Each method forwards to the ``AsyncClient`` method of the same name with the same
parameters (a test holds the two signatures equal), so the behaviour lives once; these
classes exist to give sync callers, and their type checkers, the sync return types.
Every object they return holds the client's bridge, which keeps the client open while
it is in use.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from .api.approvals import Approvals
from .api.audit import Audit
from .api.bots import Bots
from .api.integrations import Integrations
from .api.keys import ApiKeys
from .api.resources import Resources
from .api.server import Server
from .api.tasks import Tasks
from .models import (
    ApiKey,
    ApiKeyCreated,
    Approval,
    ApprovalSummary,
    AuditEntry,
    AuditVerification,
    Bot,
    BotToolsPreview,
    Decision,
    Integration,
    McpImportProposal,
    Resource,
    ResourceBinding,
    ServerInfo,
    Task,
    TaskEvent,
    TaskStats,
    ToolAccess,
)
from .sse import DEFAULT_MAX_RECONNECTS, StatusCallback
from .sync_bridge import SyncBridge, SyncPager, SyncTaskEventStream


class SyncNamespace:
    """A group of sync calls; holds the bridge (and so keeps the client alive)."""

    def __init__(self, bridge: SyncBridge) -> None:
        self._bridge = bridge

    def __repr__(self) -> str:
        return f"<sync {type(self).__name__.removeprefix('Sync')}>"


class SyncBots(SyncNamespace):
    """``client.bots``: list, get, create, update, delete governed bots."""

    @property
    def _api(self) -> Bots:
        return self._bridge.client.bots

    def list(
        self,
        *,
        limit: int | None = None,
        q: str | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
    ) -> SyncPager[Bot]:
        """Every bot (``limit`` caps how many), oldest first, fetched ``page_size`` at a time."""
        pager = self._api.list(limit=limit, q=q, page_size=page_size, cursor=cursor)
        return SyncPager(self._bridge, pager)

    def get(self, bot_id: str) -> Bot:
        return self._bridge.run(self._api.get(bot_id))

    def resolve(self, ref: str, *, partial: bool = False) -> Bot:
        """The bot ``ref`` names: its id, or its name (see ``monstrum_tui.client.names``)."""
        return self._bridge.run(self._api.resolve(ref, partial=partial))

    def create(
        self,
        *,
        name: str,
        description: str = "",
        model: str = "scripted",
        status: str = "active",
        allowed_operations: builtins.list[str] | None = None,
        resource_bindings: builtins.list[ResourceBinding | dict[str, Any]] | None = None,
        enforce: str = "enforce",
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Bot:
        """Create a bot. A retried create makes one bot (``idempotency_key``: your own key)."""
        return self._bridge.run(self._api.create(
            name=name, description=description, model=model, status=status,
            allowed_operations=allowed_operations, resource_bindings=resource_bindings,
            enforce=enforce, idempotency_key=idempotency_key, extra_headers=extra_headers,
        ))

    def update(self, bot_id: str, **changes: Any) -> Bot:
        """Change the named fields only (``allowed_operations=[...]``, ``status="paused"``...)."""
        return self._bridge.run(self._api.update(bot_id, **changes))

    def delete(
        self,
        bot_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._bridge.run(self._api.delete(
            bot_id, idempotency_key=idempotency_key, extra_headers=extra_headers
        ))

    def authorize(
        self, bot_id: str, *, tool: str, params: dict[str, Any] | None = None
    ) -> Decision:
        """The platform's decision on a tool call by this bot, without running it."""
        return self._bridge.run(self._api.authorize(bot_id, tool=tool, params=params))

    def tools(self, bot_id: str) -> builtins.list[ToolAccess]:
        """Every tool of the bot's bound resources, with the server's verdict on each."""
        return self._bridge.run(self._api.tools(bot_id))

    def preview_tools(
        self,
        *,
        resource_bindings: builtins.list[ResourceBinding | dict[str, Any]],
        allowed_operations: builtins.list[str] | None = None,
        status: str = "active",
        enforce: str = "enforce",
        bot_id: str | None = None,
        name: str = "",
    ) -> BotToolsPreview:
        """What a bot with these settings would be allowed to call, before it is saved."""
        return self._bridge.run(self._api.preview_tools(
            resource_bindings=resource_bindings, allowed_operations=allowed_operations,
            status=status, enforce=enforce, bot_id=bot_id, name=name,
        ))


class SyncTasks(SyncNamespace):
    """``client.tasks``: run bots, follow their events, look up past runs."""

    @property
    def _api(self) -> Tasks:
        return self._bridge.client.tasks

    def create(
        self,
        *,
        bot_id: str,
        input: str = "",
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Task:
        """Start a task and return at once (status ``queued``); retries start it once."""
        return self._bridge.run(self._api.create(
            bot_id=bot_id, input=input, metadata=metadata, idempotency_key=idempotency_key,
            extra_headers=extra_headers,
        ))

    def run(
        self,
        *,
        bot_id: str,
        input: str = "",
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Task:
        """Start a task, wait for it to end, and return it (``status``, ``output``, ``error``)."""
        return self._bridge.run(self._api.run(
            bot_id=bot_id, input=input, metadata=metadata, idempotency_key=idempotency_key,
            extra_headers=extra_headers,
        ))

    def wait(self, task_id: str) -> Task:
        """Wait (following the event stream) until a task ends; return it."""
        return self._bridge.run(self._api.wait(task_id))

    def stream(
        self,
        *,
        bot_id: str,
        input: str = "",
        metadata: dict[str, Any] | None = None,
        on_status: StatusCallback | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Iterator[TaskEvent]:
        """Start a task and yield its events as they happen, up to its last one."""
        return self._bridge.iterate(self._api.stream(
            bot_id=bot_id, input=input, metadata=metadata, on_status=on_status,
            idempotency_key=idempotency_key, extra_headers=extra_headers,
        ))

    def events(
        self,
        task_id: str,
        *,
        after: int | None = None,
        max_reconnects: int = DEFAULT_MAX_RECONNECTS,
        on_status: StatusCallback | None = None,
    ) -> SyncTaskEventStream:
        """Attach to a task: its events after seq ``after`` (all if ``None``), then live ones."""
        stream = self._api.events(
            task_id, after=after, max_reconnects=max_reconnects, on_status=on_status
        )
        return SyncTaskEventStream(self._bridge, stream)

    def get(self, task_id: str) -> Task:
        return self._bridge.run(self._api.get(task_id))

    def list(
        self,
        *,
        bot_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> SyncPager[Task]:
        """Tasks, newest first; ``limit`` caps how many."""
        return SyncPager(self._bridge, self._api.list(bot_id=bot_id, status=status, limit=limit))

    def stats(
        self,
        *,
        task_ids: builtins.list[str] | None = None,
        window: int = 300,
        buckets: int = 60,
        recent: int = 3600,
    ) -> TaskStats:
        """The overview of many tasks: counts per status, recent ends, calls per bucket."""
        return self._bridge.run(self._api.stats(
            task_ids=task_ids, window=window, buckets=buckets, recent=recent))

    def cancel(
        self,
        task_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Task:
        """Stop a queued or running task; returns it as it ended (``cancelled``)."""
        return self._bridge.run(self._api.cancel(
            task_id, idempotency_key=idempotency_key, extra_headers=extra_headers
        ))


class SyncResources(SyncNamespace):
    """``client.resources``: configured instances of integrations, with their tools."""

    @property
    def _api(self) -> Resources:
        return self._bridge.client.resources

    def list(
        self, *, type: str | None = None, q: str | None = None, limit: int | None = None
    ) -> SyncPager[Resource]:
        """Every resource (of one ``type`` if given; ``q``: text in the name or id), by id."""
        return SyncPager(self._bridge, self._api.list(type=type, q=q, limit=limit))

    def get(self, resource_id: str) -> Resource:
        """One resource with its tools (and the scope dimensions of each) and bound bots."""
        return self._bridge.run(self._api.get(resource_id))

    def resolve(self, ref: str, *, partial: bool = False) -> Resource:
        """The resource ``ref`` names: its id, or its name (``monstrum_tui.client.names``)."""
        return self._bridge.run(self._api.resolve(ref, partial=partial))

    def create(
        self,
        *,
        type: str,
        name: str,
        config: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        id: str | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Resource:
        """Create a resource; ``credentials`` are stored encrypted and never shown again."""
        return self._bridge.run(self._api.create(
            type=type, name=name, config=config, credentials=credentials, id=id,
            idempotency_key=idempotency_key, extra_headers=extra_headers,
        ))

    def update(self, resource_id: str, **changes: Any) -> Resource:
        """Change ``name``, or merge into ``config`` / ``credentials`` (a None value removes)."""
        return self._bridge.run(self._api.update(resource_id, **changes))

    def delete(
        self,
        resource_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete a resource (refused with a ConflictError while bots are bound to it)."""
        self._bridge.run(self._api.delete(
            resource_id, idempotency_key=idempotency_key, extra_headers=extra_headers
        ))


class SyncIntegrations(SyncNamespace):
    """``client.integrations``: upload and list declarative integration manifests."""

    @property
    def _api(self) -> Integrations:
        return self._bridge.client.integrations

    def list(self, *, limit: int | None = None) -> SyncPager[Integration]:
        """The installed integrations, by name."""
        return SyncPager(self._bridge, self._api.list(limit=limit))

    def get(self, name: str) -> Integration:
        return self._bridge.run(self._api.get(name))

    def upload(
        self,
        *,
        manifest: str,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Integration:
        """Install a manifest given as YAML text (the file's contents)."""
        return self._bridge.run(self._api.upload(
            manifest=manifest, idempotency_key=idempotency_key, extra_headers=extra_headers
        ))

    def import_mcp(
        self,
        *,
        name: str,
        server: dict[str, Any],
        version: str = "1.0.0",
        description: str = "",
        operation_prefix: str | None = None,
        config: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
    ) -> McpImportProposal:
        """List an MCP server's tools and get a manifest proposal (YAML text) back."""
        return self._bridge.run(self._api.import_mcp(
            name=name, server=server, version=version, description=description,
            operation_prefix=operation_prefix, config=config, credentials=credentials,
        ))


class SyncAudit(SyncNamespace):
    """``client.audit``: the log of every tool call the platform decided on."""

    @property
    def _api(self) -> Audit:
        return self._bridge.client.audit

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
    ) -> SyncPager[AuditEntry]:
        """Every matching entry, newest first, across pages."""
        return SyncPager(self._bridge, self._api.list(
            bot_id=bot_id, resource_id=resource_id, tool_name=tool_name, status=status,
            task_id=task_id, start_time=start_time, end_time=end_time, q=q,
            after_id=after_id, limit=limit, page_size=page_size, cursor=cursor,
        ))

    def get(self, entry_id: str) -> AuditEntry:
        return self._bridge.run(self._api.get(entry_id))

    def verify(self, *, fast: bool = False, full: bool | None = None) -> AuditVerification:
        """Walk the whole hash chain, its seals and head witness (``fast``: only from the
        newest checkpoint); names the first entry that does not verify."""
        return self._bridge.run(self._api.verify(fast=fast, full=full))


class SyncApiKeys(SyncNamespace):
    """``client.api_keys``: the keys that reach the platform (admin only)."""

    @property
    def _api(self) -> ApiKeys:
        return self._bridge.client.api_keys

    def list(self, *, limit: int | None = None) -> SyncPager[ApiKey]:
        return SyncPager(self._bridge, self._api.list(limit=limit))

    def create(
        self,
        *,
        name: str,
        scopes: builtins.list[str],
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ApiKeyCreated:
        """Create a key; its ``secret`` is in this answer and never again."""
        return self._bridge.run(self._api.create(
            name=name, scopes=scopes, idempotency_key=idempotency_key,
            extra_headers=extra_headers,
        ))

    def delete(
        self,
        key_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._bridge.run(self._api.delete(
            key_id, idempotency_key=idempotency_key, extra_headers=extra_headers
        ))


#: each sync namespace and the async one it forwards to
SYNC_NAMESPACES: dict[str, tuple[type[SyncNamespace], type[Any]]] = {
    "bots": (SyncBots, Bots),
    "tasks": (SyncTasks, Tasks),
    "resources": (SyncResources, Resources),
    "integrations": (SyncIntegrations, Integrations),
    "audit": (SyncAudit, Audit),
    "api_keys": (SyncApiKeys, ApiKeys),
}


class SyncApprovals(SyncNamespace):
    """``client.approvals``: tool calls waiting for a person, and deciding them."""

    @property
    def _api(self) -> Approvals:
        return self._bridge.client.approvals

    def list(
        self,
        *,
        status: str | None = None,
        task_id: str | None = None,
        bot_id: str | None = None,
        limit: int | None = None,
    ) -> SyncPager[Approval]:
        """Approvals, newest first; ``status="pending"`` for the calls waiting now."""
        return SyncPager(self._bridge, self._api.list(
            status=status, task_id=task_id, bot_id=bot_id, limit=limit))

    def get(self, approval_id: str) -> Approval:
        return self._bridge.run(self._api.get(approval_id))

    def summary(self) -> ApprovalSummary:
        """How many calls wait for a person now."""
        return self._bridge.run(self._api.summary())

    def approve(self, approval_id: str, *, reason: str = "") -> Approval:
        """Let the waiting call run (needs ``approvals:write``); the reason is audited."""
        return self._bridge.run(self._api.approve(approval_id, reason=reason))

    def reject(self, approval_id: str, *, reason: str = "") -> Approval:
        """Refuse the waiting call: it does not run, and the model is told the reason."""
        return self._bridge.run(self._api.reject(approval_id, reason=reason))


class SyncServer(SyncNamespace):
    """``client.server``: the platform's own state (version, limits, queue, audit chain)."""

    @property
    def _api(self) -> Server:
        return self._bridge.client.server

    def info(self) -> ServerInfo:
        """Version, uptime, limits, queue, database kind and size, the audit chain's state
        and its last verification (any valid key may read it)."""
        return self._bridge.run(self._api.info())
