"""A tool's JSON Schema, shown as a readable table of its parameters.

Each property becomes one row: its name (nested objects and array items
indented under their parent), its type, and what constrains it: required,
default, allowed values, bounds, then its description. ``schema_rows`` is the
data; ``render_schema`` lays it out with Rich.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

#: nesting deeper than this is summarised (schemas can be recursive through $ref-like tricks)
MAX_DEPTH = 6
#: longest default or enum value shown before it is cut
MAX_VALUE_CHARS = 40

#: JSON Schema keywords shown as notes, with the words used for them
_BOUNDS: tuple[tuple[str, str], ...] = (
    ("minimum", "min"),
    ("exclusiveMinimum", "more than"),
    ("maximum", "max"),
    ("exclusiveMaximum", "less than"),
    ("minLength", "min length"),
    ("maxLength", "max length"),
    ("minItems", "min items"),
    ("maxItems", "max items"),
    ("pattern", "pattern"),
    ("format", "format"),
)


@dataclass(frozen=True)
class SchemaRow:
    """One parameter: ``depth`` 0 is a top-level property; ``name`` is ``[]`` for array items."""

    depth: int
    name: str
    type: str
    required: bool = False
    notes: tuple[str, ...] = ()
    description: str = ""


@dataclass
class SchemaSummary:
    """The rows plus what applies to the schema as a whole."""

    rows: list[SchemaRow] = field(default_factory=list)
    closed: bool = False
    root_type: str = "object"


def shown_value(value: Any) -> str:
    """A default or enum value as JSON, cut to ``MAX_VALUE_CHARS``."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def type_of(schema: dict[str, Any]) -> str:
    """The schema's type in words: ``string``, ``array of string``, ``integer | null``..."""
    if not isinstance(schema, dict):
        return "any"
    declared = schema.get("type")
    if isinstance(declared, list):
        names = [str(t) for t in declared]
    elif isinstance(declared, str):
        names = [declared]
    else:
        names = []
    for combiner in ("anyOf", "oneOf"):
        options = schema.get(combiner)
        if isinstance(options, list) and options:
            names.extend(type_of(option) for option in options if isinstance(option, dict))
    if not names:
        if "enum" in schema or "const" in schema:
            return "value"
        if "properties" in schema:
            return "object"
        if "items" in schema:
            names = ["array"]
        else:
            return "any"
    out = []
    for name in dict.fromkeys(names):
        if name == "array" and isinstance(schema.get("items"), dict):
            out.append(f"array of {type_of(schema['items'])}")
        else:
            out.append(name)
    return " | ".join(out)


def notes_of(schema: dict[str, Any]) -> tuple[str, ...]:
    """Default, allowed values and bounds, in words."""
    notes: list[str] = []
    if "default" in schema:
        notes.append(f"default {shown_value(schema['default'])}")
    if "const" in schema:
        notes.append(f"always {shown_value(schema['const'])}")
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        notes.append("one of " + ", ".join(shown_value(v) for v in enum))
    for keyword, word in _BOUNDS:
        if keyword in schema:
            notes.append(f"{word} {schema[keyword]}")
    if schema.get("uniqueItems") is True:
        notes.append("unique items")
    return tuple(notes)


def _object_rows(
    schema: dict[str, Any], depth: int, rows: list[SchemaRow], prefix: str = ""
) -> None:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    required = schema.get("required")
    required_names = set(required) if isinstance(required, list) else set()
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        _property_rows(prefix + str(name), prop, name in required_names, depth, rows)


def _property_rows(
    name: str, prop: dict[str, Any], required: bool, depth: int, rows: list[SchemaRow]
) -> None:
    description = str(prop.get("description") or prop.get("title") or "")
    rows.append(SchemaRow(depth, name, type_of(prop), required, notes_of(prop), description))
    if depth >= MAX_DEPTH:
        return
    _object_rows(prop, depth + 1, rows)
    items = prop.get("items")
    if isinstance(items, dict):
        if isinstance(items.get("properties"), dict):
            # an array of objects: its items' fields, marked as belonging to each item
            _object_rows(items, depth + 1, rows, prefix="[]")
        elif notes_of(items) or items.get("description"):
            rows.append(
                SchemaRow(depth + 1, "[]", type_of(items), False, notes_of(items),
                          str(items.get("description") or ""))
            )


def schema_rows(schema: dict[str, Any] | None) -> SchemaSummary:
    """The parameters a tool takes, in declaration order, nested ones after their parent."""
    summary = SchemaSummary()
    if not isinstance(schema, dict):
        return summary
    summary.root_type = type_of(schema)
    summary.closed = schema.get("additionalProperties") is False
    _object_rows(schema, 0, summary.rows)
    return summary


def render_schema(schema: dict[str, Any] | None) -> RenderableType:
    """The schema as a three-column table (name, type, details); user text is never markup."""
    summary = schema_rows(schema)
    if not summary.rows:
        if summary.root_type not in ("object", "any"):
            return Text(f"takes a {summary.root_type}", style="dim")
        return Text("no parameters", style="dim")
    table = Table.grid(padding=(0, 1))
    table.add_column("name", no_wrap=True)
    table.add_column("type", no_wrap=True, style="cyan")
    table.add_column("details", ratio=1)
    for row in summary.rows:
        name = Text("  " * row.depth + row.name, style="bold" if row.depth == 0 else "")
        details = Text()
        if row.required:
            details.append("required", style="bold yellow")
        for note in row.notes:
            if details:
                details.append(" · ")
            details.append(note)
        if row.description:
            if details:
                details.append(" · ")
            details.append(row.description, style="dim")
        table.add_row(name, Text(row.type), details)
    parts: list[RenderableType] = [table]
    if summary.closed:
        parts.append(Text("no other parameters are accepted", style="dim italic"))
    return Group(*parts)


class SchemaView(Static):
    """A JSON Schema, rendered with ``render_schema``; set ``schema`` to change it."""

    def __init__(self, schema: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(render_schema(schema), **kwargs)
        self._schema = schema

    @property
    def schema(self) -> dict[str, Any] | None:
        return self._schema

    @schema.setter
    def schema(self, value: dict[str, Any] | None) -> None:
        self._schema = value
        self.update(render_schema(value))
