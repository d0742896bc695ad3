"""Turning what a person types (an id or a name) into one object's id.

One rule for the CLI and the dashboard alike: an exact id, then an exact name, then a
name equal but for case; with ``partial`` (lookups only, never for changes) also a
unique piece of a name or id. Nothing found is ``UnknownName``, several are
``AmbiguousName``: never an empty result that reads as "no entries".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .errors import MonstrumError, NotFoundError

#: near names listed in an UnknownName message
SHOWN = 5


class UnknownName(NotFoundError):
    """No object has this id or name (a 404 raised by the client, with no request)."""

    def __init__(self, kind: str, ref: str, near: list[str] | None = None) -> None:
        hint = f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
        super().__init__(f"no {kind} named {ref!r} (nor with that id){hint}",
                         status_code=404, type="not_found")
        self.kind = kind
        self.ref = ref


class AmbiguousName(MonstrumError):
    """Several objects answer to this name; ``candidates`` are their (id, name) pairs."""

    def __init__(self, kind: str, ref: str, candidates: list[tuple[str, str]]) -> None:
        listed = ", ".join(f"{name} ({ident})" for ident, name in candidates[:SHOWN])
        more = f" and {len(candidates) - SHOWN} more" if len(candidates) > SHOWN else ""
        super().__init__(f"{len(candidates)} {kind}s answer to {ref!r}: {listed}{more}; "
                         "give the id")
        self.kind = kind
        self.ref = ref
        self.candidates = candidates


def pick_named(
    ref: str, choices: Iterable[tuple[str, str]], *, kind: str, partial: bool = False
) -> str:
    """The id among ``(id, name)`` choices that ``ref`` names; see the module docstring."""
    wanted = ref.strip()
    items = list(dict.fromkeys(choices))
    if not wanted:
        raise UnknownName(kind, ref)
    tests: tuple[Callable[[str, str], bool], ...] = (
        lambda i, n: i == wanted,
        lambda i, n: n == wanted,
        lambda i, n: n.casefold() == wanted.casefold(),
    )
    for test in tests:
        found = [(i, n) for i, n in items if test(i, n)]
        if len(found) == 1:
            return found[0][0]
        if len(found) > 1:
            raise AmbiguousName(kind, ref, found)
    folded = wanted.casefold()
    pieces = [(i, n) for i, n in items if folded in n.casefold() or folded in i.casefold()]
    if partial:
        if len(pieces) == 1:
            return pieces[0][0]
        if len(pieces) > 1:
            raise AmbiguousName(kind, ref, pieces)
    raise UnknownName(kind, ref, [n for _i, n in pieces[:SHOWN]])
