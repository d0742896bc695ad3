"""The hash chain: canonical JSON of an entry and ``SHA-256(previous hash || it)``.

Everything that is hashed is stored exactly as hashed (params and decision are kept
as canonical JSON text), so an independent verifier needs only this module's rules:

- canonical JSON: keys sorted, no whitespace, UTF-8, non-finite floats refused;
- format 2 (every entry written since the write-ahead audit): an entry is chained when
  it is *decided*, before its executor runs, so its hash covers what was asked and
  decided: ``CHAINED_FIELDS_V2`` (all present, null when absent) plus ``"fmt": 2``.
  Its outcome (status, reason, duration, result size), known only afterwards, is bound
  to it by ``outcome_hash = sha256(entry hash || canonical JSON of OUTCOME_FIELDS)``;
  an entry whose outcome is not known yet has status ``pending`` and no outcome hash;
- format 1 (entries written before): one hash over ``CHAINED_FIELDS`` with the outcome;
- timestamps are integer microseconds since the epoch (UTC), params/decision JSON values;
- ``hash = sha256(prev_hash_hex_ascii + canonical_json_utf8).hexdigest()``; the first
  entry's ``prev_hash`` is ``GENESIS``.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

GENESIS = "0" * 64

#: the fields of an entry that the hash covers (``seq`` is the position in the chain)
CHAINED_FIELDS: tuple[str, ...] = (
    "seq",
    "id",
    "timestamp",
    "bot_id",
    "task_id",
    "resource_id",
    "tool_name",
    "operation",
    "params",
    "status",
    "reason",
    "decision",
    "duration_ms",
    "result_size",
)


def _plain(value: Any) -> Any:
    """A JSON-ready copy: non-finite floats and unknown types become strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json"))
    return str(value)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, no ASCII escaping: one text per value."""
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        allow_nan=False,
    )


#: format 2: what is chained when the call is decided (the outcome is hashed apart)
CHAINED_FIELDS_V2: tuple[str, ...] = (
    "seq",
    "id",
    "timestamp",
    "bot_id",
    "task_id",
    "resource_id",
    "tool_name",
    "operation",
    "params",
    "decision",
)
#: format 2: the outcome, bound to the entry by ``outcome_hash``
OUTCOME_FIELDS: tuple[str, ...] = ("status", "reason", "duration_ms", "result_size")
FORMAT_1, FORMAT_2 = 1, 2

_SORTED_FIELDS = tuple(sorted(CHAINED_FIELDS))
_SORTED_FIELDS_V2 = tuple(sorted((*CHAINED_FIELDS_V2, "fmt")))
_RAW_JSON_FIELDS = frozenset({"params", "decision"})


def entry_json(fields: dict[str, Any], fmt: int = FORMAT_2) -> str:
    """The canonical JSON of an entry's chained fields (of format ``fmt``).

    ``params`` and ``decision`` are given as their canonical JSON text (or None), as
    stored, so they are spliced in rather than parsed and dumped again; the result is
    the same text ``canonical_json`` gives for the parsed entry.
    """
    names = _SORTED_FIELDS_V2 if fmt == FORMAT_2 else _SORTED_FIELDS
    parts = []
    for name in names:
        value = FORMAT_2 if name == "fmt" else fields.get(name)
        if name in _RAW_JSON_FIELDS and value is not None:
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        parts.append(f'"{name}":{text}')
    return "{" + ",".join(parts) + "}"


def chain_hash(prev_hash: str, fields: dict[str, Any], fmt: int = FORMAT_2) -> str:
    """``SHA-256(prev_hash || canonical JSON of the chained fields)`` as hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(entry_json(fields, fmt).encode("utf-8"))
    return digest.hexdigest()


def outcome_json(fields: dict[str, Any]) -> str:
    """The canonical JSON of an entry's outcome fields."""
    return json.dumps(
        {name: fields.get(name) for name in OUTCOME_FIELDS}, sort_keys=True,
        separators=(",", ":"), ensure_ascii=False, allow_nan=False,
    )


def outcome_hash(entry_hash: str, fields: dict[str, Any]) -> str:
    """``SHA-256(entry hash || canonical JSON of the outcome)`` as hex."""
    digest = hashlib.sha256(entry_hash.encode("ascii"))
    digest.update(outcome_json(fields).encode("utf-8"))
    return digest.hexdigest()
