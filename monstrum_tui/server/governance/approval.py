"""Whether an allowed call must wait for a person: the binding's ``require_approval``.

Pure, like ``decide``: the same bot, offer, decision and params always give the same
answer. A call waits when its tool matches one of the rule's ``tools`` globs, or when a
value at one of a scope dimension's ``param_paths`` matches one of the rule's values for
that dimension (with the dimension's own ``match_mode``, ``*`` matching every call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...client.models import ApprovalRule, Bot, Decision
from .decide import (
    Offered,
    describe_value,
    split_tool_name,
    tool_pattern_matches,
    with_schema_defaults,
)
from .scope import matcher_for, values_at

#: the check a call fails when its approval is rejected, expires or cannot be had
APPROVAL = "approval"


@dataclass(frozen=True)
class ApprovalNeed:
    """An allowed call that waits for a person: why, and for how long at most."""

    reason: str
    timeout_s: float


def approval_needed(
    bot: Bot, offered: Offered, decision: Decision, params: Any
) -> ApprovalNeed | None:
    """The binding's reason to ask a person about this allowed call, or None."""
    if not decision.allowed or decision.resource_id is None:
        return None
    binding = next(
        (b for b in bot.resource_bindings if b.resource_id == decision.resource_id), None
    )
    if binding is None or binding.require_approval is None:
        return None
    rule: ApprovalRule = binding.require_approval
    _, bare = split_tool_name(decision.tool_name or "")
    for pattern in rule.tools:
        if tool_pattern_matches(pattern, bare):
            return ApprovalNeed(
                f"tool {bare} matches '{pattern}' in the require_approval of the binding to "
                f"{binding.resource_id}",
                rule.timeout_s,
            )
    if not rule.scope:
        return None
    tool = next(
        (t.tool for t in offered.get(binding.resource_id, ()) if t.tool.name == bare), None
    )
    if tool is None or not isinstance(params, dict):
        return None
    effective = with_schema_defaults(tool.input_schema, params)
    for dimension in tool.scope_dimensions:
        values = rule.scope.get(dimension.key)
        if not values:
            continue
        matcher = matcher_for(dimension.match_mode, tuple(values))
        for path in dimension.param_paths:
            for value in values_at(effective, path):
                if matcher.matches(value):
                    return ApprovalNeed(
                        f"{dimension.key} value {describe_value(value)} matches the "
                        f"require_approval of the binding to {binding.resource_id} "
                        f"({', '.join(values)})",
                        rule.timeout_s,
                    )
    return None
