"""The fast schema check answers exactly like jsonschema whenever it answers at all."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from monstrum_tui.client.models import Decision
from monstrum_tui.server.governance.decide import _decision
from monstrum_tui.server.governance.fastschema import compile_simple

TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
names = st.sampled_from(["a", "b", "c", "project", "n"])


def schemas(depth: int = 2):
    leaf = st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES),
                                                               min_size=1, max_size=3,
                                                               unique=True)),
            "minLength": st.integers(0, 3), "maxLength": st.integers(0, 3),
            "minimum": st.one_of(st.integers(-2, 2), st.floats(-2, 2)),
            "maximum": st.integers(-2, 2), "minItems": st.integers(0, 2),
            "maxItems": st.integers(0, 2), "default": st.integers(),
            "description": st.text(max_size=3),
        },
    )
    if depth == 0:
        return leaf
    child = schemas(depth - 1)
    return st.one_of(
        leaf,
        st.fixed_dictionaries(
            {"type": st.just("object")},
            optional={
                "properties": st.dictionaries(names, child, max_size=3),
                "required": st.lists(names, max_size=3, unique=True),
                "additionalProperties": st.booleans(),
            },
        ),
        st.fixed_dictionaries({"type": st.just("array")}, optional={"items": child}),
    )


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3),
              st.sampled_from([1.0, 2.0, -0.0]), st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(names, inner, max_size=3)),
    max_leaves=8,
)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3),
                   st.sampled_from([0, 1, 1.0, 2.0, -0.0, 1.5, True, False]),
                   st.text(max_size=4), st.lists(st.integers(0, 1), max_size=3),
                   st.dictionaries(names, st.integers(0, 1), max_size=2))


def _agree(schema, value) -> None:
    check = compile_simple(schema)
    assert check is not None, schema
    assert check(value) == Draft202012Validator(schema).is_valid(value), (schema, value)


@settings(max_examples=800)
@given(schemas(0), scalars)
def test_fast_check_agrees_on_leaf_schemas(schema, value) -> None:
    _agree(schema, value)


@settings(max_examples=800)
@given(schemas(), json_values)
def test_fast_check_agrees_on_nested_schemas(schema, value) -> None:
    _agree(schema, value)


@settings(max_examples=800)
@given(
    st.fixed_dictionaries(
        {"type": st.just("object"),
         "properties": st.dictionaries(names, schemas(0), min_size=1, max_size=3)},
        optional={"required": st.lists(names, max_size=3, unique=True),
                  "additionalProperties": st.booleans()},
    ),
    st.dictionaries(names, scalars, max_size=4),
)
def test_fast_check_agrees_on_tool_like_schemas(schema, params) -> None:
    _agree(schema, params)


def test_edge_cases_agree() -> None:
    cases = [
        ({"type": "integer"}, 1.0), ({"type": "integer"}, True), ({"type": "integer"}, 1.5),
        ({"type": "number"}, False), ({"type": "boolean"}, 0), ({"type": "null"}, 0),
        ({"required": ["a"]}, 5), ({"required": ["a"]}, {}), ({"minLength": 1}, 5),
        ({"maximum": 1}, True), ({"minimum": 0}, -0.0), ({"additionalProperties": False}, []),
        ({"additionalProperties": False, "properties": {"a": {}}}, {"b": 1}),
        ({"type": ["string", "null"]}, None), ({"items": {"type": "string"}}, "abc"),
    ]
    for schema, value in cases:
        _agree(schema, value)


def test_unknown_keywords_are_left_to_jsonschema() -> None:
    assert compile_simple({"type": "string", "pattern": "^a"}) is None
    assert compile_simple({"type": "object", "properties": {"a": {"enum": [1]}}}) is None
    assert compile_simple({"$ref": "#/x"}) is None
    assert compile_simple({"type": "object", "additionalProperties": {"type": "string"}}) is None
    assert compile_simple({"type": "object", "properties": {"a": {"type": "string"}}})


def test_hot_path_decisions_are_real_decisions() -> None:
    fast = _decision(allowed=False, check="scope", message="m", value=["x"],
                     allowed_patterns=["a*"])
    slow = Decision(allowed=False, check="scope", message="m", value=["x"],
                    allowed_patterns=["a*"])
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
