"""What a bot may do, asked without running anything: the verdict on one call
(``POST /v1/bots/{id}/authorize``) and on each tool it is bound to (``GET .../tools``)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends

from ...client.models import AuthorizeRequest, Bot, BotTools, Decision
from ..auth import Principal
from ..governance import approval_needed, decide, in_shadow, runs_in_shadow, tool_access
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
    """Decide ``{tool, params}`` for this bot as a task would (a dry run: nothing runs):
    also whether the call would wait for a person, and whether shadow mode would run it."""
    bot = await _bot_or_404(platform, bot_id)
    ids = [b.resource_id for b in bot.resource_bindings]
    offered = await asyncio.to_thread(platform.catalog.offered, ids)
    decision = decide(bot, offered, body.tool, body.params)
    shadowed = runs_in_shadow(bot, offered, decision, body.params)
    if not (decision.allowed or shadowed):
        return decision
    judged = decision if decision.allowed else decision.model_copy(update={"allowed": True})
    need = approval_needed(bot, offered, judged, body.params)
    return decision.model_copy(update={
        "approval_required": need.reason if need else None,
        "enforce": "log_only" if shadowed or in_shadow(bot, decision.resource_id) else None,
    })


@router.get("/{bot_id}/tools", response_model=BotTools)
async def bot_tools(bot_id: str, platform: PlatformDep, _: Reader) -> BotTools:
    """Every tool of the bot's bound resources: whether it may call it, by which name, and
    under which scope constraints (or why not)."""
    bot = await _bot_or_404(platform, bot_id)
    ids = [b.resource_id for b in bot.resource_bindings]
    offered = await asyncio.to_thread(platform.catalog.offered, ids)
    return BotTools(data=tool_access(bot, offered))
