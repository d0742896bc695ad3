"""``client.bots``: list, get, create, update, delete governed bots."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from ..errors import NotFoundError
from ..models import Bot, BotTools, BotToolsPreview, Decision, ResourceBinding, ToolAccess
from ..names import UnknownName, pick_named
from ..namespace import Namespace, id_segment, jsonable
from ..pagination import AsyncPager


class Bots(Namespace):
    def list(
        self,
        *,
        limit: int | None = None,
        q: str | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPager[Bot]:
        """Every bot (``limit`` caps how many), oldest first, fetched ``page_size`` at a time."""
        return AsyncPager(
            self._fetch("/v1/bots"), Bot, {"q": q}, limit=limit, page_size=page_size,
            cursor=cursor,
        )

    async def get(self, bot_id: str) -> Bot:
        path = f"/v1/bots/{id_segment('bot_id', bot_id)}"
        return Bot.model_validate(await self._transport.request("GET", path))

    async def resolve(self, ref: str, *, partial: bool = False) -> Bot:
        """The bot ``ref`` names: its id, or its name (see ``monstrum_tui.client.names``).

        Raises ``UnknownName`` (a ``NotFoundError``) or ``AmbiguousName``. ``partial`` also
        takes a unique piece of a name: for lookups, never for changes.
        """
        missed: NotFoundError | None = None
        if ref.startswith("bot_"):
            try:
                return await self.get(ref)
            except NotFoundError as exc:
                missed = exc  # maybe a bot is named like an id: look names up too
        candidates = {bot.id: bot async for bot in self.list(q=ref.strip(), page_size=100)}
        try:
            bot_id = pick_named(ref, ((b.id, b.name) for b in candidates.values()),
                                kind="bot", partial=partial)
        except UnknownName:
            if missed is not None:
                raise missed from None  # the server's own 404, with its request id
            raise
        return candidates[bot_id]

    async def create(
        self,
        *,
        name: str,
        description: str = "",
        model: str = "scripted",
        status: str = "active",
        allowed_operations: builtins.list[str] | None = None,
        resource_bindings: builtins.list[ResourceBinding | dict[str, Any]] | None = None,
        enforce: str = "enforce",
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Bot:
        """Create a bot. A retried create makes one bot (``idempotency_key``: your own key)."""
        # the server validates (a 422 names each bad field, which the dashboard shows next
        # to the field); checking here too would raise a different, untyped error
        body = {
            "name": name,
            "description": description,
            "model": model,
            "status": status,
            "allowed_operations": allowed_operations or [],
            "resource_bindings": jsonable(resource_bindings or []),
            "enforce": enforce,
        }
        data = await self._transport.request(
            "POST", "/v1/bots", json=body, headers=extra_headers,
            idempotency_key=idempotency_key,
        )
        return Bot.model_validate(data)

    async def update(self, bot_id: str, **changes: Any) -> Bot:
        """Change the named fields only (``allowed_operations=[...]``, ``status="paused"``...)."""
        data = await self._transport.request(
            "PATCH", f"/v1/bots/{id_segment('bot_id', bot_id)}", json=jsonable(changes)
        )
        return Bot.model_validate(data)

    async def delete(
        self,
        bot_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        await self._transport.request(
            "DELETE", f"/v1/bots/{id_segment('bot_id', bot_id)}", headers=extra_headers,
            idempotency_key=idempotency_key,
        )

    async def authorize(
        self, bot_id: str, *, tool: str, params: dict[str, Any] | None = None
    ) -> Decision:
        """The platform's decision on a tool call by this bot, without running it."""
        data = await self._transport.request(
            "POST", f"/v1/bots/{id_segment('bot_id', bot_id)}/authorize",
            json={"tool": tool, "params": params or {}},
        )
        return Decision.model_validate(data)

    async def tools(self, bot_id: str) -> builtins.list[ToolAccess]:
        """Every tool of the bot's bound resources, with the server's verdict on each."""
        data = await self._transport.request(
            "GET", f"/v1/bots/{id_segment('bot_id', bot_id)}/tools"
        )
        return BotTools.model_validate(data).data

    async def preview_tools(
        self,
        *,
        resource_bindings: builtins.list[ResourceBinding | dict[str, Any]],
        allowed_operations: builtins.list[str] | None = None,
        status: str = "active",
        enforce: str = "enforce",
        bot_id: str | None = None,
        name: str = "",
    ) -> BotToolsPreview:
        """What a bot with these settings would be allowed to call, before it is saved
        (nothing is stored), and what a save of them would be refused for."""
        body: dict[str, Any] = {
            "resource_bindings": jsonable(resource_bindings),
            "allowed_operations": allowed_operations or [],
            "status": status,
            "enforce": enforce,
            "name": name,
        }
        if bot_id is not None:
            body["bot_id"] = bot_id
        data = await self._transport.request("POST", "/v1/bot-drafts/tools", json=body)
        return BotToolsPreview.model_validate(data)
