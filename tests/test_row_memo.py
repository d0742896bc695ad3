"""``row_key``: a row's exact content as the memo's key, in either of its two forms."""

from __future__ import annotations

from typing import Any

import pytest

from monstrum_tui.server.store.row_memo import RowMemo, row_key, row_of_key

SQLITE_ROW = ("bot_1", 3, 1.5, None, b"\x00x", '{"b": 1, "a": 2}')
POSTGRES_ROW = ("bot_1", 3, {"b": 1, "a": [1, 2]}, True, None)


@pytest.mark.parametrize("raw", [SQLITE_ROW, POSTGRES_ROW, (), ("plain",), ({},)])
def test_the_key_gives_back_the_very_row(raw: tuple[Any, ...]) -> None:
    back = row_of_key(row_key(raw))
    assert back == list(raw)
    assert [type(v) for v in back] == [type(v) for v in raw]


def test_json_keeps_its_keys_order() -> None:
    back = row_of_key(row_key(POSTGRES_ROW))
    assert list(back[2]) == ["b", "a"]
    assert row_key(("x", {"a": 2, "b": 1})) != row_key(("x", {"b": 1, "a": 2}))


@pytest.mark.parametrize("values", [(1, True, 1.0), (0, False, 0.0)])
def test_equal_values_of_other_types_never_meet(values: tuple[Any, ...]) -> None:
    plain = {row_key(("x", v)) for v in values}
    decoded = {row_key(("x", v, {"k": 1})) for v in values}
    assert len(plain) == len(values) and len(decoded) == len(values)


def test_a_row_that_looks_like_a_plain_key_is_not_taken_for_one() -> None:
    raw = ("plain", "a", str)
    assert row_of_key(row_key(raw)) == list(raw)


def test_the_memo_builds_each_content_once_and_each_change_again() -> None:
    built: list[list[Any]] = []

    def build(row: Any) -> str:
        built.append(list(row))
        return repr(row)

    memo: RowMemo[str] = RowMemo(build, 8)
    assert memo.of(["a", 1]) == memo.of(["a", 1]) == repr(["a", 1])
    assert memo.of(["a", True]) == repr(["a", True])
    assert memo.of(["a", {"k": 1}]) == repr(["a", {"k": 1}])
    assert memo.of(["a", {"k": 2}]) == repr(["a", {"k": 2}])
    assert built == [["a", 1], ["a", True], ["a", {"k": 1}], ["a", {"k": 2}]]
