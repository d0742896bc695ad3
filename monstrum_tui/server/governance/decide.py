"""The decision on one tool call: a pure function, in the order of DESIGN §2.

1. the bot is active; 2. a binding to a resource offers the tool; 3. the tool name
matches the binding's ``allowed_tools``; 4. the tool's operation matches the bot's
``allowed_operations``; 5. the params validate against the input schema; 6. every
applicable scope dimension holds. The first failing check denies; so does any error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Protocol

from ...client.models import (
    MAX_JSON_DEPTH,
    Bot,
    Decision,
    ResourceBinding,
    Tool,
    json_depth_exceeds,
)
from ..redaction import invalid_text_at
from .schemas import schema_error
from .scope import ABSENT, matcher_for, values_at

# the names of the checks, as they appear in ``Decision.check``
BOT_ACTIVE = "bot_active"
BINDING = "binding"
ALLOWED_TOOLS = "allowed_tools"
ALLOWED_OPERATIONS = "allowed_operations"
INPUT_SCHEMA = "input_schema"
SCOPE = "scope"
ERROR = "error"

CHECK_ORDER = (BOT_ACTIVE, BINDING, ALLOWED_TOOLS, ALLOWED_OPERATIONS, INPUT_SCHEMA, SCOPE)

#: the largest params (as compact JSON) a call may carry: deciding stays bounded
MAX_PARAMS_BYTES = 256 * 1024


class OfferedTool(Protocol):
    """A tool a resource offers (the catalog's ``ResolvedTool`` is one)."""

    @property
    def resource_id(self) -> str: ...

    @property
    def tool(self) -> Tool: ...


@dataclass(frozen=True)
class ResourceTool:
    """A plain ``OfferedTool``, for callers without a catalog (tests, benches)."""

    resource_id: str
    tool: Tool


#: what each bound resource offers: resource id -> its tools
Offered = Mapping[str, Sequence[OfferedTool]]


def split_tool_name(name: str) -> tuple[str | None, str]:
    """``res_x/tool`` -> ``("res_x", "tool")``; a bare name has no resource."""
    if "/" in name:
        resource_id, _, bare = name.partition("/")
        return resource_id, bare
    return None, name


_DECISION_DEFAULTS = {
    name: field.get_default(call_default_factory=True)
    for name, field in Decision.model_fields.items()
}


def _decision(**values: Any) -> Decision:
    """A Decision from trusted values, built without validation (the hot path)."""
    decision = Decision.__new__(Decision)
    object.__setattr__(decision, "__dict__", {**_DECISION_DEFAULTS, **values})
    object.__setattr__(decision, "__pydantic_fields_set__", set(values))
    object.__setattr__(decision, "__pydantic_extra__", {})
    object.__setattr__(decision, "__pydantic_private__", None)
    return decision


def _deny(check: str, message: str, **fields: Any) -> Decision:
    return _decision(allowed=False, check=check, message=message, **fields)


def describe_value(value: Any) -> str:
    """How a value reads in a denial message."""
    if value is ABSENT or value is None:
        return "(absent)"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def with_schema_defaults(schema: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with absent top-level properties set to their schema ``default``."""
    props = schema.get("properties")
    if not isinstance(props, dict):
        return params
    missing = {
        name: spec["default"]
        for name, spec in props.items()
        if name not in params and isinstance(spec, dict) and "default" in spec
    }
    return {**params, **missing} if missing else params


def _deny_inactive(bot: Bot, tool_name: str, **fields: Any) -> Decision:
    return _deny(BOT_ACTIVE, f"bot {bot.name} is {bot.status}", tool_name=tool_name, **fields)


def _listed(patterns: Sequence[str]) -> str:
    return ", ".join(patterns) if patterns else "none"


def tool_pattern_matches(pattern: str, tool_name: str) -> bool:
    """Whether one ``allowed_tools`` entry (a case-sensitive glob) names the tool."""
    return fnmatchcase(tool_name, pattern)


def tool_listed(binding: ResourceBinding, tool_name: str) -> bool:
    """Check 3: the binding's ``allowed_tools`` name the tool."""
    return any(tool_pattern_matches(pattern, tool_name) for pattern in binding.allowed_tools)


def refuse_by_name(bot: Bot, binding: ResourceBinding, tool: Tool) -> Decision | None:
    """Checks 3 and 4, which need no params: the denial, or None when both hold."""
    where = dict(tool_name=tool.name, resource_id=binding.resource_id, operation=tool.operation)
    if not tool_listed(binding, tool.name):
        return _deny(
            ALLOWED_TOOLS,
            f"tool {tool.name} is not in the allowed_tools of the binding to "
            f"{binding.resource_id} ({_listed(binding.allowed_tools)})",
            allowed_patterns=list(binding.allowed_tools),
            **where,
        )
    if not any(fnmatchcase(tool.operation, pattern) for pattern in bot.allowed_operations):
        return _deny(
            ALLOWED_OPERATIONS,
            f"operation {tool.operation} of tool {tool.name} is not in the allowed_operations "
            f"of bot {bot.name} ({_listed(bot.allowed_operations)})",
            allowed_patterns=list(bot.allowed_operations),
            **where,
        )
    return None


def params_problem(params: dict[str, Any]) -> str | None:
    """What makes params unusable whatever the schema: too large or too deeply nested to
    decide in bounded time, or text that is not valid Unicode (it could not be audited as
    written)."""
    if json_depth_exceeds(params):
        return f"params nest objects and arrays more than {MAX_JSON_DEPTH} levels deep"
    try:
        size = len(json.dumps(params, ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError) as exc:
        return f"params are not plain JSON: {exc}"
    if size > MAX_PARAMS_BYTES:
        return f"params are {size} bytes; at most {MAX_PARAMS_BYTES} are accepted"
    where = invalid_text_at(params)
    if where is not None:
        return f"{where} holds text that is not valid Unicode (a lone surrogate)"
    return None


def _find(
    bot: Bot, offered: Offered, resource_id: str | None, bare: str
) -> list[tuple[ResourceBinding, OfferedTool]]:
    found = []
    for binding in bot.resource_bindings:
        if resource_id is not None and binding.resource_id != resource_id:
            continue
        for candidate in offered.get(binding.resource_id, ()):
            if candidate.tool.name == bare:
                found.append((binding, candidate))
    return found


def _decide(bot: Bot, offered: Offered, tool_name: str, params: Any) -> Decision:
    if bot.status != "active":
        return _deny_inactive(bot, tool_name)

    resource_id, bare = split_tool_name(tool_name)
    found = _find(bot, offered, resource_id, bare)
    if not found:
        if resource_id is not None and not any(
            b.resource_id == resource_id for b in bot.resource_bindings
        ):
            message = f"bot {bot.name} has no binding to resource {resource_id}"
        elif resource_id is not None:
            message = f"resource {resource_id} offers no tool {bare}"
        else:
            message = f"no resource bound to bot {bot.name} offers a tool {bare}"
        return _deny(BINDING, message, tool_name=bare, resource_id=resource_id)
    if len(found) > 1:
        ids = [b.resource_id for b, _ in found]
        return _deny(
            BINDING,
            f"tool {bare} is offered by several bound resources ({', '.join(ids)}): "
            f"call it as RESOURCE_ID/{bare}, e.g. {ids[0]}/{bare}",
            tool_name=bare,
        )
    binding, offer = found[0]
    tool = offer.tool
    where = dict(tool_name=bare, resource_id=binding.resource_id, operation=tool.operation)

    refused = refuse_by_name(bot, binding, tool)
    if refused is not None:
        return refused

    if not isinstance(params, dict):
        return _deny(INPUT_SCHEMA, "params must be a JSON object", **where)
    problem = params_problem(params)
    if problem is not None:
        return _deny(INPUT_SCHEMA, f"invalid params for {bare}: {problem}", **where)
    problem = schema_error(tool.input_schema, params)
    if problem is not None:
        return _deny(INPUT_SCHEMA, f"invalid params for {bare}: {problem}", **where)

    # the executor fills absent top-level params from the schema's defaults, so the
    # scope is checked against the values that will really be used
    effective = with_schema_defaults(tool.input_schema, params)
    for dimension in tool.scope_dimensions:
        patterns = binding.scope_constraints.get(dimension.key)
        # a dimension the binding leaves out allows nothing
        matcher = matcher_for(dimension.match_mode, tuple(patterns or ()))
        for path in dimension.param_paths:
            out_of_scope, value = matcher.first_refused(values_at(effective, path))
            if out_of_scope:
                return _deny(
                    SCOPE,
                    dimension.error_template.replace("{value}", describe_value(value)),
                    dimension=dimension.key,
                    param_path=path,
                    value=None if value is ABSENT else value,
                    allowed_patterns=list(patterns or ()),
                    **where,
                )

    return _decision(allowed=True, check=None, message="allowed", **where)


def decide(bot: Bot, offered: Offered, tool_name: str, params: Any) -> Decision:
    """Decide one tool call. Pure: no I/O; any error inside denies (check ``error``)."""
    try:
        return _decide(bot, offered, tool_name, params)
    except Exception as exc:  # deny by default, whatever went wrong
        return _deny(
            ERROR,
            f"the decision failed, so the call is denied: {type(exc).__name__}: {exc}",
            tool_name=tool_name,
        )
