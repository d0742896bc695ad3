"""Compiled input-schema validators, cached: validating params is on the hot path."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from .fastschema import Check, compile_simple

_MAX = 4096
_lock = threading.Lock()
# id(schema dict) -> (the dict, kept alive so its id is not reused, validator)
_by_identity: OrderedDict[int, tuple[dict[str, Any], Validator]] = OrderedDict()
# canonical JSON -> validator, so equal schemas held by different objects compile once
_by_content: OrderedDict[str, Validator] = OrderedDict()
# id(schema dict) -> (the dict, its fast check or None)
_fast: OrderedDict[int, tuple[dict[str, Any], Check | None]] = OrderedDict()


def _compile(schema: dict[str, Any]) -> Validator:
    key = json.dumps(schema, sort_keys=True, separators=(",", ":"), default=str)
    with _lock:
        found = _by_content.get(key)
        if found is not None:
            _by_content.move_to_end(key)
            return found
    cls = validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    validator = cls(schema)
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
    first = next(validator.iter_errors(params), None)
    if first is None:
        return None
    error = best_match(validator.iter_errors(params)) or first
    where = ".".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message
