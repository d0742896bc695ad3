"""Idempotency keys: what makes a retried create run once.

The client sends an ``Idempotency-Key`` on every request that changes something, the
same one on each retry of that call; the server keeps the first answer under that key
(per API key, for a day) and replays it for a repeat. The rule for what a key may be
lives here, for both sides.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: methods that change nothing, so need no key
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_KEY_LENGTH = 255
_VALID_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")


def new_idempotency_key() -> str:
    """A fresh random key for one call."""
    return f"mst-idem-{uuid.uuid4().hex}"


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an idempotency key, or None if it can."""
    if _VALID_KEY.fullmatch(key):
        return None
    if not key.strip():
        return "it is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"it is longer than {MAX_KEY_LENGTH} characters"
    return "it may hold only printable ASCII characters, without spaces"


def check_idempotency_key(key: str) -> str:
    """``key`` if it is a valid idempotency key; a ``ValueError`` saying why not otherwise."""
    if not isinstance(key, str):
        raise TypeError(f"idempotency_key must be a string, not {type(key).__name__}")
    problem = key_problem(key)
    if problem is not None:
        raise ValueError(f"idempotency_key {key!r} is not usable: {problem}")
    return key


def with_idempotency_key(
    method: str, headers: Mapping[str, str], key: str | None = None
) -> dict[str, str]:
    """``headers`` plus an ``Idempotency-Key`` if ``method`` changes something.

    A key already in ``headers`` wins (as in openai-python), then ``key``, then a new one.
    """
    out = dict(headers)
    if method.upper() in SAFE_METHODS:
        return out
    given = next((v for k, v in out.items() if k.lower() == IDEMPOTENCY_HEADER.lower()), None)
    if given is not None:
        check_idempotency_key(given)
        return out
    out[IDEMPOTENCY_HEADER] = check_idempotency_key(key) if key is not None else (
        new_idempotency_key()
    )
    return out
