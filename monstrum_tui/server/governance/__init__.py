"""Governance: the pure decision on each tool call a bot asks for (DESIGN §2)."""

from .decide import (
    CHECK_ORDER,
    Offered,
    OfferedTool,
    ResourceTool,
    decide,
    describe_value,
    split_tool_name,
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
    "decide",
    "describe_value",
    "matcher_for",
    "split_tool_name",
    "values_at",
]
