"""Shadow mode (``enforce: log_only``): would-be denials run and are audited ``would_deny``;
what a binding cannot loosen (a paused bot, params that do not fit) stays denied."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("alpha\n")
    (root / "private.txt").write_text("beta\n")
    os.symlink(root / "private.txt", root / "docs" / "link.txt")
    return root


def _bot(client, files: Path, name: str, *, bot_enforce: str = "enforce",
         binding_enforce: str = "enforce"):
    res = client.resources.create(type="filesystem", name=name, config={"root": str(files)})
    bot = client.bots.create(
        name=name, allowed_operations=["files.read"], enforce=bot_enforce,
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["read_file"],
                            "scope_constraints": {"paths": ["docs/*"]},
                            "enforce": binding_enforce}],
    )
    return res, bot


def _run(client, bot, *lines: str):
    task = client.tasks.run(bot_id=bot.id, input="\n".join(lines))
    return task, list(client.audit.list(task_id=task.id))[::-1]


def _read(path: str) -> str:
    return "call read_file " + json.dumps({"path": path})


def test_bot_in_shadow_runs_would_be_denials_and_marks_them(client, files):
    _, bot = _bot(client, files, "shadow-bot", bot_enforce="log_only")
    assert client.bots.get(bot.id).enforce == "log_only"
    task, entries = _run(client, bot, _read("docs/a.txt"), _read("private.txt"),
                         "call search_files {\"query\": \"x\"}", _read(""))
    statuses = [e.status for e in entries]
    # in scope: success; out of scope: ran, would_deny; a tool the binding does not allow:
    # would_deny too (allowed_tools is the binding's); params that do not fit: still denied
    assert statuses[0] == "success"
    assert statuses[1] == "would_deny"
    assert "would deny" in entries[1].reason and "private.txt" in entries[1].reason
    assert "succeeded" in entries[1].reason
    assert entries[1].decision["enforce"] == "log_only"
    assert "beta" in (task.output or "")
    assert statuses[2] == "would_deny" and "allowed_tools" in entries[2].reason
    assert statuses[3] == "would_deny"  # an empty path is out of scope, not malformed
    listed = list(client.audit.list(bot_id=bot.id, status="would_deny"))
    assert {e.id for e in listed} == {entries[1].id, entries[2].id, entries[3].id}


def test_binding_in_shadow_and_the_guard_notes_what_it_would_refuse(client, files):
    _, bot = _bot(client, files, "shadow-binding", binding_enforce="log_only")
    # the symlink's real target is out of scope: the guard would refuse it
    task, entries = _run(client, bot, _read("docs/link.txt"))
    assert [e.status for e in entries] == ["would_deny"]
    assert "beta" in (task.output or "")
    client.bots.update(bot.id, resource_bindings=[{
        "resource_id": bot.resource_bindings[0].resource_id, "allowed_tools": ["read_file"],
        "scope_constraints": {"paths": ["docs/*"]}}])
    _, entries = _run(client, bot, _read("docs/link.txt"), _read("private.txt"))
    assert [e.status for e in entries] == ["denied", "denied"]


def test_shadow_does_not_wake_a_paused_bot_or_fix_bad_params(client, files):
    _, bot = _bot(client, files, "shadow-limits", bot_enforce="log_only")
    decision = client.bots.authorize(bot.id, tool="read_file", params={"path": 7})
    assert not decision.allowed and decision.check == "input_schema"
    # a tool the binding does not allow, with params its schema refuses: denied, not run
    _, entries = _run(client, bot, "call read_file {\"path\": 7}", "call nope {}",
                      "call search_files {\"query\": 5}")
    assert [e.status for e in entries] == ["denied", "denied", "denied"]
    assert entries[2].decision["check"] == "allowed_tools"
    client.bots.update(bot.id, status="paused")
    decision = client.bots.authorize(bot.id, tool="read_file", params={"path": "x"})
    assert decision.check == "bot_active"
