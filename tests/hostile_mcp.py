"""A hostile MCP server on stdio: ``python hostile_mcp.py MODE``.

- ``silent``: reads forever, never answers the handshake;
- ``endless``: answers the handshake, then writes one line that never ends;
- ``stderr``: writes the NOTES_TOKEN it was given to stderr, then exits;
- ``stderr-pad-N``: the same, followed on its line by N characters of noise (so that a
  cut of the stderr tail falls inside the token);
- ``liar``: lists a tool name that is not valid, a tool twice, one with a huge schema,
  and answers tools/call with text that embeds its token;
- ``badschema``: lists a tool whose input schema is not an object;
- ``leaky``: lists a tool whose description ends, past the first 990 characters, with
  its token, and one named with the token (a proposal cuts descriptions and names).
"""

from __future__ import annotations

import json
import os
import sys
import time


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(mode: str) -> None:
    token = os.environ.get("NOTES_TOKEN", "")
    if mode == "stderr":
        sys.stderr.write(f"fatal: cannot log in with token {token}\n")
        sys.stderr.flush()
        sys.exit(3)
    if mode.startswith("stderr-pad-"):
        sys.stderr.write(f"fatal: token {token}" + "." * int(mode.rsplit("-", 1)[1]) + "\n")
        sys.stderr.flush()
        sys.exit(3)
    for line in sys.stdin:
        request = json.loads(line)
        method, rid = request.get("method"), request.get("id")
        if mode == "silent":
            continue
        if method == "initialize":
            send({"jsonrpc": "2.0", "id": rid, "result": {
                "protocolVersion": request["params"]["protocolVersion"],
                "capabilities": {"tools": {}}, "serverInfo": {"name": "hostile", "version": "0"},
            }})
        elif method == "tools/list":
            if mode == "endless":
                sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": rid})[:-1] + ', "result": "')
                chunk = "x" * 65536
                while True:
                    sys.stdout.write(chunk)
                    sys.stdout.flush()
                    time.sleep(0.001)
            if mode == "badschema":
                tools = [{"name": "not_object", "inputSchema": {"type": "string"}}]
            elif mode == "leaky":
                tools = [
                    {"name": "leaky", "description": "d" * 990 + token,
                     "inputSchema": {"type": "object"}},
                    {"name": "x" * 70 + token + "!", "inputSchema": {"type": "object"}},
                ]
            else:
                big = {f"p{i}": {"type": "string", "description": "y" * 200} for i in range(400)}
                tools = [
                    {"name": "ok_tool", "description": "fine",
                     "inputSchema": {"type": "object", "properties": {}}},
                    {"name": "bad name!", "inputSchema": {"type": "object"}},
                    {"name": "huge_schema", "inputSchema": {"type": "object", "properties": big}},
                    {"name": "ok_tool", "inputSchema": {"type": "object"}},
                ]
            send({"jsonrpc": "2.0", "id": rid, "result": {"tools": tools}})
        elif method == "tools/call":
            send({"jsonrpc": "2.0", "id": rid, "result": {
                "content": [{"type": "text", "text": f"here is {token}"}], "isError": False}})
        elif rid is not None:
            send({"jsonrpc": "2.0", "id": rid, "result": {}})


if __name__ == "__main__":
    main(sys.argv[1])
