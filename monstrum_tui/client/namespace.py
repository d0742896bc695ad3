"""Base of the API namespaces (``client.bots``, ``client.tasks``...)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .transport import Transport


def jsonable(value: Any) -> Any:
    """A request body part as plain JSON: wire models dumped, containers walked."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


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
