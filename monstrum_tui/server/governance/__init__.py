"""Governance: the pure decision on each tool call a bot asks for (DESIGN §2)."""

from .access import call_names, callable_tools, tool_access
from .approval import ApprovalNeed, approval_needed
from .decide import (
    CHECK_ORDER,
    Offered,
    OfferedTool,
    ResourceTool,
    decide,
    describe_value,
    refuse_by_name,
    split_tool_name,
    tool_listed,
    tool_pattern_matches,
)
from .scope import ABSENT, ALLOW_ALL, ScopeMatcher, matcher_for, values_at
from .shadow import SHADOWABLE_CHECKS, in_shadow, runs_in_shadow

__all__ = [
    "ABSENT",
    "ALLOW_ALL",
    "CHECK_ORDER",
    "SHADOWABLE_CHECKS",
    "ApprovalNeed",
    "Offered",
    "OfferedTool",
    "ResourceTool",
    "ScopeMatcher",
    "approval_needed",
    "call_names",
    "callable_tools",
    "decide",
    "describe_value",
    "in_shadow",
    "matcher_for",
    "refuse_by_name",
    "runs_in_shadow",
    "split_tool_name",
    "tool_access",
    "tool_listed",
    "tool_pattern_matches",
    "values_at",
]
