"""``client.resources``: configured instances of integrations, with their tools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import NotFoundError
from ..models import Resource
from ..names import UnknownName, pick_named
from ..namespace import Namespace, check_id, id_segment, jsonable
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
        data = await self._transport.request(
            "GET", f"/v1/resources/{id_segment('resource_id', resource_id)}"
        )
        return Resource.model_validate(data)

    async def resolve(self, ref: str, *, partial: bool = False) -> Resource:
        """The resource ``ref`` names: its id, or its name (``monstrum_tui.client.names``).

        Raises ``UnknownName`` (a ``NotFoundError``) or ``AmbiguousName``; ``partial`` also
        takes a unique piece of a name or id (lookups only).
        """
        missed: NotFoundError | None = None
        if ref.startswith("res_"):
            try:
                return await self.get(ref)
            except NotFoundError as exc:
                missed = exc
        candidates = {r.id: r async for r in self.list(q=ref.strip())}
        try:
            resource_id = pick_named(ref, ((r.id, r.name) for r in candidates.values()),
                                     kind="resource", partial=partial)
        except UnknownName:
            if missed is not None:
                raise missed from None
            raise
        return candidates[resource_id]

    async def create(
        self,
        *,
        type: str,
        name: str,
        config: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        id: str | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Resource:
        """Create a resource; ``credentials`` are stored encrypted and never shown again."""
        # the server validates, so a bad value comes back as a typed 422 naming the field
        body: dict[str, Any] = {
            "type": type,
            "name": name,
            "config": jsonable(config or {}),
            "credentials": jsonable(credentials or {}),
        }
        if id is not None:
            body["id"] = check_id("id", id)
        data = await self._transport.request(
            "POST", "/v1/resources", json=body, headers=extra_headers,
            idempotency_key=idempotency_key,
        )
        return Resource.model_validate(data)

    async def update(self, resource_id: str, **changes: Any) -> Resource:
        """Change ``name``, or merge into ``config`` / ``credentials`` (a None value removes)."""
        data = await self._transport.request(
            "PATCH", f"/v1/resources/{id_segment('resource_id', resource_id)}",
            json=jsonable(changes),
        )
        return Resource.model_validate(data)

    async def delete(
        self,
        resource_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete a resource (refused with a ConflictError while bots are bound to it)."""
        await self._transport.request(
            "DELETE", f"/v1/resources/{id_segment('resource_id', resource_id)}",
            headers=extra_headers, idempotency_key=idempotency_key,
        )
