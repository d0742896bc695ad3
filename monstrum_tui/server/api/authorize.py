"""What a bot may do, asked without running anything: the verdict on one call
(``POST /v1/bots/{id}/authorize``) and on each tool it is bound to (``GET .../tools``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ...client.models import AuthorizeRequest, BotTools, Decision
from ..auth import Principal
from .deps import PlatformDep, require

router = APIRouter(prefix="/v1/bots", tags=["bots"])
Reader = Annotated[Principal, Depends(require("bots:read"))]


@router.post("/{bot_id}/authorize", response_model=Decision)
async def authorize(
    bot_id: str, body: AuthorizeRequest, platform: PlatformDep, _: Reader
) -> Decision:
    """Decide ``{tool, params}`` for this bot as a task would (a dry run: nothing runs)."""
    return await platform.policy.authorize(bot_id, body.tool, body.params)


@router.get("/{bot_id}/tools", response_model=BotTools)
async def bot_tools(bot_id: str, platform: PlatformDep, _: Reader) -> BotTools:
    """Every tool of the bot's bound resources: whether it may call it, by which name, and
    under which scope constraints (or why not)."""
    return BotTools(data=await platform.policy.tools(bot_id))
