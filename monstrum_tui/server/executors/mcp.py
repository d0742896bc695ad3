"""The ``mcp`` executor: a tool of an MCP server, run through the official ``mcp`` SDK.

Each resource gets one session with its server, opened at its first call (that is when
its credentials are decrypted and handed over: env values for a stdio server, header
values for an HTTP one), kept while it is used, closed when idle, when the resource's
config or credentials change, or when the platform stops. Before a call, the tool's
listing (re-read when older than ``listing_ttl_s`` or when the server says its tools
changed) must still give the digest the manifest pinned; otherwise the call is refused
with a "re-review" denial. Results come back as JSON (text blocks, structured content);
an ``isError`` result is the call's error. The platform redacts credentials from both.

A server that hangs is given ``timeout_s`` per call, then its session is closed (and the
child killed), so the next call starts afresh; one that floods gets cut at
``max_message_bytes`` (``mcp_transport.py``).

The SDK is imported at the first session, not with the platform: it costs seconds of
start-up that a workspace without MCP servers should not pay.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from ..manifests.mcp_import import ListedTool, schema_digest
from ..manifests.model import McpServerSpec
from ..manifests.templates import MissingValue, Reference, render
from ..redaction import Redactor
from .actions import ACTIONS, ActionSpec
from .call import ExecutorCall, ToolFailure
from .confinement import PrivateZone

if TYPE_CHECKING:
    import mcp_types as types
    from mcp import Client

    from .mcp_transport import Peer

log = logging.getLogger("monstrum.executors.mcp")

#: seconds a session may sit unused before it is closed
IDLE_S = 300.0
#: sessions kept open at once (the least recently used is closed beyond this)
MAX_SESSIONS = 32
#: pages of tools/list read at most (a paginator that never ends cannot hang a call)
MAX_LIST_PAGES = 50
#: what a stdio server inherits from the platform's environment (nothing else)
INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
RE_REVIEW = "mcp_schema"
#: characters of a failed server's stderr an error shows (its end), after redaction
STDERR_SHOWN = 500


@dataclass(frozen=True)
class McpTarget:
    """One MCP server as a resource reaches it, with its values filled in."""

    command: str | None
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    cwd: str | None
    url: str | None
    headers: tuple[tuple[str, str], ...]
    timeout: float
    start_timeout: float
    max_message_bytes: int
    #: the credentials it uses, and rendered values that carry them (redacted wherever
    #: they show up)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def label(self) -> str:
        """How the server is named in messages (never with a credential)."""
        return self.url or f"stdio {self.command}"

    def fingerprint(self) -> str:
        body = json.dumps([self.command, self.args, self.env, self.cwd, self.url, self.headers,
                           self.max_message_bytes], sort_keys=True)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


def render_target(
    spec: McpServerSpec, config: Mapping[str, Any], credentials: Mapping[str, Any]
) -> McpTarget:
    """The server of ``spec`` for one resource; ``ToolFailure`` when a value is missing."""
    secrets: list[str] = []

    def lookup(ref: Reference) -> Any:
        source = credentials if ref.namespace == "credentials" else config
        value = source.get(ref.name) if ref.namespace != "params" else None
        if value is None:
            raise MissingValue(ref)
        if source is credentials:
            secrets.append(str(value))
        return value

    def fill(template: str, where: str) -> str:
        try:
            text = str(render(template, lookup))
        except MissingValue as exc:
            raise ToolFailure(f"the MCP server's {where} needs {exc.ref}, which the resource "
                              "does not set") from None
        if "credentials." in template:
            secrets.append(text)
        return text

    env = tuple(sorted((k, fill(v, f"env {k}")) for k, v in spec.env.items()))
    headers = tuple(sorted((k, fill(v, f"header {k}")) for k, v in spec.headers.items()))
    url = fill(spec.url, "url") if spec.url is not None else None
    if url is not None and not url.startswith(("http://", "https://")):
        raise ToolFailure("the MCP server's url is not an http(s) URL")
    return McpTarget(
        command=spec.command, args=tuple(spec.args), env=env, cwd=spec.cwd, url=url,
        headers=headers, timeout=float(spec.timeout_s),
        start_timeout=float(spec.start_timeout_s),
        max_message_bytes=int(spec.max_message_bytes), secrets=tuple(secrets),
    )


def _grouped(exc: BaseException) -> tuple[BaseException, ...] | None:
    """The members of an exception group (anyio's task groups raise them), else None."""
    members = getattr(exc, "exceptions", None)
    return tuple(members) if isinstance(members, (list, tuple)) else None


def _describe(exc: BaseException) -> str:
    while (members := _grouped(exc)) is not None and len(members) == 1:
        exc = members[0]
    if members:
        return "; ".join(_describe(e) for e in members[:3])
    code, message = getattr(exc, "code", None), getattr(exc, "message", None)
    if isinstance(code, int) and isinstance(message, str):  # the SDK's MCPError
        return f"MCP error {code}: {message}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


class McpSession:
    """One connection to one MCP server, owned by its own asyncio task (the SDK's
    context managers must be entered and left by the same task)."""

    def __init__(self, target: McpTarget) -> None:
        from .mcp_transport import Peer

        self.target = target
        self.peer: Peer = Peer()
        self.last_used = time.monotonic()
        self._client: Client | None = None
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._owner: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._listing: dict[str, types.Tool] | None = None
        self._listed_at = 0.0
        self._list_lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self._client is not None and self._owner is not None and not self._owner.done()

    def problem(self, during: str) -> ToolFailure:
        """Why the server cannot be used, with what it said (redacted by the platform)."""
        why = self.peer.problem or (
            _describe(self._failure) if self._failure else "the session ended"
        )
        # redacted before it is cut, so no piece of a credential is left unrecognised
        tail = Redactor(self.target.secrets).text(self.peer.stderr_tail())
        if len(tail) > STDERR_SHOWN:
            tail = "…" + tail[-STDERR_SHOWN:]
        detail = f" (its stderr: {tail})" if tail else ""
        return ToolFailure(f"the MCP server {self.target.label} failed {during}: {why}{detail}")

    async def open(self) -> None:
        self._owner = asyncio.create_task(self._own(), name=f"mcp {self.target.label}")
        waiter = asyncio.create_task(self._ready.wait())
        try:
            done, _ = await asyncio.wait({waiter, self._owner},
                                         timeout=self.target.start_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if not self.alive:
            if not done:
                self.peer.problem = (f"no answer to the MCP handshake within "
                                     f"{self.target.start_timeout:g}s")
            await self.close()
            raise self.problem("to start")

    async def _own(self) -> None:
        from mcp import Client

        try:
            async with AsyncExitStack() as stack:
                # the default covers the handshake; calls and listings set their own
                client = Client(self._transport(stack), mode="legacy", cache=None,
                                read_timeout_seconds=max(self.target.timeout,
                                                         self.target.start_timeout),
                                message_handler=self._on_message)
                await stack.enter_async_context(client)
                self._client = client
                self._ready.set()
                await self._stopping.wait()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # the transport or the handshake failed
            self._failure = exc
        finally:
            self._client = None

    def _transport(self, stack: AsyncExitStack) -> Any:
        from mcp.client.streamable_http import streamable_http_client

        from .mcp_transport import bounded_http_client, bounded_stdio

        t = self.target
        if t.url is not None:
            http = bounded_http_client(dict(t.headers), t.timeout, t.max_message_bytes)
            stack.push_async_callback(http.aclose)
            return streamable_http_client(t.url, http_client=http,
                                          max_sse_event_size=t.max_message_bytes)
        assert t.command is not None
        cwd = t.cwd
        if cwd is None:  # a fresh folder, so relative paths never land in the data dir
            cwd = stack.enter_context(tempfile.TemporaryDirectory(prefix="monstrum-mcp-"))
        env = {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
        env.update(dict(t.env))
        return bounded_stdio(t.command, list(t.args), env, cwd, t.max_message_bytes, self.peer)

    async def _on_message(self, message: Any) -> None:
        method = getattr(message, "method", None) or getattr(
            getattr(message, "root", None), "method", None
        )
        if method == "notifications/tools/list_changed":
            self._listing = None

    async def tools(self, ttl: float) -> dict[str, types.Tool]:
        """The server's tools by name, re-listed when older than ``ttl`` seconds."""
        async with self._list_lock:
            if self._listing is not None and time.monotonic() - self._listed_at < ttl:
                return self._listing
            client = self._client
            if client is None:
                raise self.problem("to list its tools")
            found: dict[str, types.Tool] = {}

            async def walk() -> None:
                cursor: str | None = None
                for _ in range(MAX_LIST_PAGES):
                    page = await client.list_tools(cursor=cursor)
                    for tool in page.tools:
                        found.setdefault(tool.name, tool)
                    cursor = page.next_cursor
                    if not cursor:
                        return

            try:
                await asyncio.wait_for(walk(), self.target.timeout)
            except asyncio.TimeoutError:
                await self.close()
                raise ToolFailure(f"the MCP server {self.target.label} did not list its tools "
                                  f"within {self.target.timeout:g}s") from None
            except Exception as exc:
                await self.close()
                self._failure = self._failure or exc
                raise self.problem("to list its tools") from None
            self._listing, self._listed_at = found, time.monotonic()
            return found

    async def call(self, name: str, arguments: dict[str, Any], timeout: float) -> Any:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED

        client = self._client
        if client is None:
            raise self.problem("before the call")
        self.last_used = time.monotonic()
        try:
            return await asyncio.wait_for(
                client.call_tool(name, arguments, read_timeout_seconds=timeout), timeout
            )
        except asyncio.TimeoutError:
            await self.close()  # a server that hangs gets a fresh start on the next call
            raise ToolFailure(f"{name} on the MCP server {self.target.label} did not answer "
                              f"within {timeout:g}s; its session was closed") from None
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED or self.peer.problem or not self.alive:
                self._failure = self._failure or exc
                await self.close()  # the next call starts a fresh session
                raise self.problem(f"during {name}") from None
            raise ToolFailure(f"{name} failed on the MCP server: {_describe(exc)}") from None
        except Exception as exc:
            if not self.alive or self.peer.problem:
                await self.close()
                raise self.problem(f"during {name}") from None
            raise ToolFailure(f"{name} on the MCP server {self.target.label} failed: "
                              f"{_describe(exc)}") from None

    async def close(self) -> None:
        self._stopping.set()
        owner = self._owner
        if owner is None or owner.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(owner), 10.0)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            owner.cancel()
            with contextlib.suppress(BaseException):
                await owner
        except BaseException:
            pass


def result_data(result: Any) -> dict[str, Any]:
    """A CallToolResult as JSON: its content blocks and any structured content."""
    import mcp_types as types

    blocks: list[Any] = []
    for block in result.content or []:
        if isinstance(block, types.TextContent):
            blocks.append({"type": "text", "text": block.text})
        else:
            blocks.append(block.model_dump(mode="json", by_alias=True, exclude_none=True))
    data: dict[str, Any] = {"content": blocks}
    if result.structured_content is not None:
        data["structured"] = result.structured_content
    return data


def result_text(data: dict[str, Any]) -> str:
    texts = [b.get("text", "") for b in data.get("content", []) if b.get("type") == "text"]
    return "\n".join(t for t in texts if t) or "the MCP tool reported an error"


class McpExecutor:
    """Tools of MCP servers: one session per resource, checked against the manifest."""

    kind: ClassVar[str] = "mcp"
    actions: ClassVar[Mapping[str, ActionSpec]] = ACTIONS["mcp"]

    def __init__(self) -> None:
        self._sessions: dict[str, McpSession] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._reaper: asyncio.Task[None] | None = None

    def config_problems(self, config: Mapping[str, Any], private: PrivateZone) -> list[str]:
        return []

    async def _session(self, resource_id: str, target: McpTarget) -> McpSession:
        lock = self._opening.setdefault(resource_id, asyncio.Lock())
        async with lock:
            current = self._sessions.get(resource_id)
            if current is not None and current.alive and (
                current.target.fingerprint() == target.fingerprint()
            ):
                current.last_used = time.monotonic()
                return current
            if current is not None:  # gone, or the resource's values changed
                self._sessions.pop(resource_id, None)
                await current.close()
            await self._make_room()
            session = McpSession(target)
            await session.open()
            self._sessions[resource_id] = session
            return session

    async def _make_room(self) -> None:
        while len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions, key=lambda rid: self._sessions[rid].last_used)
            await self._sessions.pop(oldest).close()

    async def run(self, call: ExecutorCall) -> Any:
        spec = call.manifest.mcp
        tool = call.tool.mcp
        if spec is None or tool is None:
            raise ToolFailure(f"tool {call.tool.name} declares executor: mcp, but its manifest "
                              "names no MCP server")
        target = render_target(spec, call.config, call.credentials)
        call.derived_secrets.extend(target.secrets)
        target = _with_timeout(target, min(float(spec.timeout_s), call.timeout))
        session = await self._session(call.resource_id, target)
        upstream_name = tool.tool or call.tool.name
        listing = await session.tools(float(spec.listing_ttl_s))
        upstream = listing.get(upstream_name)
        where = f"{call.manifest.name} {call.manifest.version}"
        if upstream is None:
            raise call.refuse(
                f"re-review needed: the MCP server {target.label} no longer lists the tool "
                f"{upstream_name} that {where} was made from; calls are refused until the "
                "manifest is updated", check=RE_REVIEW,
            )
        digest = schema_digest(ListedTool.of(upstream))
        if digest != tool.schema_digest:
            raise call.refuse(
                f"re-review needed: the MCP server changed the tool {upstream_name} since "
                f"{where} was made (its input schema or safety hints now digest to "
                f"{digest[:12]}, the manifest pinned {tool.schema_digest[:12]}); calls are "
                "refused until the manifest is re-imported (monstrum integrations import-mcp), "
                "reviewed and uploaded as a new version", check=RE_REVIEW,
            )
        result = await session.call(upstream_name, call.params, target.timeout)
        data = result_data(result)
        if result.is_error:
            raise ToolFailure(f"{call.tool.name} failed on the MCP server: {result_text(data)}",
                              data)
        return data

    async def list_tools(
        self, spec: McpServerSpec, config: Mapping[str, Any], credentials: Mapping[str, Any]
    ) -> tuple[list[ListedTool], list[str]]:
        """What a server lists, through a session of its own (closed afterwards), and the
        rendered credential values (for redacting the errors)."""
        target = render_target(spec, config, credentials)
        session = McpSession(target)
        try:
            await session.open()
            listing = await session.tools(0.0)
        finally:
            await session.close()
        return [ListedTool.of(t) for t in listing.values()], list(target.secrets)

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(min(IDLE_S / 4, 30.0))
            now = time.monotonic()
            for rid, session in list(self._sessions.items()):
                if not session.alive or now - session.last_used > IDLE_S:
                    self._sessions.pop(rid, None)
                    await session.close()

    async def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap(), name="mcp session reaper")

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(BaseException):
                await self._reaper
            self._reaper = None
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


def _with_timeout(target: McpTarget, timeout: float) -> McpTarget:
    return replace(target, timeout=max(0.1, timeout))
