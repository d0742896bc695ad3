"""Helpers for attacking the real server: keys, scripted tasks, and reading everything back.

Everything goes over HTTP to a ``monstrum serve`` child process (``tests/serverproc.py``);
what a test searches for canaries is what a user could see: the event stream, the task,
the audit log through the API, and the server's own log.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.serverproc import ServerProcess


@dataclass
class Api:
    """One key on one server."""

    server: ServerProcess
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return httpx.request(method, self.server.url + path, headers=headers, timeout=60, **kw)

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        r = self.request(method, path, **kw)
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def key_with(self, *scopes: str, name: str = "low") -> Api:
        created = self.ok("POST", "/v1/api-keys", json={"name": name, "scopes": list(scopes)})
        return Api(self.server, created["secret"])

    def bot(self, name: str) -> dict[str, Any]:
        bots = self.ok("GET", "/v1/bots", params={"limit": 500})["data"]
        return next(b for b in bots if b["name"] == name)

    def run(self, bot_id: str, lines: list[str] | str) -> tuple[dict[str, Any], str]:
        """Start a task, follow its event stream to the end; the task and the stream text.

        The stream must end with the task's terminal event (``complete``, or the ``error``
        that fails the task): one that dies (a 500, a cut connection) fails here.
        """
        text = lines if isinstance(lines, str) else "\n".join(lines)
        task = self.ok("POST", "/v1/tasks", json={"bot_id": bot_id, "input": text})
        with httpx.stream("GET", f"{self.server.url}/v1/tasks/{task['id']}/events",
                          headers=self.headers, timeout=120) as stream:
            assert stream.status_code == 200, stream.read()
            body = "".join(stream.iter_text())
        # SSE lines end at CR, LF or CRLF only (str.splitlines would also cut at U+0085...)
        lines = re.split("\r\n|\r|\n", body)
        events = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
        assert events and events[-1].get("status") in ("completed", "failed", "cancelled"), (
            body[-2000:])
        return self.ok("GET", f"/v1/tasks/{task['id']}"), body

    def audit(self, **params: Any) -> list[dict[str, Any]]:
        """Every audit entry (newest first), paging through them all."""
        entries: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.ok("GET", "/v1/audit", params={"limit": 500, **params,
                                                        **({"cursor": cursor} if cursor else {})})
            entries += page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return entries


_FIRST_KEY_BANNER = re.compile(r"Created the admin API key \(saved to [^)]*\):\s*mst_\S+")


def server_log(server: ServerProcess) -> str:
    """The server's log, less the one place the admin key belongs: the banner ``serve``
    prints on the first start, to the operator who started it."""
    return _FIRST_KEY_BANNER.sub("(first-start banner)", server.log())


def call_line(tool: str, params: Any) -> str:
    """A scripted ``call`` line; ``json.dumps`` writes lone surrogates as ``\\udXXX``."""
    return f"call {tool} {json.dumps(params)}"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monstrum_tui.cli", *args],
                          capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)


def verify_offline(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``monstrum audit verify --data-dir``: the whole chain, with the audit key."""
    return cli("audit", "verify", "--data-dir", str(data_dir))
