"""``POST /v1/bots/{id}/authorize``: the decision on a tool call, without running it."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ...client.models import AuthorizeRequest, Decision
from ..auth import Principal
from ..governance import decide
from ..platform import Platform
from .deps import PlatformDep, require
from .errors import NotFound

router = APIRouter(prefix="/v1/bots", tags=["bots"])
Reader = Annotated[Principal, Depends(require("bots:read"))]


def _offered(platform: Platform, resource_ids: list[str]) -> dict[str, list[Any]]:
    catalog = getattr(platform, "catalog", None)
    offered: dict[str, list[Any]] = {}
    for resource_id in resource_ids:
        try:
            offered[resource_id] = list(catalog.tools_of(resource_id)) if catalog else []
        except Exception:  # a resource that is gone offers nothing
            offered[resource_id] = []
    return offered


@router.post("/{bot_id}/authorize", response_model=Decision)
async def authorize(
    bot_id: str, body: AuthorizeRequest, platform: PlatformDep, _: Reader
) -> Decision:
    """Decide ``{tool, params}`` for this bot as a task would (a dry run: nothing runs)."""
    bot = await asyncio.to_thread(platform.store.bots.get, bot_id)
    if bot is None:
        raise NotFound(f"no bot {bot_id}")
    ids = [b.resource_id for b in bot.resource_bindings]
    offered = await asyncio.to_thread(_offered, platform, ids)
    return decide(bot, offered, body.tool, body.params)
