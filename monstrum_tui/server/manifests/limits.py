"""How big a manifest may be: counted before anything else is checked.

A manifest is read on upload and compiled on every start; its input schemas are
validated against every call's params. Bounds keep both cheap and refuse, with the
number and the limit, what would make them expensive (12,000 tools took 28 s to
check before these existed). The byte limit is ``yamlsource.MAX_MANIFEST_BYTES``.
"""

from __future__ import annotations

from typing import Any

from .problems import Problems

MAX_TOOLS = 256
MAX_DIMENSIONS = 64
#: nesting of one input schema (objects in arrays in objects...)
MAX_SCHEMA_DEPTH = 24
#: keywords and values in one input schema, counted through every level
MAX_SCHEMA_NODES = 4000


def _measure(value: Any, depth: int = 0) -> tuple[int, int]:
    """(nodes, deepest level) of a JSON-like value, without recursion limits."""
    nodes, deepest = 0, 0
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack:
        item, level = stack.pop()
        nodes += 1
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return nodes, deepest


def check_limits(data: dict[str, Any], problems: Problems) -> bool:
    """Add a problem for every limit passed; False when the rest should not be checked."""
    ok = True
    tools = data.get("tools")
    if isinstance(tools, list) and len(tools) > MAX_TOOLS:
        problems.add(("tools",), f"the manifest has {len(tools)} tools; at most {MAX_TOOLS} "
                     "are accepted (split it into several integrations)")
        return False
    dims = data.get("scope_dimensions")
    if isinstance(dims, list) and len(dims) > MAX_DIMENSIONS:
        problems.add(("scope_dimensions",), f"{len(dims)} scope dimensions; at most "
                     f"{MAX_DIMENSIONS} are accepted")
        ok = False
    for i, tool in enumerate(tools if isinstance(tools, list) else []):
        if not isinstance(tool, dict):
            continue
        own = tool.get("scope_dimensions")
        if isinstance(own, list) and len(own) > MAX_DIMENSIONS:
            problems.add(("tools", i, "scope_dimensions"), f"{len(own)} scope dimensions; at "
                         f"most {MAX_DIMENSIONS} are accepted")
            ok = False
        schema = tool.get("input_schema")
        if schema is None:
            continue
        nodes, depth = _measure(schema)
        if depth > MAX_SCHEMA_DEPTH:
            problems.add(("tools", i, "input_schema"), f"the input schema is nested {depth} "
                         f"levels deep; at most {MAX_SCHEMA_DEPTH} are accepted")
            ok = False
        elif nodes > MAX_SCHEMA_NODES:
            problems.add(("tools", i, "input_schema"), f"the input schema has {nodes} parts; "
                         f"at most {MAX_SCHEMA_NODES} are accepted")
            ok = False
    return ok
