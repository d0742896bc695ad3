"""Which tools a bot may call at all: checks 1-4 of the decision, before any params.

The tool browser, the launch form, a model's tool list and the MCP endpoint all ask
"what may this bot call, and why not the rest"; they get the answer from here, so it
is the same answer ``decide`` gives a real call (same checks, same messages).
"""

from __future__ import annotations

from collections import Counter

from ...client.models import Bot, Decision, ToolAccess
from .decide import Offered, _deny_inactive, refuse_by_name


def call_names(bot: Bot, offered: Offered) -> dict[tuple[str, str], str]:
    """(resource id, tool name) -> the name the bot calls it by.

    A tool name offered by one bound resource is called by its bare name; one offered
    by several is called ``RESOURCE_ID/TOOL`` (``decide`` refuses the bare name then).
    """
    counts: Counter[str] = Counter()
    for binding in bot.resource_bindings:
        for item in offered.get(binding.resource_id, ()):
            counts[item.tool.name] += 1
    names: dict[tuple[str, str], str] = {}
    for binding in bot.resource_bindings:
        for item in offered.get(binding.resource_id, ()):
            name = item.tool.name
            qualified = counts[name] > 1
            names[(binding.resource_id, name)] = (
                f"{binding.resource_id}/{name}" if qualified else name
            )
    return names


def tool_access(
    bot: Bot, offered: Offered, *, resource_id: str | None = None
) -> list[ToolAccess]:
    """Every tool of the bot's bound resources (or of one of them), with the verdict."""
    names = call_names(bot, offered)
    out: list[ToolAccess] = []
    for binding in bot.resource_bindings:
        if resource_id is not None and binding.resource_id != resource_id:
            continue
        for item in offered.get(binding.resource_id, ()):
            tool = item.tool
            call_name = names[(binding.resource_id, tool.name)]
            denial: Decision | None
            if bot.status != "active":
                denial = _deny_inactive(bot, tool.name)
            else:
                denial = refuse_by_name(bot, binding, tool)
            scope = {
                dim.key: list(binding.scope_constraints.get(dim.key, []))
                for dim in tool.scope_dimensions
            }
            out.append(
                ToolAccess(
                    bot_id=bot.id,
                    resource_id=binding.resource_id,
                    tool_name=tool.name,
                    call_name=call_name,
                    operation=tool.operation,
                    may_call=denial is None,
                    check=None if denial is None else denial.check,
                    reason="" if denial is None else denial.message,
                    scope_constraints=scope,
                    tool=tool,
                )
            )
    return out


def callable_tools(bot: Bot, offered: Offered) -> list[ToolAccess]:
    """The tools the bot may call (its params and scope still decide each call)."""
    return [access for access in tool_access(bot, offered) if access.may_call]

