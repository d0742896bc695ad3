"""Base of the API namespaces (``client.bots``, ``client.tasks``...)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

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


def check_id(name: str, value: object) -> str:
    """``value`` if it can name an object; else a ``ValueError`` (``TypeError``) naming ``name``.

    Checked before any request: an empty id would otherwise go out as ``/v1/bots/``, a
    different call altogether.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string id, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty id, got {value!r}")
    if value in (".", ".."):
        raise ValueError(f"{name} must be an id, not the path segment {value!r}")
    return value


def optional_id(name: str, value: object) -> str | None:
    """An id filter: None (no filter) or a valid id."""
    return None if value is None else check_id(name, value)


def id_segment(name: str, value: object) -> str:
    """A checked id as one URL path segment (``/`` and the rest percent-encoded)."""
    return quote(check_id(name, value), safe="")


class Namespace:
    """A group of calls on one kind of object; holds the shared transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _fetch(self, path: str) -> Callable[[dict[str, Any]], Awaitable[Any]]:
        async def fetch(params: dict[str, Any]) -> Any:
            return await self._transport.request("GET", path, params=params)

        return fetch

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
