"""Keeping secrets out of everything the platform shows: results, errors, events, audit.

``Redactor`` knows a call's secrets (the resource's credentials, values derived from
them, a model provider's key) in every encoding an executor or an upstream can echo
them back in: raw, percent-encoded (path and query forms, ``+`` for spaces),
JSON-escaped, and base64 (standard and URL-safe, padded or not) of the raw value. It
replaces each with ``***``; callers redact *before* they shorten text, so a cut can
never leave a secret's prefix behind.

``redact_params`` hides the values of secret-looking keys in params a model wrote, and
``wire_safe`` makes any text storable and hashable (lone surrogates become U+FFFD).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "***"
#: shorter values are not redacted as substrings (they would blot out ordinary text)
MIN_REDACTED_LENGTH = 4

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|authorization|credential|private[_-]?key)",
    re.IGNORECASE,
)


def encodings_of(secret: str) -> set[str]:
    """Every form of ``secret`` that may come back in a result, an error or a URL."""
    raw = secret.encode("utf-8", errors="surrogatepass")
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode("ascii")
        forms.update({text, text.rstrip("=")})
    return {f for f in forms if len(f) >= MIN_REDACTED_LENGTH}


class Redactor:
    """Replaces a set of secrets, in all their encodings, by ``***``."""

    __slots__ = ("_forms", "secrets")

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        forms: set[str] = set()
        kept: list[str] = []
        for value in secrets:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if isinstance(value, str) and len(value) >= MIN_REDACTED_LENGTH:
                kept.append(value)
                forms |= encodings_of(value)
        #: the raw secrets (to build a larger redactor from this one)
        self.secrets: tuple[str, ...] = tuple(kept)
        # longest first: a form that contains another is replaced whole
        self._forms = tuple(sorted(forms, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._forms)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with secrets replaced in every string and key."""
        if not self._forms:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


_registry_lock = threading.Lock()
#: secrets the process holds for its whole life (a model provider's key)
_process_secrets: set[str] = set()
#: redactors of calls running now, so a log line written meanwhile is redacted too
_active: dict[int, Redactor] = {}


def register_process_secret(value: str) -> None:
    """A secret redacted from every log line of this process from now on."""
    if value and len(value) >= MIN_REDACTED_LENGTH:
        with _registry_lock:
            _process_secrets.add(value)


@contextmanager
def secrets_in_use(redactor: Redactor) -> Iterator[None]:
    """While the block runs, log lines are redacted of ``redactor``'s secrets as well."""
    with _registry_lock:
        _active[id(redactor)] = redactor
    try:
        yield
    finally:
        with _registry_lock:
            _active.pop(id(redactor), None)


def redact_known(text: str) -> str:
    """``text`` without any secret the process knows of now (for log lines)."""
    with _registry_lock:
        redactors = list(_active.values())
        static = list(_process_secrets)
    if static:
        redactors.append(Redactor(static))
    for redactor in redactors:
        text = redactor.text(text)
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis; redact before calling this."""
    return text if len(text) <= limit else text[:limit] + "…"


def shorten_strings(value: Any, limit: int) -> Any:
    """A JSON-like value with every string cut to ``limit`` (redact before calling this)."""
    if isinstance(value, str):
        return shorten(value, limit)
    if isinstance(value, dict):
        return {k: shorten_strings(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten_strings(v, limit) for v in value]
    return value


def redact_params(value: Any) -> Any:
    """A copy of ``value`` with the values of secret-looking keys replaced by ``***``."""
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else redact_params(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_params(v) for v in value]
    return value


def _safe_str(text: str) -> str:
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def wire_safe(value: Any) -> Any:
    """A JSON-like value whose strings all encode as UTF-8 (lone surrogates -> U+FFFD)."""
    if isinstance(value, str):
        return _safe_str(value)
    if isinstance(value, dict):
        return {_safe_str(str(k)): wire_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_safe(v) for v in value]
    return value


def invalid_text_at(value: Any, path: str = "") -> str | None:
    """Where a lone surrogate (text that is not valid Unicode) sits in a JSON-like value."""
    if isinstance(value, str):
        return None if _safe_str(value) is value else (path or "(the value)")
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _safe_str(key) is not key:
                return where
            found = invalid_text_at(item, where)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = invalid_text_at(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
