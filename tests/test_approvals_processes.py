"""Approvals are data: another server process on the same database decides a call, and a
server that stopped while a call waited closes it on restart (denied: it never ran)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import monstrum


def _gated_bot(c, folder: Path):
    folder.mkdir(exist_ok=True)
    res = c.resources.create(type="shell", name="procs", config={
        "allowed_commands": ["echo"], "working_dir": str(folder)})
    return c.bots.create(name="procs", allowed_operations=["shell.exec"], resource_bindings=[{
        "resource_id": res.id, "allowed_tools": ["run_command"],
        "scope_constraints": {"commands": ["echo"]},
        "require_approval": {"tools": ["run_command"], "timeout_s": 600}}])


def _pending(c, task_id: str):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list(c.approvals.list(status="pending", task_id=task_id))
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no approval")


LINE = "call run_command " + json.dumps({"command": "echo", "args": ["across"]})


def test_another_process_decides_the_call(new_server, tmp_path: Path) -> None:
    runner = new_server("--rate-limit", "0")
    other = new_server("--rate-limit", "0", data_dir=runner.data_dir)
    with monstrum.Client(api_key=runner.admin_key, api_base=runner.url) as a, \
            monstrum.Client(api_key=runner.admin_key, api_base=other.url) as b:
        bot = _gated_bot(a, tmp_path / "w")
        task = a.tasks.create(bot_id=bot.id, input=LINE)
        approval = _pending(b, task.id)  # the other process sees the waiting call
        b.approvals.approve(approval.id, reason="from the other process")
        done = a.tasks.wait(task.id)
        assert done.status == "completed" and "across" in (done.output or "")
        [entry] = list(a.audit.list(task_id=task.id))
        assert entry.status == "success" and "from the other process" in entry.reason


def test_a_call_waiting_when_the_server_stopped_is_closed_as_denied(new_server, tmp_path):
    """The task is taken over when the server starts again: the call that waited never ran,
    so it is denied (never run later by surprise), and the task goes on after it."""
    server = new_server("--rate-limit", "0")
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        bot = _gated_bot(c, tmp_path / "w")
        task = c.tasks.create(bot_id=bot.id, input=LINE)
        approval = _pending(c, task.id)
    server.stop(kill=True)
    server.start()
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        done = c.tasks.wait(task.id)
        assert done.status == "completed" and "resumed after 1 call" in (done.output or "")
        assert c.approvals.get(approval.id).status == "cancelled"
        [entry] = list(c.audit.list(task_id=task.id))
        assert entry.status == "denied" and "did not run" in entry.reason
        assert c.audit.verify().ok
