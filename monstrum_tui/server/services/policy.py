"""``PolicyService``: the questions asked of governance without running anything.

The verdict on one call a bot might make (a dry run of ``decide``) and on every tool it
is bound to (``tool_access``), read from the store as it is now. Calls themselves go
through ``ToolCalls`` (server/calls.py), which asks the same governance functions.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ...client.models import Bot, Decision, ToolAccess
from ..governance import approval_needed, decide, in_shadow, runs_in_shadow, tool_access
from .errors import NotFoundError

if TYPE_CHECKING:
    from ..calls import ToolCalls


class PolicyService:
    def __init__(self, calls: ToolCalls) -> None:
        self._calls = calls

    async def _policy(self, bot_id: str) -> tuple[Bot, dict[str, Any]]:
        bot, offered = await self._calls.policy(bot_id)
        if bot is None:
            raise NotFoundError(f"no bot {bot_id}")
        return bot, offered

    async def authorize(self, bot_id: str, tool: str, params: Any) -> Decision:
        """The decision a task would get for this call, without running it: also whether
        it would wait for a person, and whether shadow mode would run it."""
        bot, offered = await self._policy(bot_id)
        # off the event loop: hostile params may take long to check, and must not stall
        decision = await asyncio.to_thread(decide, bot, offered, tool, params)
        shadowed = runs_in_shadow(bot, offered, decision, params)
        if not (decision.allowed or shadowed):
            return decision
        judged = decision if decision.allowed else decision.model_copy(update={"allowed": True})
        need = approval_needed(bot, offered, judged, params)
        return decision.model_copy(update={
            "approval_required": need.reason if need else None,
            "enforce": "log_only" if shadowed or in_shadow(bot, decision.resource_id) else None,
        })

    async def tools(self, bot_id: str) -> list[ToolAccess]:
        """Every tool of the bot's bound resources, with the verdict on each."""
        bot, offered = await self._policy(bot_id)
        return tool_access(bot, offered)

    async def preview_tools(self, draft: Bot) -> list[ToolAccess]:
        """``tools`` for a bot as it would be saved (a form being edited), stored or not:
        the same verdicts, from the resources as they are now."""
        offered = await self._calls.offered([b.resource_id for b in draft.resource_bindings])
        return tool_access(draft, offered)
