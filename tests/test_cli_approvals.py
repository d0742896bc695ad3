"""``monstrum approvals`` and ``monstrum integrations import-mcp`` run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml


def monstrum(*args: str, env: dict[str, str]):
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )


def _env(server) -> dict[str, str]:
    return {"MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_API_BASE": server.url}


def test_list_approve_and_reject_from_the_command_line(client, server, tmp_path: Path):
    folder = tmp_path / "w"
    folder.mkdir()
    res = client.resources.create(type="shell", name="cli-approvals", config={
        "allowed_commands": ["echo"], "working_dir": str(folder)})
    bot = client.bots.create(name="cli-approvals", allowed_operations=["shell.exec"],
                             resource_bindings=[{
                                 "resource_id": res.id, "allowed_tools": ["run_command"],
                                 "scope_constraints": {"commands": ["echo"]},
                                 "require_approval": {"tools": ["run_command"]}}])
    line = 'call run_command {"command": "echo", "args": ["from-cli"]}'
    first = client.tasks.create(bot_id=bot.id, input=line)
    second = client.tasks.create(bot_id=bot.id, input=line)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = monstrum("approvals", "list", "--bot", bot.id, "--format", "json", env=_env(server))
        assert out.returncode == 0, out.stderr
        pending = json.loads(out.stdout)
        if len(pending) == 2:
            break
        time.sleep(0.2)
    by_task = {p["task_id"]: p["id"] for p in pending}
    table = monstrum("approvals", "list", env=_env(server))
    assert by_task[first.id] in table.stdout and "run_command" in table.stdout
    ok = monstrum("approvals", "approve", by_task[first.id], "-m", "ticket 12", env=_env(server))
    assert ok.returncode == 0 and "approved" in ok.stdout
    no = monstrum("approvals", "reject", by_task[second.id], "--reason", "no", env=_env(server))
    assert no.returncode == 0 and "rejected" in no.stdout
    again = monstrum("approvals", "approve", by_task[second.id], env=_env(server))
    assert again.returncode != 0 and "already rejected" in again.stderr
    assert client.tasks.wait(first.id).output and "from-cli" in client.tasks.get(first.id).output
    assert client.tasks.wait(second.id).denials == 1


def test_import_mcp_writes_a_manifest_that_uploads(server, tmp_path: Path):
    out_file = tmp_path / "notes.yaml"
    made = monstrum("integrations", "import-mcp", "cli-notes", "--command", sys.executable,
                    "--arg=-m", "--arg=monstrum_tui.mcp_testserver", "--arg=stdio",
                    "--env", "NOTES_TOKEN={credentials.token}", "--credential", "token=t0ken-x",
                    "-o", str(out_file), env=_env(server))
    assert made.returncode == 0, made.stderr
    text = out_file.read_text()
    assert "t0ken-x" not in text
    data = yaml.safe_load(text)
    assert data["mcp"]["command"] == sys.executable
    assert {t["name"] for t in data["tools"]} >= {"read_note", "delete_note"}
    up = monstrum("integrations", "upload", str(out_file), env=_env(server))
    assert up.returncode == 0, up.stderr
    assert "installed cli-notes 1.0.0" in up.stdout
