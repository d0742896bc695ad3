"""Semantic versions (semver 2.0.0): parsing and precedence, for manifest upgrades."""

from __future__ import annotations

import re
from functools import total_ordering

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


@total_ordering
class Version:
    """A parsed semver; compares by precedence (build metadata is ignored)."""

    def __init__(self, text: str) -> None:
        match = SEMVER_RE.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a semantic version like 1.0.0")
        self.text = text
        self.core = (int(match[1]), int(match[2]), int(match[3]))
        self.pre: tuple[str, ...] = tuple(match[4].split(".")) if match[4] else ()

    def _key(self) -> tuple[object, ...]:
        # a release sorts after its pre-releases; numeric identifiers before alphanumeric
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.core, 1 if not self.pre else 0, pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.text


def is_semver(text: str) -> bool:
    return SEMVER_RE.match(text) is not None
