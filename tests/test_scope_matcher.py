"""Property tests of the scope matcher: nothing outside the patterns gets in; all inside do."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from fnmatch import fnmatchcase

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from monstrum_tui.client.models import Bot, Tool
from monstrum_tui.server.governance import ABSENT, ResourceTool, ScopeMatcher, decide, values_at

ALPHABET = "abcXY-_./0"
texts = st.text(alphabet=ALPHABET, max_size=12)
glob_patterns = st.text(alphabet=ALPHABET + "*?", min_size=1, max_size=8)
pattern_lists = st.lists(glob_patterns, min_size=1, max_size=4)
non_scalars = st.one_of(
    st.lists(texts, max_size=3), st.dictionaries(texts, texts, max_size=2), st.none()
)


@given(pattern_lists, texts)
def test_pattern_mode_allows_exactly_what_fnmatchcase_allows(patterns, value) -> None:
    matcher = ScopeMatcher("pattern", patterns)
    assert matcher.matches(value) == any(fnmatchcase(value, p) for p in patterns)


@given(st.lists(texts, min_size=1, max_size=4), texts)
def test_exact_and_prefix_modes(patterns, value) -> None:
    assume("*" not in patterns)
    assert ScopeMatcher("exact", patterns).matches(value) == (value in patterns)
    assert ScopeMatcher("prefix", patterns).matches(value) == any(
        value.startswith(p) for p in patterns
    )


@given(st.lists(st.sampled_from(["a+", "b.c", "[0-9]+", "x|y", "ab?", "(a|b)*c"]), min_size=1),
       texts)
def test_regex_mode_is_a_full_match(patterns, value) -> None:
    assert ScopeMatcher("regex", patterns).matches(value) == any(
        re.fullmatch(p, value) for p in patterns
    )


@st.composite
def pattern_and_instance(draw):
    """A glob and a value built to match it (stars filled with anything, ? with one char)."""
    pattern = draw(glob_patterns)
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(draw(st.text(alphabet=ALPHABET, max_size=4)))
        elif ch == "?":
            out.append(draw(st.sampled_from(ALPHABET)))
        else:
            out.append(ch)
    return pattern, "".join(out)


@given(pattern_and_instance(), pattern_lists)
def test_every_value_inside_a_pattern_is_allowed(pair, others) -> None:
    pattern, value = pair
    assert ScopeMatcher("pattern", [*others, pattern]).matches(value)


@given(st.lists(st.text(alphabet="abc", min_size=1, max_size=5), min_size=1), texts)
def test_a_value_outside_literal_patterns_is_never_allowed(patterns, suffix) -> None:
    # literal patterns over a,b,c; a value starting with 'Z' can match none of them
    value = "Z" + suffix
    for mode in ("pattern", "exact", "prefix", "regex"):
        assert not ScopeMatcher(mode, patterns).matches(value)


@given(pattern_lists, non_scalars)
def test_absent_and_non_scalar_values_match_only_the_star(patterns, value) -> None:
    for mode in ("pattern", "exact", "prefix"):
        matcher = ScopeMatcher(mode, patterns)
        assert matcher.matches(value) == ("*" in patterns)
        assert matcher.matches(ABSENT) == ("*" in patterns)


@given(texts, st.sampled_from(["pattern", "exact", "prefix", "regex"]))
def test_star_allows_everything_in_every_mode(value, mode) -> None:
    matcher = ScopeMatcher(mode, ["*"])
    assert matcher.matches(value) and matcher.matches(ABSENT) and matcher.matches([1, 2])


def test_numbers_and_booleans_match_as_their_json_text() -> None:
    assert ScopeMatcher("exact", ["5"]).matches(5)
    assert ScopeMatcher("exact", ["true"]).matches(True)
    assert not ScopeMatcher("exact", ["True"]).matches(True)
    assert ScopeMatcher("pattern", ["1.*"]).matches(1.5)


def test_values_at_follows_dots_indexes_and_stars() -> None:
    params = {"a": {"b": [{"c": 1}, {"c": 2}, {}]}, "l": ["x", "y"], "e": []}
    assert values_at(params, "a.b[*].c") == [1, 2, ABSENT]
    assert values_at(params, "a.b[1].c") == [2]
    assert values_at(params, "l[*]") == ["x", "y"]
    assert values_at(params, "l") == [["x", "y"]]
    assert values_at(params, "e[*]") == [ABSENT]  # an empty array is not "nothing to check"
    assert values_at(params, "missing.deeper") == [ABSENT]
    assert values_at(params, "l[9]") == [ABSENT]


# --- arrays through the whole decision --------------------------------------------

NOW = datetime.now(timezone.utc)
ARRAY_TOOL = Tool(
    name="fs_read_many",
    operation="files.read",
    input_schema={"type": "object", "properties": {"paths": {"type": "array"}}},
    scope_dimensions=[
        {"key": "paths", "param_paths": ["paths[*]"], "match_mode": "pattern",
         "error_template": "path {value} is out of scope"}
    ],
)
OFFERED = {"res_fs": [ResourceTool("res_fs", ARRAY_TOOL)]}


def _bot(patterns: list[str]) -> Bot:
    return Bot(
        id="bot_p", name="p", created_at=NOW, updated_at=NOW, allowed_operations=["files.*"],
        resource_bindings=[{"resource_id": "res_fs", "allowed_tools": ["*"],
                            "scope_constraints": {"paths": patterns}}],
    )


@settings(max_examples=200)
@given(pattern_lists, st.lists(st.one_of(texts, non_scalars), max_size=5))
def test_an_array_is_allowed_only_if_every_element_matches(patterns, elements) -> None:
    decision = decide(_bot(patterns), OFFERED, "fs_read_many", {"paths": elements})
    if "*" in patterns:
        assert decision.allowed
        return
    every = bool(elements) and all(
        isinstance(e, str) and any(fnmatchcase(e, p) for p in patterns) for e in elements
    )
    assert decision.allowed == every, decision
    if not decision.allowed:
        assert decision.check == "scope" and decision.param_path == "paths[*]"
        assert decision.allowed_patterns == patterns
