"""Base of the API namespaces (``client.bots``, ``client.tasks``...)."""

from __future__ import annotations

from typing import Any

from .transport import Transport


class Namespace:
    """A group of calls on one kind of object; holds the shared transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _fetch(self, path: str) -> Any:
        async def fetch(params: dict[str, Any]) -> Any:
            return await self._transport.request("GET", path, params=params)

        return fetch

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
