"""``client.bots``: list, get, create, update, delete governed bots."""

from __future__ import annotations

from typing import Any

from ..models import Bot, BotCreate, BotUpdate, ResourceBinding
from ..namespace import Namespace
from ..pagination import AsyncPager


class Bots(Namespace):
    def list(self, *, limit: int | None = None, q: str | None = None) -> AsyncPager[Bot]:
        """Every bot (``limit`` caps how many), oldest first."""
        return AsyncPager(self._fetch("/v1/bots"), Bot, {"q": q}, limit=limit)

    async def get(self, bot_id: str) -> Bot:
        return Bot.model_validate(await self._transport.request("GET", f"/v1/bots/{bot_id}"))

    async def create(
        self,
        *,
        name: str,
        description: str = "",
        model: str = "scripted",
        status: str = "active",
        allowed_operations: list[str] | None = None,
        resource_bindings: list[ResourceBinding | dict[str, Any]] | None = None,
    ) -> Bot:
        body = BotCreate.model_validate(
            {
                "name": name,
                "description": description,
                "model": model,
                "status": status,
                "allowed_operations": allowed_operations or [],
                "resource_bindings": resource_bindings or [],
            }
        )
        data = await self._transport.request(
            "POST", "/v1/bots", json=body.model_dump(mode="json")
        )
        return Bot.model_validate(data)

    async def update(self, bot_id: str, **changes: Any) -> Bot:
        """Change the named fields only (``allowed_operations=[...]``, ``status="paused"``...)."""
        body = BotUpdate.model_validate(changes).model_dump(mode="json", exclude_unset=True)
        data = await self._transport.request("PATCH", f"/v1/bots/{bot_id}", json=body)
        return Bot.model_validate(data)

    async def delete(self, bot_id: str) -> None:
        await self._transport.request("DELETE", f"/v1/bots/{bot_id}")
