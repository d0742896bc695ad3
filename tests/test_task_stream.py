"""Event streams under stress: cut connections, a server restart, many watchers, limits."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import monstrum
from tests.tcp_proxy import CuttableProxy

# many small steps with pauses, so a cut lands mid-stream
SLOW_INPUT = "\n".join(f"say step {i}\nwait 0.05" for i in range(30))


@pytest.fixture
def proxy(server):
    p = CuttableProxy(server.port).start()
    yield p
    p.stop()


async def test_cut_connections_resume_with_no_gap_and_no_duplicate(server, admin_key, proxy):
    direct = monstrum.AsyncClient(api_key=admin_key, api_base=server.url)
    via_proxy = monstrum.AsyncClient(api_key=admin_key, api_base=proxy.url)
    try:
        bot = await direct.bots.create(name="cut-bot")
        task = await direct.tasks.create(bot_id=bot.id, input=SLOW_INPUT)
        statuses = []
        got = []
        async for event in via_proxy.tasks.events(task_id=task.id, on_status=statuses.append):
            got.append(event)
            if event.seq in (5, 12, 25):
                proxy.cut()  # drop the connection under the stream
        stored = [e async for e in direct.tasks.events(task_id=task.id)]
        assert [e.seq for e in got] == list(range(1, len(stored) + 1))
        assert [e.model_dump() for e in got] == [e.model_dump() for e in stored]
        assert got[-1].type == "complete"
        reconnects = [s for s in statuses if s.state == "reconnecting"]
        assert len(reconnects) >= 3 and proxy.connections >= 4
        resumed_from = [s.last_seq for s in statuses if s.state == "connected"][1:]
        assert resumed_from[:3] == [5, 12, 25]
    finally:
        await direct.aclose()
        await via_proxy.aclose()


async def test_many_watchers_see_the_same_stream(aclient) -> None:
    bot = await aclient.bots.create(name="watched-bot")
    task = await aclient.tasks.create(bot_id=bot.id, input=SLOW_INPUT)

    async def watch(after=None):
        return [e.seq async for e in aclient.tasks.events(task_id=task.id, after=after)]

    results = await asyncio.gather(*(watch() for _ in range(5)), watch(after=10))
    full = results[0]
    assert full == list(range(1, 33)) and all(r == full for r in results[:5])
    assert results[5] == full[10:]


def test_a_task_survives_a_kill_of_its_server_and_resumes_without_repeating(
    new_server,
) -> None:
    """kill -9 mid-task: the next server to start takes it over (its owner is dead on this
    machine, so at once) and resumes after what was already done."""
    srv = new_server()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        bot = c.bots.create(name="restart-bot")
        task = c.tasks.create(bot_id=bot.id, input="say before\nwait 3\nsay after")
        events = c.tasks.events(task_id=task.id)
        for event in events:
            if event.type == "message":
                break
        events.close()
    srv.stop(kill=True)
    srv.start()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        evs = list(c.tasks.events(task_id=task.id))
        after = c.tasks.get(task_id=task.id)
    assert after.status == "completed", after
    assert [e.type for e in evs] == ["started", "message", "error", "message", "complete"]
    assert [e.text for e in evs if e.type == "message"] == ["before", "after"]
    assert "resumed here" in (evs[2].error or "") and evs[2].status is None
    assert evs[3].turn != evs[1].turn  # a new message, not joined to the old one
    assert sum(1 for e in evs if e.is_terminal) == 1


def test_a_graceful_stop_hands_running_and_queued_tasks_to_the_next_start(new_server) -> None:
    srv = new_server("--max-running-per-bot", "1")
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        bot = c.bots.create(name="graceful-bot")
        running = c.tasks.create(bot_id=bot.id, input="say on\nwait 8\nsay off")
        queued = c.tasks.create(bot_id=bot.id, input="say next")
        for event in c.tasks.events(task_id=running.id):
            if event.type == "message":
                break
    srv.stop()  # SIGTERM: the wait is cut short and the task handed back, not failed
    srv.start()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        first = [e for e in c.tasks.events(task_id=running.id)]
        second = [e for e in c.tasks.events(task_id=queued.id)]
        assert c.tasks.get(task_id=running.id).status == "completed"
        assert c.tasks.get(task_id=queued.id).status == "completed"
    assert [e.text for e in first if e.type == "message"] == ["on", "off"]
    assert [e.type for e in second] == ["started", "message", "complete"]


async def test_a_follower_rides_out_a_server_restart(new_server) -> None:
    srv = new_server()
    c = monstrum.AsyncClient(api_key=srv.admin_key, api_base=srv.url)
    try:
        bot = await c.bots.create(name="ride-bot")
        task = await c.tasks.create(bot_id=bot.id, input="say before\nwait 2\nsay after")
        states = []
        got = []
        async for event in c.tasks.events(task_id=task.id, on_status=states.append):
            got.append(event)
            if event.type == "message" and event.text == "before":
                await asyncio.to_thread(srv.stop, kill=True)
                await asyncio.to_thread(srv.start)
        # the stream resumes with no gap or duplicate, through the task's take-over
        assert [e.type for e in got] == ["started", "message", "error", "message", "complete"]
        assert [e.seq for e in got] == [1, 2, 3, 4, 5]
        assert got[-1].status == "completed" and any(s.state == "reconnecting" for s in states)
    finally:
        await c.aclose()


def test_step_and_wall_clock_limits(new_server) -> None:
    srv = new_server("--max-steps", "2", "--task-timeout", "1")
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        bot = c.bots.create(name="limited-bot")
        steps = c.tasks.run(bot_id=bot.id, input="call a {}\ncall b {}\ncall c {}\ncall d {}")
        assert steps.status == "failed" and "step limit" in steps.error
        assert steps.tool_calls == 2
        slow = c.tasks.run(bot_id=bot.id, input="wait 30")
        assert slow.status == "failed" and "wall-clock limit" in slow.error
        for task, setting in ((steps, "--max-steps"), (slow, "--task-timeout")):
            last = list(c.tasks.events(task_id=task.id))[-1]  # the stream says it too
            assert last.type == "error" and last.status == "failed"
            assert last.error == task.error and setting in last.error


def test_per_bot_limit_queues_the_rest_in_order(new_server) -> None:
    srv = new_server("--max-running-per-bot", "1")
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        bot = c.bots.create(name="one-at-a-time")
        other = c.bots.create(name="other-bot")
        first = c.tasks.create(bot_id=bot.id, input="say go\nwait 60")
        second = c.tasks.create(bot_id=bot.id, input="say second")
        for event in c.tasks.events(task_id=first.id):
            if event.type == "message":
                break
        # the first holds the bot's only slot; another bot is not held up
        assert c.tasks.get(task_id=second.id).status == "queued"
        assert c.tasks.run(bot_id=other.id, input="").status == "completed"
        assert c.tasks.get(task_id=second.id).status == "queued"
        c.tasks.cancel(task_id=first.id)
        assert c.tasks.wait(second.id).status == "completed"
        # a queued task can be cancelled before it ever starts
        blocker = c.tasks.create(bot_id=bot.id, input="wait 60")
        queued = c.tasks.create(bot_id=bot.id, input="say never")
        assert c.tasks.cancel(task_id=queued.id).status == "cancelled"
        assert [e.type for e in c.tasks.events(task_id=queued.id)] == ["error"]
        c.tasks.cancel(task_id=blocker.id)


def test_keepalive_comments_on_an_idle_stream(new_server) -> None:
    srv = new_server(MONSTRUM_SSE_KEEPALIVE="0.2")
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        bot = c.bots.create(name="idle-bot")
        task = c.tasks.create(bot_id=bot.id, input="wait 60")
        headers = {"Authorization": f"Bearer {srv.admin_key}"}
        comments = 0
        with httpx.stream("GET", f"{srv.url}/v1/tasks/{task.id}/events", headers=headers) as r:
            for line in r.iter_lines():
                comments += line.startswith(":")
                if comments == 2:
                    break
        assert comments == 2
        c.tasks.cancel(task_id=task.id)


def test_server_wide_limit_holds_other_bots_back(new_server) -> None:
    srv = new_server("--max-running-tasks", "1")
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        first_bot, second_bot = c.bots.create(name="a"), c.bots.create(name="b")
        first = c.tasks.create(bot_id=first_bot.id, input="say go\nwait 60")
        for event in c.tasks.events(task_id=first.id):
            if event.type == "message":
                break
        second = c.tasks.create(bot_id=second_bot.id, input="say next")
        assert c.tasks.get(task_id=second.id).status == "queued"
        c.tasks.cancel(task_id=first.id)
        assert c.tasks.wait(second.id).status == "completed"
