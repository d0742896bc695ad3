"""A fast validity check for the simple JSON Schemas tools use, exact for what it accepts.

Most tool schemas are an object of typed properties with ``required`` and maybe
``additionalProperties: false``. ``compile_simple`` turns such a schema into a plain
Python predicate that answers like jsonschema (Draft 2020-12) does; a schema with any
keyword it does not know compiles to ``None`` and jsonschema decides instead. A
``False`` answer is always re-checked by jsonschema, which also words the error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]
#: a bound keyword's comparison of a value with the schema's number
Bound = Callable[[Any, Any], bool]

#: keywords that never change validity (annotations; ``format`` is not asserted)
_ANNOTATIONS = frozenset(
    {"default", "description", "title", "examples", "$comment", "format", "deprecated",
     "readOnly", "writeOnly"}
)
_HANDLED = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "minLength",
     "maxLength", "minimum", "maximum", "minItems", "maxItems"}
)


def _is_integer(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


class _Unsupported(Exception):
    pass


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unsupported
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Unsupported
    return value


def _compile(schema: Any) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if not isinstance(schema, dict):
        raise _Unsupported
    unknown = set(schema) - _HANDLED - _ANNOTATIONS
    if unknown:
        raise _Unsupported
    checks: list[Check] = []

    if "type" in schema:
        kinds = schema["type"]
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(kinds, list) or not kinds or any(k not in _TYPES for k in kinds):
            raise _Unsupported
        preds = [_TYPES[k] for k in kinds]
        if len(preds) == 1:
            checks.append(preds[0])
        else:
            def any_kind(v: Any, preds: list[Check] = preds) -> bool:
                return any(p(v) for p in preds)

            checks.append(any_kind)

    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise _Unsupported
    compiled_props = {name: _compile(sub) for name, sub in props.items()}
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise _Unsupported
    extra = schema.get("additionalProperties", True)
    if not isinstance(extra, bool):
        raise _Unsupported
    if compiled_props or required or extra is False:
        allowed = frozenset(props)
        prop_items = tuple(compiled_props.items())
        req = tuple(required)

        def check_object(v: Any) -> bool:
            if not isinstance(v, dict):
                return True  # object keywords do not apply to other types
            for name in req:
                if name not in v:
                    return False
            if extra is False:
                for key in v:
                    if key not in allowed:
                        return False
            for name, pred in prop_items:  # noqa: SIM110 (a plain loop is faster here)
                if name in v and not pred(v[name]):
                    return False
            return True

        checks.append(check_object)

    if "items" in schema:
        item = _compile(schema["items"])
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))

    for key, test in (("minLength", lambda v, n: len(v) >= n),
                      ("maxLength", lambda v, n: len(v) <= n)):
        if key in schema:
            n = _count(schema[key])

            def check_length(v: Any, n: int = n, test: Bound = test) -> bool:
                return not isinstance(v, str) or test(v, n)

            checks.append(check_length)
    for key, test in (("minItems", lambda v, n: len(v) >= n),
                      ("maxItems", lambda v, n: len(v) <= n)):
        if key in schema:
            n = _count(schema[key])

            def check_items(v: Any, n: int = n, test: Bound = test) -> bool:
                return not isinstance(v, list) or test(v, n)

            checks.append(check_items)
    for key, test in (("minimum", lambda v, n: v >= n), ("maximum", lambda v, n: v <= n)):
        if key in schema:
            limit = _number(schema[key])

            def check_number(v: Any, n: float = limit, test: Bound = test) -> bool:
                return isinstance(v, bool) or not isinstance(v, (int, float)) or test(v, n)

            checks.append(check_number)

    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(c(v) for c in checks)


def compile_simple(schema: Any) -> Check | None:
    """A predicate equal to jsonschema's validity for ``schema``, or ``None`` if unsure."""
    try:
        return _compile(schema)
    except (_Unsupported, RecursionError):
        return None
