"""A tiny HTTP/1.1 server that misbehaves on cue: a stand-in for a flaky upstream or proxy.

It is not a model of the Monstrum server: it answers whatever a test scripts for a
path (statuses, headers, dropped connections, stalls) and records every attempt, so
tests can count what the client's retry logic did.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

DROP = "drop"  # close the connection without answering
STALL = "stall"  # read the request, then say nothing for a long time


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Attempt:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


_REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    408: "Request Timeout", 409: "Conflict", 422: "Unprocessable Entity",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


class MisbehavingPeer:
    """Serves scripted replies on 127.0.0.1 from a background thread."""

    def __init__(self) -> None:
        self._scripts: dict[str, list[Reply | str]] = {}
        self.attempts: dict[str, list[Attempt]] = defaultdict(list)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, path: str, *replies: Reply | str) -> None:
        """Answer ``path`` with these replies in turn; the last one repeats."""
        self._scripts[path] = list(replies)
        self.attempts.pop(path, None)

    def count(self, path: str) -> int:
        return len(self.attempts.get(path, []))

    def start(self) -> MisbehavingPeer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        path = target.split("?", 1)[0]
        attempts = self.attempts[path]
        attempts.append(Attempt(method, path, headers, body))
        script = self._scripts.get(path) or [Reply(404, {"error": {"type": "not_found"}})]
        action = script[min(len(attempts), len(script)) - 1]
        if action == DROP:
            writer.transport.abort()
            return
        if action == STALL:
            await asyncio.sleep(10)
            writer.close()
            return
        assert isinstance(action, Reply)
        payload = (
            action.body if isinstance(action.body, bytes) else json.dumps(action.body).encode()
        )
        all_headers = {
            "Content-Type": "application/json",
            "X-Request-Id": f"req_peer_{len(attempts)}",
            **action.headers,
            "Content-Length": str(len(payload)),
            "Connection": "close",
        }
        reason = _REASONS.get(action.status, "Whatever")
        out = f"HTTP/1.1 {action.status} {reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in all_headers.items()
        )
        writer.write(out.encode("latin-1") + b"\r\n" + payload)
        try:
            await writer.drain()
        finally:
            writer.close()
