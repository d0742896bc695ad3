"""The sync client lives while anything made from it is reachable, and no longer.

One-liners (``monstrum.Client().tasks.run(...)``) are how scripts, cron jobs and CI steps
are written; a client dropped without ``close()`` must still stop its loop thread.
Thread counts are checked after ``gc.collect()``; no test asserts a time.
"""

from __future__ import annotations

import gc
import inspect
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest

import monstrum
from monstrum_tui.client.sync_api import SYNC_NAMESPACES
from monstrum_tui.client.sync_bridge import LOOP_THREAD_NAME
from tests.misbehaving_peer import MisbehavingPeer


def loop_threads() -> int:
    gc.collect()
    return sum(t.name == LOOP_THREAD_NAME for t in threading.enumerate())


@pytest.fixture
def guide_env(server, monkeypatch) -> None:
    monkeypatch.setenv("MONSTRUM_API_KEY", server.admin_key)
    monkeypatch.setenv("MONSTRUM_API_BASE", server.url)


@pytest.fixture
def no_loop_left() -> Iterator[None]:
    before = loop_threads()
    yield
    assert loop_threads() == before


def test_one_liners_work_and_leave_no_thread(guide_env, no_loop_left) -> None:
    bot = monstrum.Client().bots.create(name="one-liner-bot")
    monstrum.Client().bots.update(bot_id=bot.id, allowed_operations=["deploy.read"])
    assert monstrum.Client().bots.get(bot_id=bot.id).allowed_operations == ["deploy.read"]
    assert bot.id in [b.id for b in list(monstrum.Client().bots.list())]
    task = monstrum.Client().tasks.run(bot_id=bot.id, input="say hi")
    assert task.status == "completed"
    types = [e.type for e in monstrum.Client().tasks.stream(bot_id=bot.id, input="say x")]
    assert types == ["started", "message", "complete"]
    assert [e.seq for e in monstrum.Client().tasks.events(task_id=task.id)] == [1, 2, 3]
    assert monstrum.Client().whoami().scopes == ["admin"]
    monstrum.Client().bots.delete(bot_id=bot.id)


def test_what_a_dropped_client_made_keeps_it_open(guide_env, no_loop_left) -> None:
    bot = monstrum.Client().bots.create(name="kept-bot")
    tag = bot.name
    bots = monstrum.Client().bots
    pager = monstrum.Client().bots.list(q=tag, page_size=1)
    task = monstrum.Client().tasks.create(bot_id=bot.id, input="say a\nsay b")
    events = monstrum.Client().tasks.events(task_id=task.id)
    stream = monstrum.Client().tasks.stream(bot_id=bot.id, input="say s")
    assert loop_threads() >= 4  # none of the clients was closed under what it made
    assert bots.get(bot_id=bot.id).name == tag
    assert [b.id for b in pager] == [bot.id]
    assert [e.type for e in events][-1] == "complete" and events.finished
    assert [e.type for e in stream] == ["started", "message", "complete"]
    bots.delete(bot_id=bot.id)
    del bots, pager, events, stream


def test_a_half_read_pager_of_a_dropped_client_is_closed_when_dropped(
    guide_env, no_loop_left
) -> None:
    bot = monstrum.Client().bots.create(name="half-read-bot")
    second = monstrum.Client().bots.create(name="half-read-bot")
    it = iter(monstrum.Client().bots.list(q="half-read-bot", page_size=1))
    assert next(it).id in (bot.id, second.id)
    del it
    for made in (bot, second):
        monstrum.Client().bots.delete(bot_id=made.id)


def test_close_and_with_close_at_once_even_with_namespaces_around(server) -> None:
    c = monstrum.Client(api_key=server.admin_key, api_base=server.url)
    bots = c.bots
    pager = c.bots.list()
    c.whoami()
    thread = c._bridge.thread
    c.close()
    assert c.closed and not thread.is_alive()  # no garbage collection needed
    for call in (lambda: bots.get(bot_id="bot_x"), pager.first_page, c.whoami):
        with pytest.raises(RuntimeError, match="closed"):
            call()
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c2:
        kept = c2.tasks
        c2.whoami()
    assert c2.closed and not c2._bridge.thread.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        kept.get(task_id="task_x")
    assert "closed" in repr(c2)


def test_closing_under_a_call_in_another_thread_ends_that_call(server) -> None:
    c = monstrum.Client(api_key=server.admin_key, api_base=server.url)
    bot = c.bots.create(name="closing-bot")
    outcome: list[BaseException | None] = []
    started = threading.Event()

    def wait_for_long_task() -> None:
        task = c.tasks.create(bot_id=bot.id, input="wait 60")
        started.set()
        try:
            c.tasks.wait(task.id)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=wait_for_long_task)
    worker.start()
    assert started.wait(30)
    c.close()
    worker.join(30)
    assert not worker.is_alive()
    assert isinstance(outcome[0], RuntimeError) and "closed" in str(outcome[0])
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as other:
        for task in other.tasks.list(bot_id=bot.id, status="running"):
            other.tasks.cancel(task_id=task.id)


