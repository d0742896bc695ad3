"""MCP servers for the tests: the shipped notes server over stdio and HTTP, and a hostile
one that misbehaves below the protocol (endless lines, no handshake, stderr with secrets)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.serverproc import free_port

PYTHON = sys.executable
NOTES_STDIO = {"command": PYTHON, "args": ["-m", "monstrum_tui.mcp_testserver", "stdio"]}
HOSTILE = str(Path(__file__).with_name("hostile_mcp.py"))


def hostile_stdio(mode: str) -> dict[str, object]:
    return {"command": PYTHON, "args": [HOSTILE, mode]}


@dataclass
class NotesHttpServer:
    """The notes server over Streamable HTTP in a child process (``url`` ends in /mcp)."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self, timeout: float = 60.0) -> NotesHttpServer:
        self.process = subprocess.Popen(
            [PYTHON, "-m", "monstrum_tui.mcp_testserver", "http", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:  # a GET would open the server's event stream; a ping answers at once
                httpx.post(self.url, json={"jsonrpc": "2.0", "id": 0, "method": "ping"},
                           headers={"Accept": "application/json, text/event-stream"},
                           timeout=2.0)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the MCP HTTP test server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None
