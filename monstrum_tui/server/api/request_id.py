"""Give every request an id and put it on every response as ``X-Request-Id``."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestIdMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware) so streaming responses are untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + secrets.token_hex(12)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_id)
