"""A small MCP server (stdio or Streamable HTTP) that works offline: the demo's notes, and
the misbehaviours the tests put the platform's MCP executor through.

    python -m monstrum_tui.mcp_testserver stdio
    python -m monstrum_tui.mcp_testserver http --port 8765      # serves /mcp

It keeps notes in memory. The token it was given (``NOTES_TOKEN`` in its environment
on stdio, ``Authorization: Bearer ...`` over HTTP) is what ``echo_token`` and
``fail_with_token`` hand back, so tests can check that the platform redacts it.
``NOTES_SCHEMA_FILE`` names a JSON file whose object, when present, replaces the input
schema ``read_note`` is listed with (a server whose schema changed since upload).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextvars
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the SDK is imported when serving: seeding the demo only reads TOOLS
    import mcp_types as types
    from mcp.server import Server
    from mcp.server.context import ServerRequestContext

DEMO_NOTES: dict[str, str] = {
    "release-2.4.1": "Fix basket totals for JPY; new sku index on the catalogue.",
    "oncall-handover": "Checkout latency alert is muted until Friday; see the incident note.",
    "ideas/search": "Try typo-tolerant search on product names.",
}

_READ_ONLY = {"read_only_hint": True}
_WRITES = {"read_only_hint": False, "destructive_hint": False}
_DESTROYS = {"read_only_hint": False, "destructive_hint": True}

#: the token of the HTTP request being served (stdio servers read NOTES_TOKEN)
_request_token: contextvars.ContextVar[str] = contextvars.ContextVar("token", default="")


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


TITLE = {"type": "string", "description": "the note's title, e.g. release-2.4.1"}


def tool_specs() -> list[dict[str, Any]]:
    """The tools this server lists, as plain data (``read_note``'s schema may be replaced,
    see above): name, description, input_schema, annotations."""
    read_schema = _schema({"title": TITLE}, ["title"])
    override = os.environ.get("NOTES_SCHEMA_FILE")
    if override and Path(override).is_file():
        read_schema = json.loads(Path(override).read_text(encoding="utf-8"))

    def tool(name: str, description: str, schema: dict[str, Any],
             hints: dict[str, bool]) -> dict[str, Any]:
        return {"name": name, "description": description, "input_schema": schema,
                "annotations": hints}

    return [
        tool("list_notes", "List the titles of the notes, optionally those under a prefix",
             _schema({"prefix": {"type": "string", "default": ""}}, []), _READ_ONLY),
        tool("read_note", "Read one note", read_schema, _READ_ONLY),
        tool("add_note", "Add or replace a note", _schema(
            {"title": TITLE, "text": {"type": "string", "maxLength": 4000}}, ["title", "text"]),
             _WRITES),
        tool("delete_note", "Delete a note", _schema({"title": TITLE}, ["title"]), _DESTROYS),
        tool("echo_token", "Return the token this server was given (a server that leaks "
             "credentials)", _schema({}, []), _READ_ONLY),
        tool("fail_with_token", "Fail with the token in the error", _schema({}, []),
             _READ_ONLY),
        tool("huge", "Return a text of `size` characters",
             _schema({"size": {"type": "integer", "minimum": 0}}, ["size"]), _READ_ONLY),
        tool("hang", "Never answer", _schema({}, []), _READ_ONLY),
    ]


def tool_definitions() -> list[types.Tool]:
    """The tools as the SDK's ``Tool`` models (what ``tools/list`` answers)."""
    import mcp_types as types

    return [
        types.Tool(name=t["name"], description=t["description"], input_schema=t["input_schema"],
                   annotations=types.ToolAnnotations(**t["annotations"]))
        for t in tool_specs()
    ]


def _token() -> str:
    return _request_token.get() or os.environ.get("NOTES_TOKEN", "")


def _text(text: str, *, error: bool = False, structured: Any = None) -> types.CallToolResult:
    import mcp_types as types

    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], is_error=error,
        structured_content=structured,
    )


class NotesServer:
    """The notes and the tool handlers."""

    def __init__(self) -> None:
        self.notes = dict(DEMO_NOTES)

    async def list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        import mcp_types as types

        return types.ListToolsResult(tools=tool_definitions())

    async def call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        _bind_request_token(ctx)
        args = params.arguments or {}
        name = params.name
        if name == "list_notes":
            prefix = str(args.get("prefix") or "")
            titles = sorted(t for t in self.notes if t.startswith(prefix))
            return _text("\n".join(titles), structured={"titles": titles})
        if name == "read_note":
            title = str(args.get("title", ""))
            if title not in self.notes:
                return _text(f"no note {title!r}", error=True)
            return _text(self.notes[title], structured={"title": title,
                                                        "text": self.notes[title]})
        if name == "add_note":
            self.notes[str(args["title"])] = str(args.get("text", ""))
            return _text(f"saved {args['title']}")
        if name == "delete_note":
            existed = self.notes.pop(str(args.get("title", "")), None) is not None
            return _text("deleted" if existed else "no such note", error=not existed)
        token = _token()
        if name == "echo_token":
            encoded = base64.b64encode(token.encode()).decode()
            return _text(f"my token is {token}", structured={"token": token, "b64": encoded})
        if name == "fail_with_token":
            return _text(f"upstream rejected token {token} (base64 "
                         f"{base64.b64encode(token.encode()).decode()})", error=True)
        if name == "huge":
            return _text("x" * int(args.get("size", 0)))
        if name == "hang":
            await asyncio.sleep(3600)
        return _text(f"unknown tool {name}", error=True)


def _bind_request_token(ctx: ServerRequestContext[Any]) -> None:
    request = ctx.request
    headers = getattr(request, "headers", None)
    if headers is None:
        return
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer":
        _request_token.set(token.strip())


def build_server() -> Server[Any]:
    from mcp.server import Server

    notes = NotesServer()
    return Server(
        "monstrum-notes", version="1.0.0",
        on_list_tools=notes.list_tools, on_call_tool=notes.call_tool,
    )


async def serve_stdio() -> None:
    from mcp.server.stdio import stdio_server

    server = build_server()
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def serve_http(host: str, port: int) -> None:
    import uvicorn

    app = build_server().streamable_http_app(stateless_http=True, json_response=True,
                                             host=host)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m monstrum_tui.mcp_testserver",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="transport", required=True)
    sub.add_parser("stdio", help="serve over stdin/stdout")
    http = sub.add_parser("http", help="serve Streamable HTTP at /mcp")
    http.add_argument("--host", default="127.0.0.1")
    http.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    if args.transport == "stdio":
        asyncio.run(serve_stdio())
    else:
        serve_http(args.host, args.port)


if __name__ == "__main__":
    main()
