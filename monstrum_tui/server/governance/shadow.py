"""Shadow mode: which denials run anyway because the bot or binding is ``log_only``.

Only the checks a binding or bot sets can be rolled out in shadow: ``allowed_tools``,
``allowed_operations`` and ``scope`` (and a scope refusal by an executor's guard). A
paused bot, a tool no binding offers, params that do not fit the tool's schema, or a
decision that failed stay denied: there is nothing safe to run.
"""

from __future__ import annotations

from ...client.models import Bot, Decision
from .decide import ALLOWED_OPERATIONS, ALLOWED_TOOLS, SCOPE

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


def runs_in_shadow(bot: Bot, decision: Decision) -> bool:
    """Whether a denied decision runs anyway (audited as ``would_deny``)."""
    return (
        not decision.allowed
        and decision.check in SHADOWABLE_CHECKS
        and decision.resource_id is not None
        and in_shadow(bot, decision.resource_id)
    )
