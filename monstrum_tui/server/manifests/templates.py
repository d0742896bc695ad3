"""Manifest templates: ``{params.NAME}``, ``{config.NAME}``, ``{credentials.NAME}``.

A template is a string with references in braces; ``{{`` and ``}}`` are literal
braces. A string that is exactly one reference keeps the referenced value's type
(so a JSON body can carry an integer parameter); otherwise values are formatted
into the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

NAMESPACES = ("params", "config", "credentials")
_TOKEN_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_REF_RE = re.compile(r"^(params|config|credentials)\.([A-Za-z_][A-Za-z0-9_]*)$")
_SOLE_RE = re.compile(r"^\{\s*(params|config|credentials)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


@dataclass(frozen=True)
class Reference:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{{{self.namespace}.{self.name}}}"


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says what is wrong."""


class MissingValue(LookupError):
    """A referenced value is not there when rendering."""

    def __init__(self, ref: Reference) -> None:
        super().__init__(f"no value for {ref}")
        self.ref = ref


def references(template: str) -> list[Reference]:
    """The references in a template, in order; raises ``TemplateError`` on bad syntax."""
    refs: list[Reference] = []
    for match in _TOKEN_RE.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise TemplateError(
                f"unbalanced '{token}' in {template!r} (write '{token}{token}' for a literal brace)"
            )
        inner = match.group(1).strip()
        ref = _REF_RE.match(inner)
        if ref is None:
            raise TemplateError(
                f"'{{{inner}}}' is not a template reference; use {{params.NAME}}, "
                "{config.NAME} or {credentials.NAME}"
            )
        refs.append(Reference(ref.group(1), ref.group(2)))
    return refs


def walk_strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string inside a JSON-like value, with its dotted path (for checking templates)."""
    out: list[tuple[str, str]] = []
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            out.extend(walk_strings(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.extend(walk_strings(item, f"{path}[{i}]"))
    return out


Lookup = Callable[[Reference], Any]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render(template: str, lookup: Lookup, *, escape: Callable[[str], str] | None = None) -> Any:
    """Fill a template. ``lookup`` raises ``MissingValue`` for an absent value.

    A template that is exactly one reference returns the value itself (any type);
    ``escape`` is applied to each value formatted into text (URL-quoting a path).
    """
    sole = _SOLE_RE.match(template)
    if sole:
        value = lookup(Reference(sole.group(1), sole.group(2)))
        return escape(_text(value)) if escape else value

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        inner = _REF_RE.match(match.group(1).strip())
        if inner is None:  # already refused by references(); be safe at run time
            raise TemplateError(f"bad template reference {token!r}")
        text = _text(lookup(Reference(inner.group(1), inner.group(2))))
        return escape(text) if escape else text

    references(template)
    return _TOKEN_RE.sub(fill, template)


def render_value(value: Any, lookup: Lookup, *, drop_missing: bool = True) -> Any:
    """Fill every string inside a JSON-like value (a body or query).

    With ``drop_missing``, a mapping entry or list item whose template is exactly one
    absent reference is left out, so optional parameters simply disappear.
    """
    if isinstance(value, str):
        return render(value, lookup)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            try:
                out[str(key)] = render_value(item, lookup, drop_missing=drop_missing)
            except MissingValue:
                if not (drop_missing and isinstance(item, str)):
                    raise
        return out
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            try:
                items.append(render_value(item, lookup, drop_missing=drop_missing))
            except MissingValue:
                if not (drop_missing and isinstance(item, str)):
                    raise
        return items
    return value
