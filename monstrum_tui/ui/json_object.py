"""A form field that holds a JSON object (task metadata, a tool call's params)."""

from __future__ import annotations

import json
from typing import Any


class JsonObjectProblem(ValueError):
    """The text is not a JSON object; the message says where and why."""


def parse_json_object(text: str, *, example: str = "{...}") -> dict[str, Any]:
    """The field as a dict (empty text is ``{}``); raises JsonObjectProblem naming the
    line and column of bad JSON, or what was given instead of an object."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonObjectProblem(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
            type(data), "a number"
        )
        raise JsonObjectProblem(f"must be a JSON object such as {example}, not {kind}")
    return data
