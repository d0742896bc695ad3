"""``monstrum tasks ...`` and ``monstrum bots authorize`` run as a user (or CI) would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest


def monstrum(*args: str, env: dict[str, str], stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args],
        capture_output=True, text=True, timeout=60, input=stdin,
        env={**os.environ, **env},
    )


@pytest.fixture
def as_admin(server) -> dict[str, str]:
    return {"MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_API_BASE": server.url}


@pytest.fixture
def fs_bot(client, tmp_path: Path):
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("alpha\n")
    res = client.resources.create(type="filesystem", name="cli-fs", config={"root": str(root)})
    name = f"cli-bot-{uuid.uuid4().hex[:6]}"
    return client.bots.create(
        name=name, allowed_operations=["files.read"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["read_file"],
                            "scope_constraints": {"paths": ["docs/*"]}}],
    )


def test_run_follow_prints_events_and_exits_zero(as_admin, fs_bot) -> None:
    task_input = 'call read_file {"path": "docs/a.txt"}\ncall read_file {"path": "x.txt"}'
    out = monstrum("tasks", "run", "--bot", fs_bot.name, "--input", task_input, "--follow",
                   "--metadata", '{"source": "ci"}', env=as_admin)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "[1] started"
    assert lines[1].startswith("[2] tool_call read_file {\"path\": \"docs/a.txt\"}")
    assert lines[2].startswith("[3] result read_file (") and "alpha" in lines[2]
    assert lines[3].startswith("[4] denied read_file: path x.txt is outside")
    assert lines[3].endswith("[scope]")
    assert lines[4].startswith("[5] complete: 2 tool call(s): 1 ok, 1 denied")
    assert "completed" in out.stderr


def test_run_json_lines_and_failure_exit_code(new_server) -> None:
    import monstrum as sdk

    srv = new_server()  # started without OPENAI_API_KEY: no provider for gpt-4o
    as_admin = {"MONSTRUM_API_KEY": srv.admin_key, "MONSTRUM_API_BASE": srv.url}
    with sdk.Client(api_key=srv.admin_key, api_base=srv.url) as client:
        bot = client.bots.create(name="cli-llm", model="gpt-4o")
    out = monstrum("tasks", "run", "--bot", bot.id, "--input", "hi", "--follow", "--json",
                   env=as_admin)
    assert out.returncode == 1
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["type"] for e in events] == ["started", "error"]
    assert events[-1]["status"] == "failed" and "OPENAI_API_KEY" in events[-1]["error"]
    plain = monstrum("tasks", "run", "--bot", bot.id, "--input", "hi", env=as_admin)
    assert plain.returncode == 1 and "OPENAI_API_KEY" in plain.stderr


def test_run_reads_stdin_then_get_list_watch(as_admin, client) -> None:
    bot = client.bots.create(name="cli-scripted")
    out = monstrum("tasks", "run", "--bot", bot.id, "--input", "-", "--json", env=as_admin,
                   stdin="say from stdin\n")
    assert out.returncode == 0, out.stderr
    task = json.loads(out.stdout)
    assert task["status"] == "completed" and task["input"] == "say from stdin\n"
    got = monstrum("tasks", "get", task["id"], env=as_admin)
    assert json.loads(got.stdout)["id"] == task["id"]
    listed = monstrum("tasks", "list", "--bot", bot.id, "--json", env=as_admin)
    assert [t["id"] for t in json.loads(listed.stdout)] == [task["id"]]
    table = monstrum("tasks", "list", "--bot", bot.id, env=as_admin)
    assert table.stdout.splitlines()[0].split()[:3] == ["ID", "BOT", "STATUS"]
    watched = monstrum("tasks", "watch", task["id"], "--after", "1", env=as_admin)
    assert watched.returncode == 0
    assert watched.stdout.splitlines() == ["[2] message: from stdin",
                                           "[3] complete: no tool calls: the input has no "
                                           "'call TOOL {JSON}' lines"]


def test_cancel_and_bad_input(as_admin, client) -> None:
    bot = client.bots.create(name="cli-cancel")
    task = client.tasks.create(bot_id=bot.id, input="wait 60")
    out = monstrum("tasks", "cancel", task.id, env=as_admin)
    assert out.returncode == 0 and f"task {task.id} cancelled" in out.stdout
    again = monstrum("tasks", "cancel", task.id, env=as_admin)
    assert again.returncode != 0 and "already cancelled" in again.stderr
    bad = monstrum("tasks", "run", "--bot", bot.id, "--input", "x", "--metadata", "[1]",
                   env=as_admin)
    assert bad.returncode != 0 and "--metadata must be a JSON object" in bad.stderr
    missing = monstrum("tasks", "run", "--bot", "no-such-bot-name", "--input", "x",
                       env=as_admin)
    assert missing.returncode != 0 and "no bot named 'no-such-bot-name'" in missing.stderr


def test_bots_authorize(as_admin, fs_bot) -> None:
    ok = monstrum("bots", "authorize", fs_bot.id, "--tool", "read_file",
                  "--params", '{"path": "docs/a.txt"}', env=as_admin)
    assert ok.returncode == 0 and ok.stdout.startswith("allowed: read_file on res_")
    denied = monstrum("bots", "authorize", fs_bot.id, "--tool", "read_file",
                      "--params", '{"path": "etc/passwd"}', env=as_admin)
    assert denied.returncode == 1
    assert denied.stdout.splitlines()[0] == (
        "denied by scope: path etc/passwd is outside the folders this bot may read")
    assert '  allowed_patterns: ["docs/*"]' in denied.stdout
    as_json = monstrum("bots", "authorize", fs_bot.name, "--tool", "list_files", "--json",
                       env=as_admin)
    assert json.loads(as_json.stdout)["check"] == "allowed_tools"


def test_follow_keeps_one_turn_on_one_line(capsys) -> None:
    from datetime import datetime, timezone

    from monstrum_tui.cli.tasks import _follow
    from monstrum_tui.client.models import TaskEvent

    now = datetime.now(timezone.utc)

    def ev(seq: int, type: str, **fields) -> TaskEvent:
        return TaskEvent(seq=seq, task_id="task_x", type=type, timestamp=now, **fields)

    _follow([ev(1, "started"), ev(2, "message", text="Let me ", turn=1),
             ev(3, "message", text="look.", turn=1), ev(4, "message", text="next", turn=2),
             ev(5, "tool_call", tool_name="t", params={}, resource_id="res_x"),
             ev(6, "message", text="done", turn=3)], as_json=False)
    assert capsys.readouterr().out.splitlines() == [
        "[1] started", "[2] message: Let me look.", "[4] message: next",
        "[5] tool_call t {} on res_x", "[6] message: done"]


def test_run_on_a_paused_bot_says_so(as_admin, client) -> None:
    bot = client.bots.create(name=f"cli-paused-{uuid.uuid4().hex[:6]}", status="paused")
    out = monstrum("tasks", "run", "--bot", bot.name, "--input", "say x", "--follow",
                   env=as_admin)
    assert out.returncode == 1 and out.stdout == ""
    assert "409 conflict" in out.stderr
    assert "is paused: it cannot start tasks until its status is set back to active" in out.stderr
