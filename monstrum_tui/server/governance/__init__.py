"""Governance: the pure decision on each tool call a bot asks for (DESIGN §2)."""

from .access import call_names, callable_tools, tool_access
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

__all__ = [
    "ABSENT",
    "ALLOW_ALL",
    "CHECK_ORDER",
    "Offered",
    "OfferedTool",
    "ResourceTool",
    "ScopeMatcher",
    "call_names",
    "callable_tools",
    "decide",
    "describe_value",
    "matcher_for",
    "refuse_by_name",
    "split_tool_name",
    "tool_access",
    "tool_listed",
    "tool_pattern_matches",
    "values_at",
]
