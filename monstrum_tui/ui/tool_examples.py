"""A ready ``call`` line for each tool a bot may call, from what the server says about it.

The verdicts are the server's (``GET /v1/bots/{id}/tools``: ``may_call``, ``call_name``,
the binding's ``scope_constraints``, the tool and its ``input_schema``); this only
writes an example: each required param filled, first from a literal the binding allows
for it (``commands: [echo, date]`` -> ``"echo"``), else the schema's default, example
or first enum value, else a placeholder of the right type. Nothing here decides access.
"""

from __future__ import annotations

import json
from typing import Any

from ..client.models import Tool, ToolAccess

GLOB_CHARS = frozenset("*?[")
PLACEHOLDERS: dict[str, Any] = {"string": "…", "integer": 1, "number": 1, "boolean": True,
                                "array": [], "object": {}}

#: what the scripted model reads, line by line (every other line is ignored)
SCRIPTED_HELP = (
    "scripted bots run one line at a time: call TOOL {JSON params} · say TEXT (a message) · "
    "wait SECONDS · other lines are ignored"
)


def _allowed_literal(tool: Tool, constraints: dict[str, list[str]], param: str) -> Any:
    for dim in tool.scope_dimensions:
        if param in dim.param_paths:
            for value in constraints.get(dim.key, []):
                if not GLOB_CHARS & set(value):
                    return value
    return None


def _schema_value(spec: dict[str, Any]) -> Any:
    if "default" in spec:
        return spec["default"]
    examples = spec.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return spec["enum"][0]
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return PLACEHOLDERS.get(str(kind), "…")


def example_params(access: ToolAccess) -> dict[str, Any]:
    """Params for an example call: the required ones (or, if none, those with a default)."""
    if access.tool is None:
        return {}
    return tool_example_params(access.tool, access.scope_constraints)


def tool_example_params(
    tool: Tool, constraints: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """Example params for ``tool``, a value a binding's ``constraints`` allow where one is
    a plain literal (no bot, or an unbound one: from the schema alone)."""
    schema = tool.input_schema
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    required = [p for p in schema.get("required", []) if p in props]
    names = required or [p for p, spec in props.items()
                         if isinstance(spec, dict) and "default" in spec]
    params: dict[str, Any] = {}
    for name in names:
        found = props.get(name)
        spec: dict[str, Any] = found if isinstance(found, dict) else {}
        literal = _allowed_literal(tool, constraints or {}, name)
        params[name] = literal if literal is not None else _schema_value(spec)
    return params


def example_line(access: ToolAccess) -> str:
    """``call run_command {"command": "echo"}``: a line the scripted model runs."""
    params = json.dumps(example_params(access), ensure_ascii=False)
    return f"call {access.call_name} {params}"


def param_summary(access: ToolAccess) -> str:
    """``command*, args``: the tool's params, required ones starred."""
    schema = access.tool.input_schema if access.tool is not None else {}
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or not props:
        return "no params"
    required = set(schema.get("required", []))
    return ", ".join(f"{name}{'*' if name in required else ''}" for name in props)
