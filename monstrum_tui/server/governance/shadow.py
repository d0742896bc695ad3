"""Shadow mode: which denials run anyway because the bot or binding is ``log_only``.

Only the checks a binding or bot sets can be rolled out in shadow: ``allowed_tools``,
``allowed_operations`` and ``scope`` (and a scope refusal by an executor's guard). A
paused bot, a tool no binding offers, params that do not fit the tool's schema, or a
decision that failed stay denied: there is nothing safe to run.
"""

from __future__ import annotations

from typing import Any

from ...client.models import Bot, Decision
from .decide import ALLOWED_OPERATIONS, ALLOWED_TOOLS, SCOPE, Offered, split_tool_name
from .schemas import schema_error

#: the checks whose denials a log_only bot or binding runs (and audits as would_deny)
SHADOWABLE_CHECKS = frozenset({ALLOWED_TOOLS, ALLOWED_OPERATIONS, SCOPE})
LOG_ONLY = "log_only"


def in_shadow(bot: Bot, resource_id: str | None) -> bool:
    """Whether the bot, or its binding to ``resource_id``, is in shadow mode."""
    if bot.enforce == LOG_ONLY:
        return True
    return any(
        b.resource_id == resource_id and b.enforce == LOG_ONLY for b in bot.resource_bindings
    )


def runs_in_shadow(bot: Bot, offered: Offered, decision: Decision, params: Any) -> bool:
    """Whether a denied decision runs anyway (audited as ``would_deny``).

    A call denied before its params were checked (by ``allowed_tools`` or
    ``allowed_operations``) runs only if they fit the tool's schema: shadow mode loosens
    what a binding allows, never what a tool accepts.
    """
    if (
        decision.allowed
        or decision.check not in SHADOWABLE_CHECKS
        or decision.resource_id is None
        or not in_shadow(bot, decision.resource_id)
    ):
        return False
    if decision.check == SCOPE:
        return True  # the schema check came first and held
    _, bare = split_tool_name(decision.tool_name or "")
    tool = next((t.tool for t in offered.get(decision.resource_id, ()) if t.tool.name == bare),
                None)
    return tool is not None and isinstance(params, dict) and (
        schema_error(tool.input_schema, params) is None
    )