def test_a_script_that_never_closes_exits_cleanly(server) -> None:
    script = textwrap.dedent(f"""
        import gc, threading, warnings
        warnings.simplefilter("error")
        import monstrum

        client = monstrum.Client(api_key={server.admin_key!r}, api_base={server.url!r})
        bot = client.bots.create(name="script-bot")
        monstrum.Client(api_key={server.admin_key!r}, api_base={server.url!r}).bots.update(
            bot_id=bot.id, description="one-liner")
        task = client.tasks.run(bot_id=bot.id, input="say done")
        for event in client.tasks.stream(bot_id=bot.id, input="say x"):
            if event.type == "message":
                break  # abandoned mid-stream
        pager = iter(client.bots.list(page_size=1))
        next(pager)
        print(task.status)
        del client, pager
        gc.collect()
        print(sum(t.name == "monstrum-client-loop" for t in threading.enumerate()))
        leftover = monstrum.Client(api_key={server.admin_key!r}, api_base={server.url!r})
        leftover.whoami()  # still open at exit: closed by the exit hook
    """)
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["completed", "0"]
    assert done.stderr == ""  # no "Task was destroyed", no ResourceWarning, no traceback


@pytest.mark.parametrize("name", sorted(SYNC_NAMESPACES))
def test_each_sync_method_takes_what_its_async_one_takes(name: str) -> None:
    sync_cls, async_cls = SYNC_NAMESPACES[name]

    def public(cls: type) -> dict[str, inspect.Signature]:
        return {
            n: inspect.signature(f) for n, f in vars(cls).items()
            if callable(f) and not n.startswith("_")
        }

    sync_methods, async_methods = public(sync_cls), public(async_cls)
    assert sorted(sync_methods) == sorted(async_methods)
    for method, signature in async_methods.items():
        assert list(sync_methods[method].parameters.values()) == list(
            signature.parameters.values()
        ), f"{name}.{method}"


@pytest.fixture
def peer() -> Iterator[MisbehavingPeer]:
    p = MisbehavingPeer().start()
    yield p
    p.stop()


ID_CALLS = {
    "bots.get": lambda c, v: c.bots.get(bot_id=v),
    "bots.update": lambda c, v: c.bots.update(bot_id=v, name="x"),
    "bots.delete": lambda c, v: c.bots.delete(bot_id=v),
    "bots.authorize": lambda c, v: c.bots.authorize(bot_id=v, tool="t"),
    "tasks.create": lambda c, v: c.tasks.create(bot_id=v),
    "tasks.run": lambda c, v: c.tasks.run(bot_id=v),
    "tasks.stream": lambda c, v: c.tasks.stream(bot_id=v),
    "tasks.get": lambda c, v: c.tasks.get(task_id=v),
    "tasks.wait": lambda c, v: c.tasks.wait(task_id=v),
    "tasks.events": lambda c, v: c.tasks.events(task_id=v),
    "tasks.cancel": lambda c, v: c.tasks.cancel(task_id=v),
    "tasks.list": lambda c, v: c.tasks.list(bot_id=v),
    "resources.get": lambda c, v: c.resources.get(resource_id=v),
    "resources.update": lambda c, v: c.resources.update(resource_id=v, name="x"),
    "resources.delete": lambda c, v: c.resources.delete(resource_id=v),
    "resources.create": lambda c, v: c.resources.create(type="t", name="n", id=v),
    "integrations.get": lambda c, v: c.integrations.get(name=v),
    "audit.get": lambda c, v: c.audit.get(entry_id=v),
    "audit.list": lambda c, v: c.audit.list(bot_id=v),
    "api_keys.delete": lambda c, v: c.api_keys.delete(key_id=v),
}
ARGUMENT = {
    "bots": "bot_id", "tasks.create": "bot_id", "tasks.run": "bot_id",
    "tasks.stream": "bot_id", "tasks.list": "bot_id", "tasks": "task_id",
    "resources.create": "id", "resources": "resource_id", "integrations": "name",
    "audit.get": "entry_id", "audit.list": "bot_id", "api_keys": "key_id",
}


def _argument(call: str) -> str:
    return ARGUMENT.get(call) or ARGUMENT[call.split(".")[0]]


@pytest.mark.parametrize("call", sorted(ID_CALLS))
@pytest.mark.parametrize("bad", ["", "   ", "\t\n", "..", "."])
def test_empty_ids_are_a_value_error_before_any_request(peer, call: str, bad: str) -> None:
    with (
        monstrum.Client(api_key="mst_t", api_base=peer.url) as c,
        pytest.raises(ValueError, match=_argument(call)),
    ):
        ID_CALLS[call](c, bad)
    assert dict(peer.attempts) == {}


async def test_the_async_client_checks_them_too(peer) -> None:
    async with monstrum.AsyncClient(api_key="mst_t", api_base=peer.url) as c:
        with pytest.raises(ValueError, match="bot_id"):
            await c.bots.get(bot_id="")
        with pytest.raises(ValueError, match="bot_id"):
            c.tasks.stream(bot_id=" ")  # at the call, not at the first step
        with pytest.raises(TypeError, match="task_id"):
            await c.tasks.get(task_id=None)  # type: ignore[arg-type]
    assert dict(peer.attempts) == {}


def test_an_id_cannot_reach_another_path(peer) -> None:
    with (
        monstrum.Client(api_key="mst_t", api_base=peer.url, max_retries=0) as c,
        pytest.raises(monstrum.exceptions.NotFoundError),
    ):
        c.bots.delete(bot_id="../api-keys/key_1")
    assert list(peer.attempts) == ["/v1/bots/..%2Fapi-keys%2Fkey_1"]


def test_ctrl_c_in_a_sync_call_cancels_the_request_on_the_loop() -> None:
    """Ctrl-C while a sync call waits: the coroutine behind it is cancelled, so the
    request (and its retries) does not go on running after the script was interrupted."""
    import asyncio
    import signal
    import threading

    from monstrum_tui.client.sync_bridge import LoopThread

    loop = LoopThread()
    cancelled = threading.Event()

    async def slow_request() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            loop.run(slow_request())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert cancelled.wait(5), "the request kept running on the loop after Ctrl-C"
    loop.stop()
