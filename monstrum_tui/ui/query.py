"""The filter line's language, as k9s users read it: ``bot:ops-runner status:denied 1h deploy``.

A query is ``key:value`` terms and free words. Each list declares the keys it knows
(``QuerySyntax``); a value with spaces is quoted (``res:"Demo shell"``); a bare duration
(``1h``, ``15m``) means ``since:`` where the list has one; a key the list does not know
is a problem the line names, and nothing is applied. Pure data: the widget
(``widgets/query_line.py``) draws it, screens turn it into what they ask the server.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

#: a duration back from now: 90s, 15m, 1h, 24h, 7d, 2w
DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: completions shown at most
MAX_SUGGESTIONS = 6


def parse_duration(text: str) -> timedelta | None:
    """``15m`` -> 15 minutes; None if it is not a duration."""
    match = DURATION.match(text.strip().lower())
    if not match:
        return None
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class QueryKey:
    """One key a list's filter line understands."""

    name: str
    help: str
    #: other spellings (``resource`` for ``res``)
    aliases: tuple[str, ...] = ()
    #: fixed values (statuses); names come from ``values`` at run time instead
    choices: tuple[str, ...] = ()
    #: a duration key (``since``): completes 15m, 1h, 24h, 7d, and takes bare durations
    duration: bool = False


@dataclass(frozen=True)
class QuerySyntax:
    """The keys of one list's filter line; an empty syntax is a plain text filter."""

    keys: tuple[QueryKey, ...] = ()
    #: what free words match, for the placeholder (``name, id, model``)
    text_help: str = "text"

    def key(self, name: str) -> QueryKey | None:
        wanted = name.lower()
        return next((k for k in self.keys if wanted == k.name or wanted in k.aliases), None)

    @property
    def duration_key(self) -> QueryKey | None:
        return next((k for k in self.keys if k.duration), None)

    def placeholder(self) -> str:
        if not self.keys:
            return f"filter: {self.text_help}…"
        shown = " ".join(f"{k.name}:" for k in self.keys[:4])
        return f"{shown} … or {self.text_help} (tab completes)"


@dataclass(frozen=True)
class Query:
    """A parsed filter line: ``terms`` (key -> value, last wins) and free ``words``."""

    terms: dict[str, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.words

    def get(self, key: str) -> str | None:
        return self.terms.get(key)

    def without(self, key: str) -> Query:
        return Query({k: v for k, v in self.terms.items() if k != key}, self.words)

    def to_text(self) -> str:
        """The line that parses back to this query."""
        parts = [f"{key}:{quote(value)}" for key, value in self.terms.items()]
        parts += [quote(word) for word in self.words]
        return " ".join(parts)


class QueryProblem(ValueError):
    """The line cannot be applied; the message says which part and why."""


def quote(value: str) -> str:
    return f'"{value}"' if not value or any(c.isspace() or c == '"' for c in value) else value


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, posix=True)
    except ValueError:  # an open quote: take the rest as one word
        head, _, rest = line.partition('"')
        return [*head.split(), rest] if rest else head.split()


def parse_query(line: str, syntax: QuerySyntax) -> Query:
    """The query a line says; ``QueryProblem`` names an unknown key or a bad value."""
    terms: dict[str, str] = {}
    words: list[str] = []
    duration_key = syntax.duration_key
    for token in _split(line):
        name, sep, value = token.partition(":")
        if sep and name and syntax.keys and re.fullmatch(r"[A-Za-z_]+", name):
            key = syntax.key(name)
            if key is None:
                known = ", ".join(f"{k.name}:" for k in syntax.keys)
                raise QueryProblem(f"{name}: is not a key here (keys: {known})")
            value = value.strip()
            if not value:
                raise QueryProblem(f"{key.name}: needs a value")
            if key.choices and value not in key.choices:
                found = [c for c in key.choices if c.startswith(value.lower())]
                if len(found) != 1:
                    raise QueryProblem(
                        f"{key.name}:{value}: one of {', '.join(key.choices)}")
                value = found[0]
            if key.duration and parse_duration(value) is None:
                raise QueryProblem(f"{key.name}:{value}: a duration such as 15m, 1h, 7d")
            terms[key.name] = value
        elif duration_key is not None and parse_duration(token) is not None:
            terms[duration_key.name] = token.lower()
        else:
            words.append(token)
    return Query(terms, tuple(words))


# --- completion -----------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A completion: the token to put in place of the one being typed, and its label."""

    token: str
    label: str
    detail: str = ""


ValuesOf = Callable[[QueryKey], Sequence[tuple[str, str]]]


def current_token(line: str, cursor: int) -> tuple[int, int]:
    """The (start, end) of the word the cursor is in or just after."""
    start = cursor
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    end = cursor
    while end < len(line) and not line[end].isspace():
        end += 1
    return start, end


def _rank(text: str, needle: str) -> int | None:
    """0 prefix, 1 prefix of a word, 2 anywhere; None if ``needle`` is not in it."""
    hay, want = text.casefold(), needle.casefold()
    if not want or hay.startswith(want):
        return 0
    if re.search(r"(^|[\s_\-./(])" + re.escape(want), hay):
        return 1
    return 2 if want in hay else None


DURATION_CHOICES = ("15m", "1h", "24h", "7d")


def suggestions(token: str, syntax: QuerySyntax, values_of: ValuesOf) -> list[Suggestion]:
    """Completions for the token being typed, best first.

    ``key:part`` completes the key's values; a bare word completes keys and the values of
    every key (``ops`` -> ``bot:ops-runner``), so one word and ``tab`` make a term.
    """
    if not syntax.keys:
        return []
    name, sep, part = token.partition(":")
    ranked: list[tuple[int, int, str, Suggestion]] = []

    def offer(order: int, key: QueryKey, value: str, label: str, against: str) -> None:
        rank = _rank(against, part if sep else token)
        if rank is not None:
            detail = key.help if label == value else value
            ranked.append((rank, order, label.casefold(),
                           Suggestion(f"{key.name}:{quote(value)}", f"{key.name}:{label}",
                                      detail)))

    for order, key in enumerate(syntax.keys):
        if sep and syntax.key(name) is not key:
            continue
        candidates: list[tuple[str, str]] = [(c, c) for c in key.choices]
        if key.duration:
            candidates += [(d, d) for d in DURATION_CHOICES]
        candidates += list(values_of(key))
        for value, label in candidates:
            offer(order, key, value, label, label)
            if label != value:
                offer(order, key, value, label, value)
        if not sep and _rank(key.name, token) == 0:
            ranked.append((0, -1, key.name, Suggestion(f"{key.name}:", f"{key.name}:",
                                                       key.help)))
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    out: list[Suggestion] = []
    for *_ignored, suggestion in ranked:
        if suggestion.token not in {s.token for s in out}:
            out.append(suggestion)
        if len(out) >= MAX_SUGGESTIONS:
            break
    return out
