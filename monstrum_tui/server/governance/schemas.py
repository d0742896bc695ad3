"""Compiled input-schema validators, cached: validating params is on the hot path."""

from __future__ import annotations

import itertools
import json
import threading
from collections import OrderedDict
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for

from .fastschema import Check, compile_simple
from .regex import UnsupportedRegex, compile_linear

_MAX = 4096
#: a denial quotes at most this much of a value (messages go to events and the audit log)
MESSAGE_VALUE_CHARS = 80
#: the longest schema error message kept
MESSAGE_CHARS = 300
#: errors looked at to choose the one a denial names
MAX_ERRORS = 50
_lock = threading.Lock()
# id(schema dict) -> (the dict, kept alive so its id is not reused, validator)
_by_identity: OrderedDict[int, tuple[dict[str, Any], Validator]] = OrderedDict()
# canonical JSON -> validator, so equal schemas held by different objects compile once
_by_content: OrderedDict[str, Validator] = OrderedDict()
# id(schema dict) -> (the dict, its fast check or None)
_fast: OrderedDict[int, tuple[dict[str, Any], Check | None]] = OrderedDict()


def _search(pattern: str, text: str) -> bool:
    try:
        return compile_linear(pattern).search(text) is not None
    except UnsupportedRegex:
        return False  # refused at upload; an old manifest's pattern denies rather than runs


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MESSAGE_VALUE_CHARS else text[:MESSAGE_VALUE_CHARS] + "…"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{_short(instance)} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _canonical(value: Any) -> Any:
    """A hashable stand-in with JSON Schema's equality (1 == 1.0, true != 1)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", int(value) if isinstance(value, float) and value.is_integer() else value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list):
        return ("l", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("d", frozenset((k, _canonical(v)) for k, v in value.items()))
    return ("z", None) if value is None else ("o", repr(value))


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    # jsonschema's own check is quadratic for objects; this one is linear
    if unique and validator.is_type(instance, "array"):
        seen: set[Any] = set()
        for index, item in enumerate(instance):
            key = _canonical(item)
            if key in seen:
                yield ValidationError(
                    f"has non-unique elements: item {index} ({_short(item)}) repeats an earlier one"
                )
                return
            seen.add(key)


#: keywords whose stock implementation can take super-linear time on hostile input
_LINEAR_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "uniqueItems": _unique_items,
}
_linear_classes: dict[type[Any], type[Any]] = {}


def _linear(cls: type[Any]) -> type[Any]:
    """``cls`` with every keyword matched in bounded time."""
    found = _linear_classes.get(cls)
    if found is None:
        # types-jsonschema leaves extend() unannotated
        found = _linear_classes[cls] = extend(cls, _LINEAR_KEYWORDS)  # type: ignore[no-untyped-call]
    return found


def _compile(schema: dict[str, Any]) -> Validator:
    key = json.dumps(schema, sort_keys=True, separators=(",", ":"), default=str)
    with _lock:
        found = _by_content.get(key)
        if found is not None:
            _by_content.move_to_end(key)
            return found
    base = validator_for(schema, default=Draft202012Validator)
    base.check_schema(schema)
    validator: Validator = _linear(base)(schema)
    with _lock:
        _by_content[key] = validator
        while len(_by_content) > _MAX:
            _by_content.popitem(last=False)
    return validator


def validator_of(schema: dict[str, Any]) -> Validator:
    """The compiled validator of a JSON Schema (compiled once per schema)."""
    entry = _by_identity.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    validator = _compile(schema)
    with _lock:
        _by_identity[id(schema)] = (schema, validator)
        while len(_by_identity) > _MAX:
            _by_identity.popitem(last=False)
    return validator


def _fast_check(schema: dict[str, Any]) -> Check | None:
    entry = _fast.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    validator_of(schema)  # a broken schema raises here, as it must
    check = compile_simple(schema)
    with _lock:
        _fast[id(schema)] = (schema, check)
        while len(_fast) > _MAX:
            _fast.popitem(last=False)
    return check


def schema_error(schema: dict[str, Any], params: Any) -> str | None:
    """Why ``params`` do not validate against ``schema``, or ``None`` if they do."""
    fast = _fast_check(schema)
    if fast is not None and fast(params):
        return None  # the fast check is exact when it says valid
    validator = validator_of(schema)
    errors = list(itertools.islice(validator.iter_errors(params), MAX_ERRORS))
    if not errors:
        return None
    error = best_match(errors) or errors[0]
    where = ".".join(str(p) for p in error.absolute_path)
    message = error.message
    if len(message) > MESSAGE_CHARS:  # jsonschema quotes whole values in its messages
        message = message[:MESSAGE_CHARS] + "…"
    return f"{where}: {message}" if where else message
