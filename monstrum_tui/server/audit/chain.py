"""The hash chain: canonical JSON of an entry and ``SHA-256(previous hash || it)``.

Everything that is hashed is stored exactly as hashed (params and decision are kept
as canonical JSON text), so an independent verifier needs only this module's rules:

- canonical JSON: keys sorted, no whitespace, UTF-8, non-finite floats refused;
- the fields, always all present (null when absent): ``CHAINED_FIELDS``, with the
  timestamp as integer microseconds since the epoch (UTC) and params/decision as
  JSON values;
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


_SORTED_FIELDS = tuple(sorted(CHAINED_FIELDS))
_RAW_JSON_FIELDS = frozenset({"params", "decision"})


def entry_json(fields: dict[str, Any]) -> str:
    """The canonical JSON of an entry's chained fields.

    ``params`` and ``decision`` are given as their canonical JSON text (or None), as
    stored, so they are spliced in rather than parsed and dumped again; the result is
    the same text ``canonical_json`` gives for the parsed entry.
    """
    parts = []
    for name in _SORTED_FIELDS:
        value = fields.get(name)
        if name in _RAW_JSON_FIELDS and value is not None:
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        parts.append(f'"{name}":{text}')
    return "{" + ",".join(parts) + "}"


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """``SHA-256(prev_hash || canonical JSON of the chained fields)`` as hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(entry_json(fields).encode("utf-8"))
    return digest.hexdigest()
