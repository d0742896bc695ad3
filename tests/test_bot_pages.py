"""``GET /v1/bots``'s page: the same JSON as the repository's page, never a stale row.

The page keeps each bot's JSON keyed by its stored row; these check that the bytes are
what FastAPI would have written for ``Page[Bot]`` and that a row changed behind the
API's back (a tampered database) is what the next page shows, or refused when invalid.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy import text

from monstrum_tui.client.models import Bot, BotCreate, Page, ResourceBinding
from monstrum_tui.server.store import Store
from monstrum_tui.server.store.row_memo import RowMemo
from tests.databases import database_for_server
from tests.serverproc import ServerProcess

PAGE = TypeAdapter(Page[Bot])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(database_for_server() or f"sqlite:///{tmp_path / 'm.db'}")
    yield s
    s.close()


def _seed(store: Store, n: int) -> None:
    for i in range(n):
        store.bots.create(BotCreate(
            name=f"Bot-{i:03d}", description=f"Ünïcode ✓ {i}", allowed_operations=["tasks:run"],
            resource_bindings=[ResourceBinding(resource_id=f"res_{i}", allowed_tools=["read_*"],
                                               scope={"paths": ["a/*"], "n": i})]))


def _expected(store: Store, limit: int, cursor: str | None, q: str | None) -> bytes:
    items, next_cursor = store.bots.list(limit, cursor, q)
    return PAGE.dump_json(Page[Bot](data=items, next_cursor=next_cursor), by_alias=True)


def test_pages_are_the_repository_pages_byte_for_byte(store: Store) -> None:
    _seed(store, 23)
    for q in (None, "bot-01", "BOT-00", "nothing", "%", "_"):
        cursor: str | None = None
        for _ in range(10):
            got = store.bot_pages.page(5, cursor, q)
            assert got == _expected(store, 5, cursor, q), q
            cursor = json.loads(got)["next_cursor"]
            if cursor is None:
                break
        else:
            pytest.fail("paging did not end")
    # asked again, from what it kept: the same bytes
    assert store.bot_pages.page(100, None) == _expected(store, 100, None, None)


def test_a_row_changed_behind_the_api_shows_at_once(store: Store) -> None:
    _seed(store, 3)
    first = json.loads(store.bot_pages.page(100, None))["data"]
    bot_id = first[1]["id"]
    with store.engine.begin() as conn:  # no updated_at bump: only the content moves
        conn.execute(text("UPDATE bots SET description = 'edited', "
                          "allowed_operations = '[\"tasks:cancel\"]' WHERE id = :id"),
                     {"id": bot_id})
    again = {b["id"]: b for b in json.loads(store.bot_pages.page(100, None))["data"]}
    assert again[bot_id]["description"] == "edited"
    assert again[bot_id]["allowed_operations"] == ["tasks:cancel"]
    assert store.bot_pages.page(100, None) == _expected(store, 100, None, None)


def test_an_invalid_row_is_refused_not_served_from_before(store: Store) -> None:
    _seed(store, 2)
    store.bot_pages.page(100, None)  # kept
    bot_id = json.loads(store.bot_pages.page(100, None))["data"][0]["id"]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE bots SET status = 'rogue' WHERE id = :id"), {"id": bot_id})
    with pytest.raises(ValueError):
        store.bot_pages.page(100, None)


def test_what_it_keeps_is_bounded(store: Store) -> None:
    _seed(store, 12)
    # a small bound, to see it hold
    store.bot_pages.memo = RowMemo(store.bot_pages.memo_build, 5)
    store.bot_pages.page(100, None)
    assert len(store.bot_pages.memo) == 5


def test_over_http_the_page_and_its_errors(server: ServerProcess, admin_key: str) -> None:
    client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"})
    made = [client.post("/v1/bots", json={"name": f"page-{i}"}).json()["id"] for i in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "q": "page-"} | ({"cursor": cursor} if cursor else {})
        r = client.get("/v1/bots", params=params)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        seen += [b["id"] for b in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert set(made) <= set(seen)
    bad = client.get("/v1/bots", params={"cursor": "!!not-a-cursor"})
    assert bad.status_code == 422, bad.text
    assert client.get("/v1/bots", headers={"Authorization": "Bearer mst_nope"}).status_code == 401
    client.close()
