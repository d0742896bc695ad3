"""Human approval end to end: a gated call pauses its task until a person decides, the
decision (key, reason) lands on the audit log, a timeout rejects, and the model is told."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import monstrum
from monstrum.exceptions import ConflictError, NotFoundError, PermissionError


def _shell_bot(client, tmp_path: Path, name: str, **rule):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "notes.txt").write_text("hello\n")
    res = client.resources.create(
        type="shell", name=name,
        config={"allowed_commands": ["echo", "cat"], "working_dir": str(folder)},
    )
    binding = {"resource_id": res.id, "allowed_tools": ["run_command"],
               "scope_constraints": {"commands": ["echo", "cat"]}}
    if rule:
        binding["require_approval"] = rule
    bot = client.bots.create(name=name, allowed_operations=["shell.exec"],
                             resource_bindings=[binding])
    return res, bot


def _line(command: str, *args: str) -> str:
    return "call run_command " + json.dumps({"command": command, "args": list(args)})


def _pending_for(client, task_id: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(client.approvals.list(status="pending", task_id=task_id))
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no pending approval for {task_id}")


def _wait_task(client, task_id: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.tasks.get(task_id)
        if task.status in ("completed", "failed", "cancelled"):
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not finish")


@pytest.fixture
def approver(client, server):
    key = client.api_keys.create(name="approver-alice", scopes=["approvals:write"])
    c = monstrum.Client(api_key=key.secret, api_base=server.url)
    yield c, key
    c.close()


def test_approved_call_runs_and_the_audit_names_the_approver(client, approver, tmp_path):
    alice, alice_key = approver
    _, bot = _shell_bot(client, tmp_path, "approve-bot", tools=["run_command"], timeout_s=120)
    task = client.tasks.create(bot_id=bot.id, input=_line("echo", "deployed"))
    pending = _pending_for(client, task.id)
    assert pending.tool_name == "run_command" and pending.via == "task"
    assert "run_command" in pending.reason and pending.params["command"] == "echo"
    assert client.tasks.get(task.id).status == "waiting_approval"
    assert client.approvals.summary().pending >= 1
    # the audit entry already records the wait
    waiting = client.audit.get(pending.audit_id)
    assert waiting.status == "pending" and waiting.task_id == task.id
    assert waiting.decision["approval_required"] == pending.reason

    decided = alice.approvals.approve(pending.id, reason="change ticket CHG-7")
    assert decided.status == "approved" and decided.decided_by == alice_key.id
    done = _wait_task(client, task.id)
    assert done.status == "completed", done.error
    assert "deployed" in (done.output or "")
    [entry] = list(client.audit.list(task_id=task.id))
    assert entry.status == "success"
    assert f"approved by approver-alice ({alice_key.id}): change ticket CHG-7" in entry.reason
    events = list(client.tasks.events(task.id, after=0))
    approvals = [e.approval.status for e in events if e.type == "approval"]
    assert approvals == ["pending", "approved"]
    kinds = [e.type for e in events]
    assert kinds.index("approval") < kinds.index("tool_call") < kinds.index("result")
    with pytest.raises(ConflictError):
        alice.approvals.reject(pending.id, reason="too late")


def test_rejected_call_does_not_run_and_the_model_is_told(client, approver, tmp_path):
    alice, alice_key = approver
    _, bot = _shell_bot(client, tmp_path, "reject-bot", tools=["run_*"], timeout_s=120)
    task = client.tasks.create(bot_id=bot.id, input=_line("echo", "nope"))
    pending = _pending_for(client, task.id)
    alice.approvals.reject(pending.id, reason="not during the freeze")
    done = _wait_task(client, task.id)
    assert done.status == "completed" and done.denials == 1
    [entry] = list(client.audit.list(task_id=task.id))
    assert entry.status == "denied"
    assert f"rejected by approver-alice ({alice_key.id}): not during the freeze" in entry.reason
    events = list(client.tasks.events(task.id, after=0))
    denied = [e for e in events if e.type == "denied"]
    assert denied and denied[0].reason["check"] == "approval"
    assert "not during the freeze" in denied[0].error
    assert not any(e.type == "result" for e in events)


def test_timeout_rejects(client, tmp_path):
    _, bot = _shell_bot(client, tmp_path, "timeout-bot", tools=["run_command"], timeout_s=1)
    task = client.tasks.create(bot_id=bot.id, input=_line("echo", "late"))
    done = _wait_task(client, task.id)
    [entry] = list(client.audit.list(task_id=task.id))
    assert entry.status == "denied" and "approval expired" in entry.reason
    [approval] = list(client.approvals.list(task_id=task.id))
    assert approval.status == "expired"
    assert done.denials == 1


def test_scope_values_require_approval_only_when_they_match(client, approver, tmp_path):
    alice, _ = approver
    _, bot = _shell_bot(client, tmp_path, "scope-gate-bot", scope={"commands": ["cat"]},
                        timeout_s=120)
    quick = client.tasks.run(bot_id=bot.id, input=_line("echo", "free"))
    assert quick.status == "completed" and "free" in (quick.output or "")
    task = client.tasks.create(bot_id=bot.id, input=_line("cat", "notes.txt"))
    pending = _pending_for(client, task.id)
    assert "commands value cat" in pending.reason
    alice.approvals.approve(pending.id)
    assert "hello" in (_wait_task(client, task.id).output or "")


def test_who_may_decide(client, server, tmp_path):
    _, bot = _shell_bot(client, tmp_path, "who-bot", tools=["run_command"], timeout_s=120)
    task = client.tasks.create(bot_id=bot.id, input=_line("echo", "x"))
    pending = _pending_for(client, task.id)
    for scopes in (["approvals:read"], ["mcp:call"], ["tasks:write", "bots:write"]):
        key = client.api_keys.create(name=f"no-{scopes[0]}", scopes=scopes)
        with monstrum.Client(api_key=key.secret, api_base=server.url) as other:
            with pytest.raises(PermissionError) as err:
                other.approvals.approve(pending.id)
            assert err.value.required_scope == "approvals:write"
    with pytest.raises(NotFoundError):
        client.approvals.approve("apr_doesnotexist")
    client.tasks.cancel(task.id)
    done = _wait_task(client, task.id)
    assert done.status == "cancelled"
    [approval] = list(client.approvals.list(task_id=task.id))
    assert approval.status == "cancelled"
    [entry] = list(client.audit.list(task_id=task.id))
    assert entry.status == "denied" and "did not run" in entry.reason
    with pytest.raises(ConflictError):
        client.approvals.approve(pending.id)


def test_bad_rules_are_refused_with_the_field(client, tmp_path):
    from monstrum.exceptions import ValidationError as Invalid

    res, _ = _shell_bot(client, tmp_path, "bad-rule-bot")
    for rule, field in (
        ({"tools": ["nothing_*"]}, "require_approval.tools[0]"),
        ({"scope": {"regions": ["x"]}}, "require_approval.scope.regions"),
        ({"scope": {"commands": []}}, "require_approval.scope.commands"),
    ):
        with pytest.raises(Invalid) as err:
            client.bots.create(name="bad-rule", allowed_operations=["shell.exec"],
                               resource_bindings=[{"resource_id": res.id,
                                                   "allowed_tools": ["run_command"],
                                                   "require_approval": rule}])
        assert any(field in f["field"] for f in err.value.fields), err.value.fields


def test_an_approval_rule_holds_for_the_file_really_read(client, tmp_path):
    """``require_approval: {scope: {paths: [secret/*]}}`` under ``paths: ["*"]``: a hostile
    model that writes the path another way (``./secret/x.md``), goes through a link into
    ``secret/``, or searches the whole root, must not read a gated file unapproved. The
    decision saw text that does not match the rule; the executor judges what it touches."""
    root = tmp_path / "gated-root"
    (root / "secret").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "secret" / "x.md").write_text("TOPSECRET plans\n")
    (root / "docs" / "a.md").write_text("public notes\n")
    (root / "docs" / "link.md").symlink_to("../secret/x.md")
    res = client.resources.create(type="filesystem", name="gated-files",
                                  config={"root": str(root)})
    bot = client.bots.create(
        name="gated-reader", allowed_operations=["files.read", "files.search"],
        resource_bindings=[{
            "resource_id": res.id, "allowed_tools": ["read_file", "search_files", "list_files"],
            "scope_constraints": {"paths": ["*"]},
            "require_approval": {"scope": {"paths": ["secret/*"]}, "timeout_s": 1}}],
    )
    calls = [("read_file", {"path": p}) for p in ("./secret/x.md", "docs/link.md",
                                                   "secret/./x.md", "docs/../secret/x.md")]
    calls += [("search_files", {"query": "plans"}),
              ("search_files", {"query": "plans", "path": "./secret"}),
              ("read_file", {"path": "docs/a.md"})]
    text = "\n".join(f"call {tool} {json.dumps(params)}" for tool, params in calls)
    task = client.tasks.run(bot_id=bot.id, input=text)
    assert task.status == "completed", task.error
    events = list(client.tasks.events(task.id, after=0))
    shown = json.dumps([e.model_dump(mode="json") for e in events])
    assert "TOPSECRET" not in shown
    assert "public notes" in shown  # the ungated file is read as usual
    entries = list(client.audit.list(task_id=task.id))[::-1]
    by_path = [(e.tool_name, e.params.get("path"), e.status) for e in entries]
    assert [status for _, _, status in by_path[:4]] == ["denied"] * 4, by_path
    denied = [e for e in events if e.type == "denied"]
    assert any(d.reason["check"] == "approval" for d in denied), denied
