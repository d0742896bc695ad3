"""The policy a call reads: decoded rows are kept by their exact content, never stale.

``PolicyReader`` keeps what a bot's and a resource's rows decode to, keyed by the row as
read for this very call; these check that a binding changed behind the API (straight in
the database, as another process would) is what the next read sees, and that a row
tampered into something invalid is refused on the next read, not served from before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from monstrum_tui.client.models import BotCreate
from monstrum_tui.server.store import Store
from tests.databases import database_for_server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(database_for_server() or f"sqlite:///{tmp_path / 'm.db'}")
    yield s
    s.close()


def _bot(store: Store) -> str:
    return store.bots.create(BotCreate.model_validate({
        "name": "reader", "allowed_operations": ["files.read"],
        "resource_bindings": [{"resource_id": "res_a", "allowed_tools": ["read_file"],
                               "scope_constraints": {"paths": ["*.md"]}}],
    })).id


def _bindings(store: Store, bot_id: str, bindings: list[dict[str, object]]) -> None:
    with store.engine.begin() as conn:  # behind the API: no repository, no updated_at
        conn.execute(text("UPDATE bots SET resource_bindings = :b WHERE id = :id"),
                     {"b": json.dumps(bindings), "id": bot_id})


def test_a_binding_changed_in_the_database_applies_to_the_next_read(store: Store) -> None:
    bot_id = _bot(store)
    for _ in range(3):  # read (and kept) several times over
        read = store.policy.read(bot_id)
        assert read is not None
        assert read.bot.resource_bindings[0].allowed_tools == ["read_file"]
    _bindings(store, bot_id, [{"resource_id": "res_a", "allowed_tools": ["list_dir"],
                               "scope_constraints": {"paths": ["docs/*"]}}])
    read = store.policy.read(bot_id)
    assert read is not None
    assert read.bot.resource_bindings[0].allowed_tools == ["list_dir"]
    assert read.bot.resource_bindings[0].scope_constraints == {"paths": ["docs/*"]}
    _bindings(store, bot_id, [])
    read = store.policy.read(bot_id)
    assert read is not None and read.bot.resource_bindings == []


def test_a_tampered_row_is_refused_on_the_next_read(store: Store) -> None:
    bot_id = _bot(store)
    assert store.policy.read(bot_id) is not None  # kept
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE bots SET status = 'rogue' WHERE id = :id"), {"id": bot_id})
    for _ in range(2):  # refused each time, never answered from what was kept
        with pytest.raises(ValueError):
            store.policy.read(bot_id)


def test_a_deleted_bot_reads_as_none_at_once(store: Store) -> None:
    bot_id = _bot(store)
    assert store.policy.read(bot_id) is not None
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM bot_bindings WHERE bot_id = :id"), {"id": bot_id})
        conn.execute(text("DELETE FROM bots WHERE id = :id"), {"id": bot_id})
    assert store.policy.read(bot_id) is None
