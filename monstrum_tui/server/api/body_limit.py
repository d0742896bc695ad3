"""Refuse request bodies larger than the API ever needs, before they are read into memory.

The largest legitimate body is a manifest (512 KiB) or a task input (200,000
characters); anything over ``MAX_BODY_BYTES`` is a 413 at once when its
``Content-Length`` says so, or as soon as a chunked body passes the limit.
"""

from __future__ import annotations

import json
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the largest request body accepted, in bytes
MAX_BODY_BYTES = 1024 * 1024
#: how much of a refused body is read and thrown away, so the client (which sends it
#: all before reading the answer) gets the 413 instead of a reset connection
DRAIN_BYTES = 16 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


def _too_large_body(request_id: str | None) -> bytes:
    return json.dumps({"error": {
        "type": "invalid_request",
        "message": f"the request body is larger than {MAX_BODY_BYTES // 1024} KiB",
        "request_id": request_id,
    }}).encode("utf-8")


class BodyLimitMiddleware:
    """Pure ASGI, so streaming responses are untouched."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def _drain(self, receive: Receive) -> None:
        drained = 0
        while drained <= DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id") or "req_" + secrets.token_hex(12)
        body = _too_large_body(request_id)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"x-request-id", request_id.encode("ascii")),
            (b"x-should-retry", b"false"),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._drain(receive)
                    await self._refuse(scope, send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._drain(receive)
                await self._refuse(scope, send)
