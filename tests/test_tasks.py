"""Tasks through the SDK, as the guide writes them, against the real server."""

from __future__ import annotations

import httpx
import pytest

import monstrum
from monstrum.exceptions import ConflictError, NotFoundError


@pytest.fixture
def bot(client):
    bot = client.bots.create(name="task-bot", model="scripted")
    yield bot
    client.bots.delete(bot_id=bot.id)


def test_guide_run_get_list(client, bot) -> None:
    task = client.tasks.run(bot_id=bot.id, input="say hello\n", metadata={"source": "test"})
    assert task.status == "completed"
    assert task.output.startswith("no tool calls")
    assert task.metadata == {"source": "test"}
    assert task.started_at and task.finished_at and task.finished_at >= task.started_at
    assert client.tasks.get(task_id=task.id).status == "completed"
    second = client.tasks.run(bot_id=bot.id, input="")
    tasks = list(client.tasks.list(bot_id=bot.id, limit=20))
    assert [t.id for t in tasks[:2]] == [second.id, task.id]  # newest first
    assert all(t.created_at for t in tasks)


def test_guide_stream_sync(client, bot) -> None:
    seen = []
    for event in client.tasks.stream(bot_id=bot.id, input="say one\ncall nope {\"x\": 1}"):
        seen.append(event)
    assert [e.type for e in seen] == ["started", "message", "denied", "complete"]
    assert [e.seq for e in seen] == [1, 2, 3, 4]
    denied = seen[2]
    assert denied.tool_name == "nope" and denied.params == {"x": 1}
    assert denied.reason["check"] == "binding"
    assert seen[-1].output.startswith("1 tool call(s): 0 ok, 1 denied")
    assert seen[-1].is_terminal and seen[-1].status == "completed"
    task = client.tasks.get(task_id=seen[0].task_id)
    assert (task.tool_calls, task.denials) == (1, 1)


async def test_guide_run_async(aclient) -> None:
    bot = await aclient.bots.create(name="async-task-bot")
    task = await aclient.tasks.run(bot_id=bot.id, input="检查所有预发布环境的部署状态")
    assert task.status == "completed" and task.output
    events = [e async for e in aclient.tasks.events(task_id=task.id)]
    assert events[0].type == "started" and events[-1].type == "complete"
    later = [e async for e in aclient.tasks.events(task_id=task.id, after=1)]
    assert [e.seq for e in later] == [e.seq for e in events[1:]]
    types = [e.type async for e in aclient.tasks.stream(bot_id=bot.id, input="say x")]
    assert types == ["started", "message", "complete"]


def test_each_say_line_is_a_turn_of_its_own(client, bot) -> None:
    events = list(client.tasks.stream(bot_id=bot.id, input="say one\nsay two\nsay three"))
    said = [(e.text, e.turn) for e in events if e.type == "message"]
    assert said == [("one", 1), ("two", 2), ("three", 3)]
    assert all(e.turn is None for e in events if e.type != "message")


def test_paused_bot_cannot_start_tasks(client) -> None:
    bot = client.bots.create(name="paused-bot", status="paused")
    with pytest.raises(ConflictError) as err:
        client.tasks.run(bot_id=bot.id, input="x")
    assert err.value.status_code == 409 and "paused" in err.value.message
    with pytest.raises(NotFoundError):
        client.tasks.run(bot_id="bot_missing", input="x")


def test_cancel_running_task_promptly(client, bot) -> None:
    task = client.tasks.create(bot_id=bot.id, input="say start\nwait 60\ncall never {}")
    events = client.tasks.events(task_id=task.id)
    for event in events:
        if event.type == "message":
            break
    events.close()
    cancelled = client.tasks.cancel(task_id=task.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    tail = list(client.tasks.events(task_id=task.id, after=2))
    assert [e.type for e in tail] == ["error"] and tail[0].status == "cancelled"
    with pytest.raises(ConflictError):
        client.tasks.cancel(task_id=task.id)


def test_sync_stream_break_closes_the_connection(client, bot) -> None:
    pool = client._bridge.client._transport.http._transport._pool
    for event in client.tasks.stream(bot_id=bot.id, input="say a\nwait 60"):
        if event.type == "message":
            break
    # the loop's iterator is closed as it goes away: no connection is left streaming
    assert all(c.is_idle() or c.is_closed() for c in pool.connections)
    running = [t for t in client.tasks.list(bot_id=bot.id, status="running")]
    for t in running:
        client.tasks.cancel(task_id=t.id)


def test_sse_wire_format_and_resume_points(server, admin_key, client, bot) -> None:
    task = client.tasks.run(bot_id=bot.id, input="say a\nsay b\nsay c")
    headers = {"Authorization": f"Bearer {admin_key}"}
    url = f"{server.url}/v1/tasks/{task.id}/events"

    def frames(**kw) -> list[dict[str, str]]:
        out, current = [], {}
        with httpx.stream("GET", url, headers={**headers, **kw.pop("headers", {})}, **kw) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                if not line:
                    if "id" in current:
                        out.append(current)
                    current = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    current[name] = value
        return out

    every = frames()
    assert [f["id"] for f in every] == ["1", "2", "3", "4", "5"]
    assert [f["event"] for f in every] == ["started", "message", "message", "message", "complete"]
    assert monstrum.AsyncClient  # the SDK parses these; here we check the raw protocol
    assert [f["id"] for f in frames(headers={"Last-Event-ID": "3"})] == ["4", "5"]
    assert [f["id"] for f in frames(params={"after": "4"})] == ["5"]
    assert frames(headers={"Last-Event-ID": "5"}) == []
    bad = httpx.get(url, headers={**headers, "Last-Event-ID": "x"})
    assert bad.status_code == 422


def test_list_filters_and_pages(client, bot) -> None:
    ids = [client.tasks.run(bot_id=bot.id, input="").id for _ in range(3)]
    page = client.tasks.list(bot_id=bot.id, status="completed", limit=2).first_page()
    assert [t.id for t in page.data] == ids[::-1][:2] and page.next_cursor
    assert [t.id for t in client.tasks.list(bot_id=bot.id, limit=3)] == ids[::-1]
    assert list(client.tasks.list(bot_id=bot.id, status="cancelled")) == []


def test_bad_task_bodies_are_typed_422s_naming_the_field(client, bot) -> None:
    from monstrum.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        client.tasks.create(bot_id=bot.id, input="x" * 200_001)
    assert [f["field"] for f in err.value.fields] == ["input"]
    with pytest.raises(ValidationError) as err:
        client.tasks.create(bot_id=bot.id, metadata=["not", "an", "object"])
    assert [f["field"] for f in err.value.fields] == ["metadata"]
