"""Keeping secrets out of everything the platform shows: results, errors, events, audit.

``Redactor`` knows a call's secrets (the resource's credentials, values derived from
them, a model provider's key) in every encoding an executor or an upstream can echo
them back in: raw, percent-encoded (path and query forms, ``+`` for spaces, either case
of hex), JSON-escaped (Python, Go and PHP styles), HTML-escaped, and base64 (standard
and URL-safe, padded or not) of the raw value. It
replaces each with ``***``; callers redact *before* they shorten text, so a cut can
never leave a secret's prefix behind.

``redact_params`` hides the values of secret-looking keys in params a model wrote, and
``wire_safe`` makes any value storable and hashable (lone surrogates become U+FFFD,
nesting is cut at ``MAX_JSON_DEPTH``).
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

from ..client.models import MAX_JSON_DEPTH

REDACTED = "***"
#: shorter values are not redacted as substrings (they would blot out ordinary text)
MIN_REDACTED_LENGTH = 4

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|authorization|credential|private[_-]?key)",
    re.IGNORECASE,
)


_PERCENT_ESCAPE = re.compile("%[0-9A-F]{2}")


def _json_forms(secret: str) -> set[str]:
    """JSON string escapes as Python writes them, as Go does (``<``, ``>``, ``&`` as
    ``\\u003c``...) and as PHP does (``/`` as ``\\/``, non-ASCII as ``\\u00e9``)."""
    forms = set()
    for ascii_only in (True, False):
        plain = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        for html_safe in (False, True):
            text = plain
            if html_safe:
                text = (text.replace("<", "\\u003c").replace(">", "\\u003e")
                        .replace("&", "\\u0026"))
            forms |= {text, text.replace("/", "\\/")}
    return forms


def _html_forms(secret: str) -> set[str]:
    """HTML-escaped, with each way quotes are written (an error page echoing a value)."""
    base = secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {base.replace('"', dq).replace("'", sq)
            for dq in ('"', "&quot;", "&#34;") for sq in ("'", "&#x27;", "&#39;")}


def encodings_of(secret: str) -> set[str]:
    """Every form of ``secret`` that may come back in a result, an error or a URL: raw,
    percent-encoded (path and query forms, either case of hex), JSON-escaped (as Python,
    Go and PHP write it), HTML-escaped, and base64 of the raw value."""
    raw = secret.encode("utf-8", errors="surrogatepass")
    percent = {quote(secret, safe=""), quote(secret), quote_plus(secret),
               quote_plus(secret, safe="")}
    forms = {secret, *percent, *_json_forms(secret), *_html_forms(secret)}
    forms |= {_PERCENT_ESCAPE.sub(lambda m: m.group(0).lower(), f) for f in percent}
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


#: what is stored in place of an object or array nested deeper than ``MAX_JSON_DEPTH``
TOO_DEEP = "…(nested too deep)"


def wire_safe(value: Any, _depth: int = 0) -> Any:
    """A JSON-like value whose strings all encode as UTF-8 (lone surrogates -> U+FFFD) and
    whose nesting stops at ``MAX_JSON_DEPTH`` (deeper objects and arrays become
    ``TOO_DEEP``): it can be stored, hashed, and serialized back by every reader."""
    if isinstance(value, str):
        return _safe_str(value)
    if isinstance(value, (dict, list, tuple)) and _depth >= MAX_JSON_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        return {_safe_str(str(k)): wire_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_safe(v, _depth + 1) for v in value]
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
