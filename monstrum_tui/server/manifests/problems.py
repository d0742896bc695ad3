"""Problems found in a manifest, each with its path and (for YAML) its line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Loc = tuple[str | int, ...]


def format_loc(loc: Sequence[str | int]) -> str:
    """``("tools", 2, "name")`` -> ``tools[2].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "manifest"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path} line {self.line}" if self.line else self.path
        return f"{where}: {self.message}"

    def as_field(self) -> dict[str, Any]:
        """The shape of an API error's ``fields`` entry."""
        out: dict[str, Any] = {"field": self.path, "message": self.message}
        if self.line:
            out["line"] = self.line
        return out


@dataclass
class LineMap:
    """Where each value (and each mapping key) starts in the YAML text, by location."""

    values: dict[Loc, int] = field(default_factory=dict)
    keys: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc, *, key: bool = False) -> int | None:
        """The line of ``loc``: its key's line when it is a mapping entry (a block value
        starts on the line after its key), else its value's, else its nearest parent's."""
        if loc in self.keys:
            return self.keys[loc]
        for end in range(len(loc), -1, -1):
            line = self.values.get(loc[:end])
            if line is not None:
                return line
        return None


class Problems:
    """Collects problems; ``add`` looks the line up from the location."""

    def __init__(self, lines: LineMap | None = None) -> None:
        self.lines = lines or LineMap()
        self.items: list[Problem] = []
        self._seen: set[tuple[str, str]] = set()

    def add(
        self, loc: Loc, message: str, *, key: bool = False, line: int | None = None
    ) -> None:
        """Record a problem at ``loc`` (``key``: point at the key's line, not its value's)."""
        path = format_loc(loc)
        if (path, message) in self._seen:
            return
        self._seen.add((path, message))
        self.items.append(Problem(path, message, line or self.lines.line_of(loc, key=key)))

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.line or 0, p.path))


class ManifestInvalid(ValueError):
    """The manifest was refused; ``problems`` names every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        head = f"invalid manifest ({count} problem{'s' if count != 1 else ''})"
        super().__init__(head + ": " + "; ".join(str(p) for p in problems))
