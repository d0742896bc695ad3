"""What a bot may do, asked without running anything: the verdict on one call
(``POST /v1/bots/{id}/authorize``) and on each tool it is bound to (``GET .../tools``)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends

from ...client.models import AuthorizeRequest, Bot, BotTools, Decision
from ..auth import Principal
from ..governance import decide, tool_access
from ..platform import Platform
from .deps import PlatformDep, require
from .errors import NotFound

router = APIRouter(prefix="/v1/bots", tags=["bots"])
Reader = Annotated[Principal, Depends(require("bots:read"))]


async def _bot_or_404(platform: Platform, bot_id: str) -> Bot:
    bot = await asyncio.to_thread(platform.store.bots.get, bot_id)
    if bot is None:
        raise NotFound(f"no bot {bot_id}")
    return bot


@router.post("/{bot_id}/authorize", response_model=Decision)
async def authorize(
    bot_id: str, body: AuthorizeRequest, platform: PlatformDep, _: Reader
) -> Decision:
    """Decide ``{tool, params}`` for this bot as a task would (a dry run: nothing runs)."""
    bot = await _bot_or_404(platform, bot_id)
    ids = [b.resource_id for b in bot.resource_bindings]
    offered = await asyncio.to_thread(platform.catalog.offered, ids)
    # off the event loop: hostile params may take long to check, and must not stall others
    return await asyncio.to_thread(decide, bot, offered, body.tool, body.params)


@router.get("/{bot_id}/tools", response_model=BotTools)
async def bot_tools(bot_id: str, platform: PlatformDep, _: Reader) -> BotTools:
    """Every tool of the bot's bound resources: whether it may call it, by which name, and
    under which scope constraints (or why not)."""
    bot = await _bot_or_404(platform, bot_id)
    ids = [b.resource_id for b in bot.resource_bindings]
    offered = await asyncio.to_thread(platform.catalog.offered, ids)
    return BotTools(data=tool_access(bot, offered))
