"""Differential test: the scope matcher and the ``scope`` step of ``decide`` against a small
reference model written from the text of DESIGN §2, not from the code.

    every scope dimension of the resource type holds: for each dimension, the values found
    at its param_paths (dotted paths, [*] for arrays) must each match one entry of the
    binding's constraint for that key, using match_mode (pattern = case-sensitive glob,
    exact, prefix, regex full match). A dimension the binding does not constrain allows
    nothing (write ["*"] to allow all); a value that is absent, or not a scalar, does not
    match anything but *.

Where the text leaves room, the model takes the reading that denies: a path that finds
nothing (a missing key, an empty array, ``[*]`` over a non-array) gives one absent value,
never "no values, nothing to check"; JSON ``null`` counts as absent; ``[N]`` is the Nth
element. A scalar's text is the JSON text of a number or boolean (``true``, ``2``, ``1.5``).
The glob is implemented here by hand (``*``, ``?``, ``[...]``, ``[!...]``) and the regex
mode with Python's ``re``, so neither borrows the code's fnmatch or RE2.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from monstrum_tui.client.models import Bot, ResourceBinding, ScopeDimension, Tool
from monstrum_tui.server.governance import ResourceTool, decide
from monstrum_tui.server.governance.guard import guard_for
from monstrum_tui.server.governance.scope import matcher_for, values_at

# --- the reference model ------------------------------------------------------------------

MISSING = object()


def ref_path(path: str) -> list[str | int | None]:
    """``a.b[*].c[0]`` -> ["a", "b", None, "c", 0]."""
    steps: list[str | int | None] = []
    for part in path.split("."):
        name, *indexes = part.split("[")
        steps.append(name)
        for index in indexes:
            inner = index.rstrip("]")
            steps.append(None if inner == "*" else int(inner))
    return steps


def ref_values(params: Any, path: str) -> list[Any]:
    found = [params]
    for step in ref_path(path):
        nxt = []
        for value in found:
            if step is None:
                if isinstance(value, list) and value:
                    nxt.extend(value)
                else:
                    nxt.append(MISSING)
            elif isinstance(step, int):
                ok = isinstance(value, list) and 0 <= step < len(value)
                nxt.append(value[step] if ok else MISSING)
            else:
                ok = isinstance(value, dict) and step in value
                nxt.append(value[step] if ok else MISSING)
        found = nxt
    return found


def ref_text(value: Any) -> str | None:
    if value is MISSING or value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (str, int, float)):
        return value if isinstance(value, str) else repr(value)
    return None  # an object or an array is not a scalar


def ref_glob(pattern: str, text: str) -> bool:
    """Case-sensitive glob over the whole text: ``*`` any run, ``?`` one character,
    ``[abc]``/``[a-z]``/``[!abc]`` one character of (or not of) a set."""

    def item_at(p: int) -> tuple[Any, int]:
        if pattern[p] == "[":
            end = pattern.find("]", p + 2)
            if end != -1:
                body = pattern[p + 1:end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                return ("set", body, negate), end + 1
        return ("char", pattern[p]), p + 1

    def in_set(body: str, char: str) -> bool:
        i = 0
        while i < len(body):
            if i + 2 < len(body) and body[i + 1] == "-":
                if body[i] <= char <= body[i + 2]:
                    return True
                i += 3
            else:
                if body[i] == char:
                    return True
                i += 1
        return False

    memo: dict[tuple[int, int], bool] = {}

    def match(p: int, t: int) -> bool:
        if (p, t) in memo:
            return memo[(p, t)]
        if p == len(pattern):
            result = t == len(text)
        elif pattern[p] == "*":
            result = match(p + 1, t) or (t < len(text) and match(p, t + 1))
        elif t == len(text):
            result = False
        elif pattern[p] == "?":
            result = match(p + 1, t + 1)
        else:
            item, after = item_at(p)
            hit = in_set(item[1], text[t]) != item[2] if item[0] == "set" else item[1] == text[t]
            result = hit and match(after, t + 1)
        memo[(p, t)] = result
        return result

    return match(0, 0)


def ref_matches(mode: str, pattern: str, value: Any) -> bool:
    if pattern == "*":
        return True
    text = ref_text(value)
    if text is None:
        return False
    if mode == "pattern":
        return ref_glob(pattern, text)
    if mode == "exact":
        return text == pattern
    if mode == "prefix":
        return text.startswith(pattern)
    return re.fullmatch(pattern, text) is not None


def ref_decide(dimensions: list[ScopeDimension], constraints: dict[str, list[str]],
               params: dict[str, Any]) -> tuple[str, str, Any] | None:
    """The first (dimension, path, value) that is not allowed, or None when all hold."""
    for dim in dimensions:
        patterns = constraints.get(dim.key, [])
        for path in dim.param_paths:
            for value in ref_values(params, path):
                if not any(ref_matches(dim.match_mode, p, value) for p in patterns):
                    return dim.key, path, value
    return None


# --- what to try ------------------------------------------------------------------------

KEYS = ["a", "b", "c"]
CHARS = "ab-/.Z0"
scalars = st.one_of(st.text(CHARS, max_size=4), st.integers(-3, 12), st.booleans(),
                    st.none(), st.sampled_from([1.5, 2.0, -0.0, 1e16]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=8,
)
params_st = st.dictionaries(st.sampled_from(KEYS), values, max_size=3)

step = st.one_of(st.sampled_from(KEYS).map(lambda k: "." + k), st.just("[*]"),
                 st.integers(0, 2).map(lambda i: f"[{i}]"))
paths = st.tuples(st.sampled_from(KEYS), st.lists(step, max_size=3)).map(
    lambda t: t[0] + "".join(t[1]))

glob_piece = st.one_of(st.sampled_from(list(CHARS)), st.just("*"), st.just("?"),
                       st.sampled_from(["[ab]", "[!a]", "[0-9]", "[a-c]", "[!-/]"]))
globs = st.lists(glob_piece, max_size=5).map("".join)
plain = st.text(CHARS, max_size=4)
regex_piece = st.one_of(st.sampled_from(list("ab0")), st.sampled_from(
    ["a*", "b+", ".", ".*", "[ab]", "(a|b)", "a|b", "\\d", "-?", "[0-9]+", "(ab)*", "Z?"]))
regexes = st.lists(regex_piece, min_size=1, max_size=4).map("".join)


@st.composite
def dimension_and_patterns(draw: Any, index: int) -> tuple[ScopeDimension, list[str] | None]:
    mode = draw(st.sampled_from(["pattern", "exact", "prefix", "regex"]))
    pattern = {"pattern": globs, "exact": plain, "prefix": plain, "regex": regexes}[mode]
    dim = ScopeDimension(key=f"k{index}", param_paths=draw(st.lists(paths, min_size=1,
                                                                    max_size=2)),
                         match_mode=mode, error_template="{value} is out of scope")
    constraint = draw(st.one_of(
        st.none(),  # the binding does not constrain this dimension
        st.lists(st.one_of(pattern, pattern, pattern, st.just("*")), max_size=3),
    ))
    return dim, constraint


@st.composite
def cases(draw: Any) -> tuple[list[ScopeDimension], dict[str, list[str]], dict[str, Any]]:
    pairs = [draw(dimension_and_patterns(i)) for i in range(draw(st.integers(1, 3)))]
    dims = [d for d, _ in pairs]
    constraints = {d.key: c for d, c in pairs if c is not None}
    return dims, constraints, draw(params_st)


def _setup(dims: list[ScopeDimension], constraints: dict[str, list[str]]):
    tool = Tool(name="t", operation="op.do", input_schema={"type": "object"},
                scope_dimensions=dims)
    bot = Bot(id="bot_1", name="b", status="active", allowed_operations=["*"],
              resource_bindings=[ResourceBinding(resource_id="res_1", allowed_tools=["*"],
                                                 scope_constraints=constraints)],
              created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")
    return bot, {"res_1": [ResourceTool("res_1", tool)]}


def _same_value(ours: Any, theirs: Any) -> bool:
    if theirs is MISSING:
        return ours is None
    return ours == theirs and type(ours) is type(theirs)


@settings(max_examples=500, deadline=None)
@given(cases())
def test_decide_scope_step_agrees_with_the_reference(case) -> None:
    dims, constraints, params = case
    bot, offered = _setup(dims, constraints)
    decision = decide(bot, offered, "t", params)
    expected = ref_decide(dims, constraints, params)
    if expected is None:
        assert decision.allowed, decision.message
        return
    assert not decision.allowed and decision.check == "scope", decision.message
    key, path, value = expected
    assert (decision.dimension, decision.param_path) == (key, path)
    assert _same_value(decision.value, value), (decision.value, value)


@settings(max_examples=500, deadline=None)
@given(mode=st.sampled_from(["pattern", "exact", "prefix", "regex"]), data=st.data())
def test_the_matcher_agrees_value_by_value(mode: str, data) -> None:
    pattern = {"pattern": globs, "exact": plain, "prefix": plain, "regex": regexes}[mode]
    patterns = data.draw(st.lists(st.one_of(pattern, pattern, st.just("*")), max_size=3))
    value = data.draw(st.one_of(values, st.just(MISSING)))
    from monstrum_tui.server.governance.scope import ABSENT

    ours = matcher_for(mode, tuple(patterns)).matches(ABSENT if value is MISSING else value)
    assert ours == any(ref_matches(mode, p, value) for p in patterns)


@settings(max_examples=200, deadline=None)
@given(params=params_st, path=paths)
def test_values_at_agrees_with_the_reference(params, path) -> None:
    ours = values_at(params, path)
    theirs = ref_values(params, path)
    assert len(ours) == len(theirs)
    from monstrum_tui.server.governance.scope import ABSENT

    for o, t in zip(ours, theirs, strict=True):
        assert (o is ABSENT) == (t is MISSING) and (t is MISSING or o == t)


@settings(max_examples=200, deadline=None)
@given(cases(), st.data())
def test_the_guard_an_executor_asks_agrees_with_the_reference(case, data) -> None:
    """An executor asks the guard about a value it derived (a resolved path): the same
    rules, for every dimension that reads that path."""
    dims, constraints, _ = case
    bot, offered = _setup(dims, constraints)
    allowed_everything = {d.key: ["*"] for d in dims}
    bot_all, offered_all = _setup(dims, allowed_everything)
    decision = decide(bot_all, offered_all, "t", {})
    assert decision.allowed
    guard = guard_for(bot, offered, decision)
    path = data.draw(st.sampled_from([p for d in dims for p in d.param_paths]))
    value = data.draw(scalars)
    expected = all(
        any(ref_matches(d.match_mode, p, value) for p in constraints.get(d.key, []))
        for d in dims if path in d.param_paths
    )
    assert guard.allows(path, value) == expected
