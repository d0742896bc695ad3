"""``/v1/bots/{bot_id}/mcp``: a bot's governed tools, served to any MCP client.

Streamable HTTP (the official SDK's server, stateless, JSON answers), behind the same
API keys as the REST API: ``Authorization: Bearer mst_...`` with the ``mcp:call`` scope
(every bot) or ``mcp:call:BOT_ID`` (that bot only), rate-limited per key like every
route. ``tools/list`` is exactly what ``governance.callable_tools`` says the bot may
call, by the names it calls them by; ``tools/call`` goes through ``platform.calls`` as a
task's call does (decision, approval, executor, audit), with the client's key recorded
as the caller. A denial is an ``isError`` result whose structured content is the
decision; an approval-gated call holds the request until a person decides.

The SDK is imported, and its session manager started, at the first request: a platform
nobody reaches over MCP does not pay for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ...client.models import mcp_bot_scope
from ..auth import Principal
from ..calls import AuditUnavailable, Caller, ToolOutcome
from ..governance import callable_tools
from .deps import principal_for
from .errors import ApiError, NotFound, PermissionDenied, RateLimited, error_response

if TYPE_CHECKING:
    from ..platform import Platform

log = logging.getLogger("monstrum.api.mcp")

PATH = "/v1/bots/{bot_id}/mcp"
#: where the route puts who is calling, for the MCP handlers (which see the request)
SCOPE_KEY = "monstrum.mcp_caller"
#: the largest MCP request body read
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class McpCaller:
    bot_id: str
    principal: Principal


def _caller(ctx: Any) -> McpCaller:
    request = getattr(ctx, "request", None)
    caller = request.scope.get(SCOPE_KEY) if request is not None else None
    if not isinstance(caller, McpCaller):  # only reachable through the route below
        raise RuntimeError("MCP request without an authenticated caller")
    return caller


def _result(outcome: ToolOutcome) -> Any:
    import mcp_types as types

    if outcome.status == "ok":
        data = outcome.data
        structured = data if isinstance(data, dict) else {"result": data}
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(data, ensure_ascii=False,
                                                                    default=str))],
            structured_content=structured,
        )
    if outcome.status == "denied":
        assert outcome.decision is not None
        body = {"denied": True, "check": outcome.decision.check,
                "reason": outcome.decision.message, "audit_id": outcome.audit_id,
                "decision": outcome.decision.model_dump(mode="json", exclude_none=True)}
    else:
        body = {"denied": False, "error": outcome.error, "audit_id": outcome.audit_id}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=outcome.for_model())],
        structured_content=body, is_error=True,
    )


class BotMcpEndpoint:
    """The ASGI app of the route: authenticate, then hand over to the SDK's manager."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._manager: Any = None
        self._holder: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()

    # --- the MCP server -----------------------------------------------------------

    def _server(self) -> Any:
        from mcp.server import Server

        return Server("monstrum", version="1", instructions=(
            "Tools of one Monstrum bot. Every call is decided by the platform's policy and "
            "audited; a denial comes back as an error result with the reason."),
            on_list_tools=self._list_tools, on_call_tool=self._call_tool)

    async def _list_tools(self, ctx: Any, params: Any) -> Any:
        import mcp_types as types

        caller = _caller(ctx)
        bot, offered = await self._platform.calls.policy(caller.bot_id)
        tools = []
        if bot is not None:
            for access in callable_tools(bot, offered):
                tool = access.tool
                if tool is None:
                    continue
                read_only = tool.operation.endswith((".read", ":read"))
                tools.append(types.Tool(
                    name=access.call_name, description=tool.description,
                    input_schema=tool.input_schema,
                    annotations=types.ToolAnnotations(read_only_hint=read_only or None),
                ))
        return types.ListToolsResult(tools=tools)

    async def _call_tool(self, ctx: Any, params: Any) -> Any:
        import mcp_types as types

        caller = _caller(ctx)
        who = Caller("mcp", caller.principal.key_id, caller.principal.name,
                     process=self._platform.runner.owner)
        try:
            outcome = await self._platform.calls.call(
                caller.bot_id, params.name, params.arguments or {}, caller=who,
                timeout=self._platform.settings.task_timeout_s,
            )
        except AuditUnavailable as exc:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=str(exc))], is_error=True,
                structured_content={"denied": True, "check": "audit", "reason": str(exc)},
            )
        return _result(outcome)

    async def _ensure_started(self) -> Any:
        async with self._lock:
            if self._manager is not None:
                return self._manager
            from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

            manager = StreamableHTTPSessionManager(
                app=self._server(), stateless=True, json_response=True,
                max_request_body_size=MAX_BODY_BYTES,
            )
            running = asyncio.Event()

            async def hold() -> None:
                async with manager.run():
                    running.set()
                    await self._stopping.wait()

            self._holder = asyncio.create_task(hold(), name="mcp endpoint")
            waiter = asyncio.create_task(running.wait())
            await asyncio.wait({waiter, self._holder}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if not running.is_set():
                self._holder.result()  # raises what stopped it
            self._manager = manager
            return manager

    async def stop(self) -> None:
        self._stopping.set()
        if self._holder is not None:
            try:
                await asyncio.wait_for(self._holder, 10)
            except BaseException:  # shutting down: whatever it was, it is over
                pass

    # --- the route ---------------------------------------------------------------------

    def _admit(self, request: Request, bot_id: str) -> McpCaller:
        platform = self._platform
        principal = principal_for(platform, request.headers.get("authorization"))
        wait = platform.limiter.acquire(principal.key_id)
        if wait is not None:
            raise RateLimited(wait)
        if not principal.allows(mcp_bot_scope(bot_id)):
            raise PermissionDenied("mcp:call", message=(
                f"this API key may not act as bot {bot_id} over MCP: it needs the 'mcp:call' "
                f"scope or '{mcp_bot_scope(bot_id)}'"))
        if platform.store.bots.get(bot_id) is None:
            raise NotFound(f"no bot {bot_id}")
        return McpCaller(bot_id, principal)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        bot_id = str(scope.get("path_params", {}).get("bot_id", ""))
        try:
            caller = await asyncio.to_thread(self._admit, request, bot_id)
        except ApiError as exc:
            response = error_response(request, exc.status_code, exc.type, exc.message,
                                      exc.headers, **exc.extra)
            await response(scope, receive, send)
            return
        if request.method == "GET":
            # stateless: there is no server-to-client stream to open, and one held open
            # for nothing would outlive its key being revoked (the spec allows a 405)
            response = error_response(
                request, 405, "invalid_request",
                "this MCP endpoint is stateless and has no event stream: POST JSON-RPC "
                "requests to it (each answer comes back in its own response)",
                {"Allow": "POST, DELETE"},
            )
            await response(scope, receive, send)
            return
        manager = await self._ensure_started()
        await manager.handle_request({**scope, SCOPE_KEY: caller}, receive, send)


def mcp_route(endpoint: BotMcpEndpoint) -> Route:
    return Route(PATH, endpoint=endpoint, methods=["GET", "POST", "DELETE"],
                 name="bot_mcp", include_in_schema=False)
