"""Regular expressions from manifests and bindings, matched in linear time (RE2).

A ``regex`` scope dimension's patterns come from bindings and a tool's
``input_schema`` ``pattern`` from a manifest: text an uploader chose, matched against
text a model chose. Python's ``re`` backtracks (``^(a+)+$`` against 25 ``a`` and a
``!`` takes seconds, doubling per character, and decisions run on the event loop), so
these are compiled with RE2, whose matching time is linear in the text. RE2 has no
lookaround or backreferences: such a pattern is refused where it is written (upload,
binding), with the reason.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships neither stubs nor py.typed

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the user, not to stderr


class UnsupportedRegex(ValueError):
    """A pattern RE2 cannot run (lookaround, backreferences...) or that is not valid."""


def _why_not(pattern: str, where: str = "") -> str | None:
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        try:
            re.compile(pattern)
        except re.error as invalid:
            return f"'{pattern}' is not a valid regular expression{where}: {invalid}"
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return (f"'{pattern}'{where} uses what cannot be matched in linear time ({reason}): "
                "lookahead, lookbehind and backreferences are not supported")
    return None


@functools.lru_cache(maxsize=8192)
def compile_linear(pattern: str) -> Any:
    """The compiled RE2 pattern; ``UnsupportedRegex`` names what is wrong."""
    problem = _why_not(pattern)
    if problem is not None:
        raise UnsupportedRegex(problem)
    return re2.compile(pattern, _OPTIONS)


def regex_problem(pattern: str, where: str = "") -> str | None:
    """Why ``pattern`` cannot be used, or None; ``where`` (" for the dimension 'x'")
    is put after the pattern in the message."""
    return _why_not(pattern, where)
