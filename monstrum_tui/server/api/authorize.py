"""What a bot may do, asked without running anything: the verdict on one call
(``POST /v1/bots/{id}/authorize``), on each tool it is bound to (``GET .../tools``), and
on each tool a bot being edited would be bound to (``POST /v1/bot-drafts/tools``: a path
of its own, so it never reads as a bot id)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends

from ...client.models import (
    AuthorizeRequest,
    Bot,
    BotDraft,
    BotTools,
    BotToolsPreview,
    Decision,
)
from ..auth import Principal
from ..bindings import binding_problems
from .deps import PlatformDep, require

router = APIRouter(prefix="/v1", tags=["bots"])
Reader = Annotated[Principal, Depends(require("bots:read"))]


#: the id verdicts carry for a draft of a bot not saved yet
DRAFT_BOT_ID = "bot_draft"


#: a draft names any resource and gets its tools, schemas and dimensions back: what
#: ``GET /v1/resources`` shows, so it takes that scope (bots:read alone would let a key
#: look up resources it may not list)
ResourceReader = Annotated[Principal, Depends(require("resources:read"))]


@router.post("/bot-drafts/tools", response_model=BotToolsPreview)
async def preview_tools(
    body: BotDraft, platform: PlatformDep, _: ResourceReader
) -> BotToolsPreview:
    """What a bot with these bindings, operations and status may call (nothing is stored):
    the verdicts ``GET /v1/bots/{id}/tools`` gives once it is saved, and the problems the
    save would be refused for."""
    problems = await asyncio.to_thread(
        binding_problems, platform.store, body.resource_bindings
    )
    problems += [
        {"field": f"allowed_operations[{i}]", "message": "empty"}
        for i, op in enumerate(body.allowed_operations) if not op.strip()
    ]
    now = datetime.now(timezone.utc)
    draft = Bot(
        id=body.bot_id or DRAFT_BOT_ID, name=body.name or "(new bot)", status=body.status,
        allowed_operations=body.allowed_operations, resource_bindings=body.resource_bindings,
        enforce=body.enforce, created_at=now, updated_at=now,
    )
    return BotToolsPreview(data=await platform.policy.preview_tools(draft), problems=problems)


@router.post("/bots/{bot_id}/authorize", response_model=Decision)
async def authorize(
    bot_id: str, body: AuthorizeRequest, platform: PlatformDep, _: Reader
) -> Decision:
    """Decide ``{tool, params}`` for this bot as a task would (a dry run: nothing runs)."""
    return await platform.policy.authorize(bot_id, body.tool, body.params)


@router.get("/bots/{bot_id}/tools", response_model=BotTools)
async def bot_tools(bot_id: str, platform: PlatformDep, _: Reader) -> BotTools:
    """Every tool of the bot's bound resources: whether it may call it, by which name, and
    under which scope constraints (or why not)."""
    return BotTools(data=await platform.policy.tools(bot_id))
