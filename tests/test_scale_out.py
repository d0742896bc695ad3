"""Several server processes share the work: one claims each task, its events reach
watchers on any process, a crashed process's tasks are taken over after their lease,
and no start-up ever fails another live process's tasks.

Run on PostgreSQL (NOTIFY plus the store) and, where noted, on one SQLite file shared by
two processes (the store alone, polled).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_postgres_database, require_postgres
from tests.serverproc import ServerProcess

#: short leases, so a take-over happens within seconds
LEASE = {"MONSTRUM_TASK_LEASE": "2"}


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """One database for every process of the test, and one data dir (keys)."""
    if request.param == "postgresql":
        return {"url": fresh_postgres_database(require_postgres()), "data_dir": tmp_path / "d"}
    return {"url": f"sqlite:///{tmp_path / 'd' / 'monstrum.db'}", "data_dir": tmp_path / "d"}


@pytest.fixture
def cluster(store: dict[str, Any]) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(*args: str) -> ServerProcess:
        proc = ServerProcess(data_dir=store["data_dir"], database_url=store["url"],
                             extra_args=["--rate-limit", "0", *args], env=dict(LEASE))
        started.append(proc)
        return proc.start(timeout=90)

    yield start
    for proc in started:
        proc.stop()


def http(proc: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=proc.url, timeout=30,
                        headers={"Authorization": f"Bearer {proc.admin_key}"})


def make_bot(proc: ServerProcess, name: str) -> str:
    with http(proc) as c:
        return str(c.post("/v1/bots", json={"name": name}).json()["id"])


def wait_for(fetch: Callable[[], Any], until: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def seen_until(proc: ServerProcess, task_id: str,
               enough: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The task's events as a watcher on ``proc`` receives them, until ``enough``."""
    import json

    out: list[dict[str, Any]] = []
    with http(proc) as c, c.stream("GET", f"/v1/tasks/{task_id}/events",
                                   timeout=httpx.Timeout(60, read=60)) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
                if enough(out):
                    break
    return out


def events_through(proc: ServerProcess, task_id: str) -> list[dict[str, Any]]:
    """The task's whole stream as a watcher on ``proc`` receives it (SSE, to the end)."""
    import json

    out = []
    with http(proc) as c, c.stream("GET", f"/v1/tasks/{task_id}/events",
                                   timeout=httpx.Timeout(60, read=60)) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def test_a_task_run_on_one_server_is_followed_to_the_end_through_another(cluster) -> None:
    a = cluster()
    b = cluster()
    bot = make_bot(a, "followed")
    lines = "\n".join(f"say line {i}\nwait 0.05" for i in range(20))
    with http(a) as ca:
        task = ca.post("/v1/tasks", json={"bot_id": bot, "input": lines}).json()
    got = events_through(b, task["id"])
    assert [e["seq"] for e in got] == list(range(1, len(got) + 1))
    assert [e["text"] for e in got if e["type"] == "message"] == [f"line {i}" for i in range(20)]
    assert got[-1]["type"] == "complete"
    assert sum(1 for e in got if e.get("status") in ("completed", "failed", "cancelled")) == 1


def test_a_server_starting_never_fails_another_live_servers_task(cluster) -> None:
    a = cluster()
    bot = make_bot(a, "undisturbed")
    with http(a) as ca:
        task = ca.post("/v1/tasks", json={"bot_id": bot,
                                           "input": "say one\nwait 3\nsay two"}).json()
        wait_for(lambda: ca.get(f"/v1/tasks/{task['id']}").json(),
                 lambda t: t["status"] == "running")
    cluster()  # B starts while A runs the task
    with http(a) as ca:
        done = wait_for(lambda: ca.get(f"/v1/tasks/{task['id']}").json(),
                        lambda t: t["status"] not in ("queued", "running"))
        events = ca.get(f"/v1/tasks/{task['id']}/events").text
    assert done["status"] == "completed", done
    assert "resumed here" not in events and events.count('"status":') == 2  # started, end


def test_a_killed_servers_task_is_taken_over_and_resumed_once(cluster, store) -> None:
    a = cluster()
    b = cluster()
    bot = make_bot(a, "survivor")
    with http(a) as ca:
        task = ca.post("/v1/tasks", json={"bot_id": bot, "input":
                                           "say before\nwait 30\nsay after"}).json()
    seen_until(a, task["id"], lambda got: any(e.get("text") == "before" for e in got))
    # the task may be claimed by either server: kill the one that runs it
    owner = _owner(store["url"], task["id"])
    runner, other = (a, b) if _runs_on(a, owner) else (b, a)
    runner.stop(kill=True)
    with http(other) as co:
        done = wait_for(lambda: co.get(f"/v1/tasks/{task['id']}").json(),
                        lambda t: t["status"] not in ("queued", "running"), timeout=90)
    assert done["status"] == "completed", done
    got = events_through(other, task["id"])
    assert [e["text"] for e in got if e["type"] == "message"] == ["before", "after"]
    assert sum(1 for e in got if e.get("status") in ("completed", "failed", "cancelled")) == 1
    assert any("resumed here" in (e.get("error") or "") for e in got)


