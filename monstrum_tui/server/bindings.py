"""Checks a bot's resource bindings against the resources that exist and their tools."""

from __future__ import annotations

from typing import Any

from ..client.models import ApprovalRule, ResourceBinding
from .api.errors import Invalid
from .governance import tool_pattern_matches
from .governance.regex import regex_problem
from .store import Store


def check_bindings(store: Store, bindings: list[ResourceBinding]) -> None:
    """Refuse (422, naming each problem) bindings that cannot mean anything."""
    problems = binding_problems(store, bindings)
    if problems:
        raise Invalid("; ".join(p["message"] for p in problems), fields=problems)


def binding_problems(store: Store, bindings: list[ResourceBinding]) -> list[dict[str, Any]]:
    """Why bindings cannot mean anything, as 422 fields (none: they can).

    A binding must name an existing resource once; each ``allowed_tools`` pattern must
    match at least one of that resource's tools; each
    ``scope_constraints`` key must be a scope dimension of the resource's type, with a
    non-empty list of values, and values of ``regex`` dimensions must compile.
    """
    problems: list[dict[str, Any]] = []
    types = store.resources.types_of({b.resource_id for b in bindings})
    seen: set[str] = set()
    for i, binding in enumerate(bindings):
        field = f"resource_bindings[{i}]"
        rid = binding.resource_id
        if rid not in types:
            problems.append({"field": f"{field}.resource_id", "message": f"no resource '{rid}'"})
            continue
        if rid in seen:
            problems.append(
                {"field": f"{field}.resource_id", "message": f"resource '{rid}' is bound twice"}
            )
        seen.add(rid)
        compiled = store.integrations.for_type(types[rid])
        tool_names = sorted(compiled.tools) if compiled else []
        for j, pattern in enumerate(binding.allowed_tools):
            if not any(tool_pattern_matches(pattern, name) for name in tool_names):
                problems.append({
                    "field": f"{field}.allowed_tools[{j}]",
                    "message": f"allowed_tools entry '{pattern}' matches none of the tools of "
                    f"{rid} ({types[rid]}): {', '.join(tool_names) or 'it has none'}",
                })
        keys = compiled.dimension_keys() if compiled else set()
        modes = compiled.dimension_modes() if compiled else {}
        for key, values in binding.scope_constraints.items():
            where = f"{field}.scope_constraints.{key}"
            if key not in keys:
                problems.append({
                    "field": where,
                    "message": f"'{key}' is not a scope dimension of {types[rid]} (its "
                    f"dimensions: {', '.join(sorted(keys)) or 'none'})",
                })
                continue
            if not values:
                problems.append({
                    "field": where,
                    "message": "an empty list allows nothing; leave the key out or list "
                    "patterns ('*' allows all)",
                })
            if "regex" in modes.get(key, set()):
                for k, value in enumerate(values):
                    if value == "*":
                        continue
                    problem = regex_problem(value, f" for the regex dimension '{key}'")
                    if problem is not None:
                        problems.append({"field": f"{where}[{k}]", "message": problem})
        if binding.require_approval is not None:
            problems.extend(_approval_problems(
                f"{field}.require_approval", binding.require_approval, rid, types[rid],
                tool_names, keys, modes,
            ))
    return problems


def _approval_problems(
    field: str, rule: ApprovalRule, rid: str, type_id: str, tool_names: list[str],
    keys: set[str], modes: dict[str, set[str]],
) -> list[dict[str, Any]]:
    """A ``require_approval`` that could never match (or never compile) is a mistake."""
    problems: list[dict[str, Any]] = []
    for j, pattern in enumerate(rule.tools):
        if not any(tool_pattern_matches(pattern, name) for name in tool_names):
            problems.append({
                "field": f"{field}.tools[{j}]",
                "message": f"require_approval.tools entry '{pattern}' matches none of the tools "
                f"of {rid} ({type_id}): {', '.join(tool_names) or 'it has none'}",
            })
    for key, values in rule.scope.items():
        where = f"{field}.scope.{key}"
        if key not in keys:
            problems.append({
                "field": where,
                "message": f"require_approval.scope names '{key}', which is not a scope "
                f"dimension of {type_id} (its dimensions: {', '.join(sorted(keys)) or 'none'})",
            })
            continue
        if not values:
            problems.append({"field": where, "message": "an empty list matches nothing; "
                             "list values ('*' for every call) or leave the key out"})
        if "regex" in modes.get(key, set()):
            for k, value in enumerate(values):
                if value == "*":
                    continue
                problem = regex_problem(value, f" for the regex dimension '{key}'")
                if problem is not None:
                    problems.append({"field": f"{where}[{k}]", "message": problem})
    return problems
