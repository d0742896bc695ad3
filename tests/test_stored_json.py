"""JSON columns are read back by ``read_json``: pydantic's parser, with ``json.loads`` for
what it refuses, so every stored document reads back as the value the standard library
gives (the store writes with ``json.dumps``)."""

from __future__ import annotations

import json
import random

import pytest

from monstrum_tui.server.store.database import make_engine, read_json

AWKWARD = [
    '"\\ud800"',  # a lone surrogate, as json.dumps escapes it: pydantic's parser refuses it
    '{"k": "\\udfff tail", "n": [1, 2]}',
    '"\\ud83d\\ude00"', '"\\u0000"', "-0", "-0.0", "1e-400", "1e400", "5e-324",
    "123456789012345678901234567890", "0.30000000000000004", "[NaN, Infinity, -Infinity]",
    '{"a": 1, "a": 2}', '  {"a" : [] }  ', "null", "true",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_documents_read_as_json_loads_reads_them(text: str) -> None:
    assert repr(read_json(text)) == repr(json.loads(text))
    assert repr(read_json(text.encode())) == repr(json.loads(text.encode()))


def test_random_documents_read_as_json_loads_reads_them() -> None:
    rng = random.Random(5)

    def char() -> str:
        ranges = [(0, 0x7F), (0x80, 0xD7FF), (0xD800, 0xDFFF), (0xE000, 0x10FFFF)]
        return chr(rng.randint(*rng.choice(ranges)))

    def value(depth: int = 0) -> object:
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return rng.choice([
                rng.randint(-10**20, 10**20), rng.uniform(-1e9, 1e9),
                rng.random() * 10.0 ** rng.randint(-300, 300), None, True, False,
                "".join(char() for _ in range(rng.randint(0, 6))),
            ])
        if roll < 0.7:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {str(value(4)): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(3000):
        doc = value()
        for text in (json.dumps(doc), json.dumps(doc, ensure_ascii=False)):
            assert repr(read_json(text)) == repr(json.loads(text)), text


def test_invalid_json_is_still_an_error() -> None:
    with pytest.raises(ValueError):
        read_json("{not json")


def test_the_engine_reads_json_columns_with_it(tmp_path) -> None:
    from sqlalchemy import JSON, Column, MetaData, String, Table, insert, select

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    table = Table("t", MetaData(), Column("id", String, primary_key=True), Column("v", JSON))
    table.metadata.create_all(engine)
    stored = {"lone": "\ud800", "list": [1, 2.5, None]}
    with engine.begin() as conn:
        conn.execute(insert(table).values(id="a", v=stored))
    with engine.connect() as conn:
        assert conn.execute(select(table.c.v)).scalar_one() == stored
    engine.dispose()