def test_a_call_in_flight_at_a_kill_is_never_run_again(cluster, store, tmp_path) -> None:
    """A slow shell call is running when its server is killed: the take-over records its
    outcome as unknown and goes on after it, so the command runs exactly once."""
    a = cluster()
    b = cluster()
    folder = tmp_path / "work"
    folder.mkdir()
    with http(a) as ca:
        res = ca.post("/v1/resources", json={"type": "shell", "name": "slow", "config": {
            "allowed_commands": ["sleep", "touch"], "working_dir": str(folder),
            "timeout_s": 30}}).json()
        bot = ca.post("/v1/bots", json={"name": "in-flight", "allowed_operations": ["*"],
                                         "resource_bindings": [{
                                             "resource_id": res["id"], "allowed_tools": ["*"],
                                             "scope_constraints": {"commands": ["*"]}}]}
                      ).json()["id"]
        task = ca.post("/v1/tasks", json={"bot_id": bot, "input":
                                           'call run_command {"command": "touch", "args": '
                                           '["first"]}\ncall run_command {"command": "sleep", '
                                           '"args": ["4"]}\ncall run_command {"command": '
                                           '"touch", "args": ["second"]}'}).json()
    seen_until(a, task["id"], lambda got: sum(e["type"] == "tool_call" for e in got) >= 2)
    owner = _owner(store["url"], task["id"])
    runner, other = (a, b) if _runs_on(a, owner) else (b, a)
    runner.stop(kill=True)
    with http(other) as co:
        done = wait_for(lambda: co.get(f"/v1/tasks/{task['id']}").json(),
                        lambda t: t["status"] not in ("queued", "running"), timeout=90)
        entries = co.get("/v1/audit", params={"task_id": task["id"]}).json()["data"]
        verified = co.get("/v1/audit/verify").json()
    assert done["status"] == "completed", done
    assert sorted(e["status"] for e in entries) == ["success", "success", "unknown"]
    assert (folder / "first").exists() and (folder / "second").exists()
    assert verified["ok"], verified


def test_the_per_bot_limit_holds_across_servers(cluster) -> None:
    a = cluster("--max-running-per-bot", "1")
    b = cluster("--max-running-per-bot", "1")
    bot = make_bot(a, "one-at-a-time")
    ids = []
    for proc in (a, b, a, b):
        with http(proc) as c:
            ids.append(c.post("/v1/tasks", json={"bot_id": bot,
                                                  "input": "wait 0.5\nsay done"}).json()["id"])
    with http(a) as ca:
        tasks = [wait_for(lambda i=i: ca.get(f"/v1/tasks/{i}").json(),
                          lambda t: t["status"] == "completed") for i in ids]
    spans = sorted((t["started_at"], t["finished_at"]) for t in tasks)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, spans  # never two at once, whichever server ran them


def test_a_cancel_through_another_server_stops_the_task(cluster) -> None:
    a = cluster()
    b = cluster()
    bot = make_bot(a, "cancelled-elsewhere")
    with http(a) as ca:
        task = ca.post("/v1/tasks", json={"bot_id": bot, "input": "say hi\nwait 30"}).json()
        wait_for(lambda: ca.get(f"/v1/tasks/{task['id']}").json(),
                 lambda t: t["status"] == "running")
    for proc in (a, b):  # through whichever does not run it (and the one that does)
        with http(proc) as c:
            answer = c.post(f"/v1/tasks/{task['id']}/cancel")
            if answer.status_code == 200:
                assert answer.json()["status"] == "cancelled", answer.json()
                break
    got = events_through(b, task["id"])
    assert got[-1]["status"] == "cancelled"
    assert sum(1 for e in got if e.get("status") in ("completed", "failed", "cancelled")) == 1


def _owner(url: str, task_id: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT owner FROM tasks WHERE id = :i"),
                                    {"i": task_id}).scalar_one())
    finally:
        engine.dispose()


def _runs_on(proc: ServerProcess, owner: str) -> bool:
    assert proc.process is not None
    return owner.split(":")[2] == str(proc.process.pid)


def test_a_key_revoked_through_one_server_is_refused_by_another_at_once(cluster) -> None:
    """Each request looks its key up in the store: no process serves a revoked key, not
    even on the hot reads that check the key in the same step as the query."""
    a = cluster()
    b = cluster()
    with http(a) as admin:
        made = admin.post("/v1/api-keys", json={"name": "short", "scopes": ["bots:read",
                                                                            "audit:read"]})
        assert made.status_code == 201, made.text
        key = made.json()
        mine = {"Authorization": f"Bearer {key['secret']}"}
        with httpx.Client(base_url=b.url, timeout=30, headers=mine) as c:
            for path in ("/v1/bots", "/v1/audit", "/v1/bots?limit=1"):
                assert c.get(path).status_code == 200, path
            assert admin.delete(f"/v1/api-keys/{key['id']}").status_code == 204
            for path in ("/v1/bots", "/v1/audit", "/v1/whoami"):
                refused = c.get(path)
                assert refused.status_code == 401, (path, refused.text)
                assert refused.json()["error"]["type"] == "authentication_error"
