"""Several server processes on one PostgreSQL database: they start together, share the
schema and the first admin key, and keep one audit chain between them."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_postgres_database, require_postgres
from tests.serverproc import ServerProcess


@pytest.fixture
def shared(tmp_path: Path) -> dict[str, Any]:
    """One empty database and one data dir (so one secret key and one audit key)."""
    return {"url": fresh_postgres_database(require_postgres()), "data_dir": tmp_path / "data"}


@pytest.fixture
def servers(shared: dict[str, Any]):
    started: list[ServerProcess] = []

    def start(n: int) -> list[ServerProcess]:
        procs = [ServerProcess(data_dir=shared["data_dir"], database_url=shared["url"],
                               extra_args=["--rate-limit", "0"]) for _ in range(n)]
        started.extend(procs)
        failures: list[BaseException] = []

        def launch(proc: ServerProcess) -> None:
            try:
                proc.start(timeout=90)
            except BaseException as exc:  # reported below, with the server's log
                failures.append(exc)

        threads = [threading.Thread(target=launch, args=(p,)) for p in procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures[0]
        return procs

    yield start
    for proc in started:
        proc.stop()


def client(proc: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=proc.url, timeout=30,
                        headers={"Authorization": f"Bearer {proc.admin_key}"})


def test_four_servers_starting_at_once_on_one_empty_database_all_come_up(servers) -> None:
    procs = servers(4)
    for proc in procs:
        assert proc.process is not None and proc.process.poll() is None
        with client(proc) as http:
            assert http.get("/v1/whoami").json()["scopes"] == ["admin"]
            names = [i["name"] for i in http.get("/v1/integrations").json()["data"]]
            assert sorted(names) == sorted(set(names)) and "filesystem" in names
            keys = http.get("/v1/api-keys").json()["data"]
            assert [k["name"] for k in keys] == ["admin"]  # created once, by one of them
        log = proc.log()
        assert "Traceback" not in log and "UniqueViolation" not in log
    printed = sum("Created the admin API key" in p.log() for p in procs)
    assert printed == 1


def wait_finished(http: httpx.Client, task_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = http.get(f"/v1/tasks/{task_id}").json()
        if task["status"] not in ("queued", "running"):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


def test_two_servers_appending_audit_at_once_keep_one_chain(servers, tmp_path: Path) -> None:
    a, b = servers(2)
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha\n")
    calls = 30
    with client(a) as http_a, client(b) as http_b:
        resource = http_a.post("/v1/resources", json={
            "type": "filesystem", "name": "shared files", "config": {"root": str(folder)},
        }).json()
        bot = http_a.post("/v1/bots", json={
            "name": "lister", "model": "scripted", "allowed_operations": ["files.read"],
            "resource_bindings": [{"resource_id": resource["id"], "allowed_tools": ["*"],
                                   "scope_constraints": {"paths": ["*"]}}],
        }).json()
        # half allowed, half denied (searching is not among the bot's operations):
        # both are audited, so both kinds of append interleave between the servers
        script = "\n".join(
            'call search_files {"query": "alpha"}' if i % 2 else 'call read_file {"path": "a.txt"}'
            for i in range(calls))
        tasks = []
        for http in (http_a, http_b, http_a, http_b):
            made = http.post("/v1/tasks", json={"bot_id": bot["id"], "input": script})
            assert made.status_code in (200, 201, 202), made.text
            tasks.append((http, made.json()["id"]))
        finished = [wait_finished(http, task_id) for http, task_id in tasks]
        assert [t["status"] for t in finished] == ["completed"] * 4
        assert all((t["tool_calls"], t["denials"]) == (calls, calls // 2) for t in finished)
        for http in (http_a, http_b):
            result = http.get("/v1/audit/verify", params={"full": "true"}).json()
            assert result["ok"] and result["sealed"], result
            assert result["checked"] == 4 * calls
        entries = http_b.get("/v1/audit", params={"limit": 500}).json()["data"]
        assert sorted(e["seq"] for e in entries) == list(range(1, 4 * calls + 1))
        assert {e["task_id"] for e in entries} == {task_id for _, task_id in tasks}
        statuses = [e["status"] for e in entries]
        assert statuses.count("denied") == statuses.count("success") == 2 * calls


def test_text_postgresql_cannot_store_is_a_422_not_a_500(servers) -> None:
    (proc,) = servers(1)
    with client(proc) as http:
        refused = http.post("/v1/bots", json={"name": "nul\u0000name", "model": "scripted"})
        assert refused.status_code == 422, refused.text
        assert "NUL" in refused.json()["error"]["message"]
        lookup = http.get("/v1/bots/bot_%00x")
        assert lookup.status_code in (404, 422), lookup.text
        bot = http.post("/v1/bots", json={"name": "fine", "model": "scripted"}).json()
        task = http.post("/v1/tasks", json={"bot_id": bot["id"], "input": "say a\u0000b"})
        assert task.status_code == 422, task.text
    assert "Traceback" not in proc.log()


def test_a_task_whose_output_has_a_nul_still_finishes() -> None:
    """Output is made from what tools and models return, not the caller's to fix: on
    PostgreSQL each NUL is kept as U+FFFD rather than failing the task's last write."""
    from monstrum_tui.server.store import Store

    store = Store(fresh_postgres_database(require_postgres()))
    try:
        task = store.tasks.create("bot_x", "input", {})
        store.tasks.append_event(task.id, "complete", {"output": "a\x00b"}, task_changes={
            "status": "completed", "output": "a\x00b", "error": "e\x00"})
        done = store.tasks.get(task.id)
        assert done is not None and done.status == "completed"
        assert (done.output, done.error) == ("a\ufffdb", "e\ufffd")
        # the event keeps it exactly: JSON carries it as \u0000
        assert store.tasks.events_after(task.id)[0].output == "a\x00b"
    finally:
        store.close()


def test_a_plain_postgresql_url_means_psycopg(tmp_path: Path) -> None:
    """``postgresql://`` is normalised once, so the start-up lock taken around the
    start-up and the one the schema upgrade takes are the same (it deadlocked)."""
    url = fresh_postgres_database(require_postgres()).replace("postgresql+psycopg://",
                                                              "postgresql://")
    proc = ServerProcess(data_dir=tmp_path / "data", database_url=url).start(timeout=60)
    try:
        with client(proc) as http:
            assert http.get("/v1/whoami").status_code == 200
    finally:
        proc.stop()
