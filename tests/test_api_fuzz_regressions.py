"""Bugs the API fuzzing found, each pinned by a direct test."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def finished_task(client):
    bot = client.bots.create(name="fuzz-regression-bot", model="scripted")
    yield client.tasks.run(bot_id=bot.id, input="say done")
    client.bots.delete(bot_id=bot.id)


def test_an_event_seq_beyond_sqlite_integers_is_a_422_not_a_broken_stream(
    server, finished_task
) -> None:
    # it used to answer 200 and then die inside the stream (OverflowError in SQLite)
    url = f"{server.url}/v1/tasks/{finished_task.id}/events"
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(timeout=10, headers=admin) as http:
        by_query = http.get(url, params={"after": str(2**63)})
        by_header = http.get(url, headers={"Last-Event-ID": str(2**64)})
        at_the_limit = http.get(url, params={"after": str(2**63 - 1)})
    assert by_query.status_code == 422
    assert by_query.json()["error"]["fields"][0]["field"] == "after"
    assert by_header.status_code == 422
    assert by_header.json()["error"]["fields"] == [
        {"field": "Last-Event-ID", "message": "too large"}
    ]
    # the largest storable seq is fine: nothing comes after it, and the stream ends
    assert at_the_limit.status_code == 200
    assert "event:" not in at_the_limit.text
