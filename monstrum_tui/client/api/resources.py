"""``client.resources``: configured instances of integrations, with their tools."""

from __future__ import annotations

from typing import Any

from ..models import Resource, ResourceCreate, ResourceUpdate
from ..namespace import Namespace
from ..pagination import AsyncPager


class Resources(Namespace):
    def list(
        self, *, type: str | None = None, q: str | None = None, limit: int | None = None
    ) -> AsyncPager[Resource]:
        """Every resource (of one ``type`` if given; ``q``: text in the name or id), by id."""
        return AsyncPager(
            self._fetch("/v1/resources"), Resource, {"type": type, "q": q}, limit=limit
        )

    async def get(self, resource_id: str) -> Resource:
        """One resource with its tools (and the scope dimensions of each) and bound bots."""
        data = await self._transport.request("GET", f"/v1/resources/{resource_id}")
        return Resource.model_validate(data)

    async def create(
        self,
        *,
        type: str,
        name: str,
        config: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> Resource:
        """Create a resource; ``credentials`` are stored encrypted and never shown again."""
        body = ResourceCreate(
            type=type, name=name, id=id, config=config or {}, credentials=credentials or {}
        ).model_dump(mode="json", exclude_none=True)
        return Resource.model_validate(
            await self._transport.request("POST", "/v1/resources", json=body)
        )

    async def update(self, resource_id: str, **changes: Any) -> Resource:
        """Change ``name``, or merge into ``config`` / ``credentials`` (a None value removes)."""
        body = ResourceUpdate.model_validate(changes).model_dump(mode="json", exclude_unset=True)
        data = await self._transport.request("PATCH", f"/v1/resources/{resource_id}", json=body)
        return Resource.model_validate(data)

    async def delete(self, resource_id: str) -> None:
        """Delete a resource (refused with a ConflictError while bots are bound to it)."""
        await self._transport.request("DELETE", f"/v1/resources/{resource_id}")
