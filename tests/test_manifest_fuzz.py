"""The manifest checker never crashes: any value anywhere gives problems, not an exception."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monstrum_tui.server.manifests import check_manifest_text
from monstrum_tui.server.manifests.shipped import shipped_manifest_text
from tests.test_executors import HTTP_MANIFEST

BASES = [yaml.safe_load(HTTP_MANIFEST), yaml.safe_load(shipped_manifest_text("filesystem"))]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False),
    st.sampled_from(["", "{", "}", "{params.x}", "{config.api_base}", "{value}", "[*]", "a..b",
                     "$ref", "#/x", "http://x", "object", "array", "string", "regex", "(",
                     "filesystem.read", "shell", "bearer", "basic", "header", "1.0.0"]),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["type", "properties", "items", "name", "required",
                                         "pattern", "$schema", "$ref", "default", "x"]),
                        inner, max_size=3),
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(BASES), pick=st.integers(0, 10_000), value=values)
def test_any_value_anywhere_is_a_problem_not_a_crash(base, pick, value) -> None:
    manifest = copy.deepcopy(base)
    where = paths(manifest)[1:]
    target = where[pick % len(where)]
    node = manifest
    for part in target[:-1]:
        node = node[part]
    node[target[-1]] = value
    text = json.dumps(manifest)  # JSON is YAML
    result, problems = check_manifest_text(text)
    assert (result is None) == bool(problems)
    for problem in problems:
        assert problem.path and problem.message


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_problem_not_a_crash(text: str) -> None:
    result, problems = check_manifest_text(text)
    assert result is None and problems
