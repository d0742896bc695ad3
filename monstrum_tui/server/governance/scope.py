"""Scope matching: which values a binding's constraint lets through, and where values live.

A scope dimension names ``param_paths`` (dotted, with ``[*]`` for every element of an
array and ``[N]`` for one) and a ``match_mode``; a binding constrains it with a list of
patterns. Every value found must match one pattern. An absent value, or one that is not
a scalar, matches only the allow-all pattern ``*``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from .regex import compile_linear

#: the pattern that allows every value, in every match mode, including absent ones
ALLOW_ALL = "*"


class _Absent:
    """The value at a path that leads nowhere."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class BadParamPath(ValueError):
    """A ``param_paths`` entry that cannot be parsed."""


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]|(\.)")


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[str | int | None, ...]:
    """``a.b[*].c`` -> ``("a", "b", None, "c")``: names, indexes, ``None`` for ``[*]``."""
    if not path or path.startswith(".") or path.endswith("."):
        raise BadParamPath(f"bad param path {path!r}")
    parts: list[str | int | None] = []
    pos = 0
    expect_name = True
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise BadParamPath(f"bad param path {path!r} at {pos}")
        name, index, dot = m.groups()
        if name is not None:
            if not expect_name:
                raise BadParamPath(f"bad param path {path!r}: a name must follow a dot")
            parts.append(name)
            expect_name = False
        elif index is not None:
            if not parts:
                raise BadParamPath(f"bad param path {path!r}: starts with an index")
            parts.append(None if index == "*" else int(index))
        elif dot is not None:
            if expect_name:
                raise BadParamPath(f"bad param path {path!r}: empty segment")
            expect_name = True
        pos = m.end()
    if expect_name:
        raise BadParamPath(f"bad param path {path!r}: ends with a dot")
    return tuple(parts)


def values_at(params: Any, path: str) -> list[Any]:
    """The values found at ``path`` in ``params``; ``[ABSENT]`` where it leads nowhere.

    ``[*]`` fans out over every element of an array; an empty (or missing) array yields
    one ``ABSENT`` so that "nothing given" is never mistaken for "nothing to check".
    """
    current: list[Any] = [params]
    for part in parse_path(path):
        nxt: list[Any] = []
        for value in current:
            if value is ABSENT:
                nxt.append(ABSENT)
            elif part is None:
                if isinstance(value, list) and value:
                    nxt.extend(value)
                else:
                    nxt.append(ABSENT)
            elif isinstance(part, int):
                if isinstance(value, list) and -1 < part < len(value):
                    nxt.append(value[part])
                else:
                    nxt.append(ABSENT)
            elif isinstance(value, dict) and part in value:
                nxt.append(value[part])
            else:
                nxt.append(ABSENT)
        current = nxt
    return current


def scalar_text(value: Any) -> str | None:
    """The text a pattern is matched against, or ``None`` for absent and non-scalar values.

    ``None`` (JSON null) counts as absent; booleans read as JSON does (``true``).
    """
    if value is ABSENT or value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return None


Predicate = Callable[[str], bool]


@lru_cache(maxsize=8192)
def _compile(match_mode: str, pattern: str) -> Predicate:
    if match_mode == "pattern":
        return re.compile(fnmatch.translate(pattern)).match  # type: ignore[return-value]
    if match_mode == "exact":
        return pattern.__eq__
    if match_mode == "prefix":
        return lambda text: text.startswith(pattern)
    if match_mode == "regex":
        # linear time whatever the pattern or the text (regex.py)
        return compile_linear(pattern).fullmatch  # type: ignore[no-any-return]
    raise ValueError(f"unknown match_mode {match_mode!r}")


class ScopeMatcher:
    """Matches values against one binding constraint (a list of patterns) in one mode.

    Modes: ``pattern`` (case-sensitive glob, as ``fnmatch.fnmatchcase``), ``exact``,
    ``prefix``, ``regex`` (full match, in linear time: RE2). ``*`` allows everything in every mode.
    """

    __slots__ = ("_predicates", "allow_all", "match_mode", "patterns")

    def __init__(self, match_mode: str, patterns: Sequence[str]) -> None:
        self.match_mode = match_mode
        self.patterns = tuple(patterns)
        self.allow_all = ALLOW_ALL in self.patterns
        # a bad regex raises here, and the caller's decision denies
        self._predicates = tuple(
            _compile(match_mode, p) for p in self.patterns if p != ALLOW_ALL
        )

    def matches(self, value: Any) -> bool:
        """Whether one value is allowed."""
        if self.allow_all:
            return True
        text = scalar_text(value)
        if text is None:
            return False
        return any(pred(text) for pred in self._predicates)

    def first_refused(self, values: Iterable[Any]) -> tuple[bool, Any]:
        """``(True, value)`` for the first value not allowed, else ``(False, None)``."""
        if self.allow_all:
            return False, None
        for value in values:
            if not self.matches(value):
                return True, value
        return False, None

    def __repr__(self) -> str:
        return f"ScopeMatcher({self.match_mode!r}, {list(self.patterns)!r})"


@lru_cache(maxsize=8192)
def matcher_for(match_mode: str, patterns: tuple[str, ...]) -> ScopeMatcher:
    """A shared matcher per (mode, patterns): building one compiles its patterns."""
    return ScopeMatcher(match_mode, patterns)
