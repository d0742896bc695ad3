"""Tool calls end to end: governance, executors, events, audit, and secrets that never leak."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from monstrum.exceptions import NotFoundError
from tests.upstream_http import RecordingUpstream

TICKETS_MANIFEST = """
name: tickets-{suffix}
version: 1.0.0
description: A ticket API reached over HTTP
resource_type:
  id: tickets_{suffix}
  name: Tickets
credential_schema:
  - field: api_token
    type: secret
    required: true
config_schema:
  - field: api_base
    type: url
    required: true
auth_methods:
  - type: header
    name: X-Api-Token
    value: "{{credentials.api_token}}"
tools:
  - name: get_ticket
    description: Fetch one ticket
    operation: ticket.read
    input_schema:
      type: object
      properties:
        project: {{type: string}}
        number: {{type: integer}}
      required: [project, number]
    http:
      method: GET
      path: /projects/{{params.project}}/tickets/{{params.number}}
scope_dimensions:
  - key: projects
    param_paths: [project]
    match_mode: pattern
    error_template: "项目 {{value}} 不在授权范围内"
"""


@pytest.fixture
def upstream():
    u = RecordingUpstream().start()
    yield u
    u.stop()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("alpha\n")
    (root / "secret.txt").write_text("top secret\n")
    return root


def _fs_bot(client, files: Path, name: str, **binding_extra):
    res = client.resources.create(type="filesystem", name=name, config={"root": str(files)})
    binding = {"resource_id": res.id, "allowed_tools": ["list_files", "read_file"],
               "scope_constraints": {"paths": ["docs/*", "."]}, **binding_extra}
    bot = client.bots.create(name=name, allowed_operations=["files.read"],
                             resource_bindings=[binding])
    return res, bot


def test_scripted_task_runs_governed_filesystem_calls(client, files) -> None:
    res, bot = _fs_bot(client, files, "fs-bot")
    task_input = "\n".join([
        'call list_files {"path": "."}',
        'call read_file {"path": "docs/a.txt"}',
        'call read_file {"path": "secret.txt"}',
        'call search_files {"query": "secret"}',
        'call read_file {"path": "docs/a.txt", "nope": 1}',
    ])
    events = list(client.tasks.stream(bot_id=bot.id, input=task_input))
    types = [e.type for e in events]
    assert types == ["started", "tool_call", "result", "tool_call", "result",
                     "denied", "denied", "denied", "complete"]
    call, result = events[3], events[4]
    assert (call.tool_name, call.resource_id, call.params) == (
        "read_file", res.id, {"path": "docs/a.txt"})
    assert result.call_id == call.call_id and "alpha" in json.dumps(result.data)
    assert result.duration_ms is not None
    scope, tools, schema = events[5], events[6], events[7]
    assert scope.reason["check"] == "scope"
    assert scope.reason["message"] == "path secret.txt is outside the folders this bot may read"
    assert tools.reason["check"] == "allowed_tools"
    assert schema.reason["check"] == "input_schema"
    assert events[-1].output.startswith("5 tool call(s): 2 ok, 3 denied, 0 failed")
    task = client.tasks.get(task_id=events[0].task_id)
    assert (task.tool_calls, task.denials) == (5, 3)
    audit = list(client.audit.list(task_id=task.id))
    assert sorted(e.status for e in audit) == ["denied"] * 3 + ["success"] * 2
    denied = next(e for e in audit if e.status == "denied" and e.tool_name == "read_file"
                  and e.decision and e.decision.get("check") == "scope")
    assert denied.reason == "path secret.txt is outside the folders this bot may read"
    ok = next(e for e in audit if e.status == "success" and e.tool_name == "read_file")
    assert ok.duration_ms is not None and ok.result_size and ok.result_size > 0
    assert ok.resource_id == res.id and ok.operation == "files.read"


def test_authorize_is_a_dry_run(client, files) -> None:
    res, bot = _fs_bot(client, files, "dry-run-bot")
    d = client.bots.authorize(bot_id=bot.id, tool="read_file", params={"path": "secret.txt"})
    assert not d.allowed and d.check == "scope" and d.dimension == "paths"
    assert (d.param_path, d.value, d.allowed_patterns) == ("path", "secret.txt", ["docs/*", "."])
    d = client.bots.authorize(bot_id=bot.id, tool=f"{res.id}/read_file",
                              params={"path": "docs/a.txt"})
    assert d.allowed and d.resource_id == res.id and d.operation == "files.read"
    assert list(client.audit.list(bot_id=bot.id)) == []  # nothing ran, nothing recorded
    with pytest.raises(NotFoundError):
        client.bots.authorize(bot_id="bot_nope", tool="read_file", params={})


def test_ambiguous_tool_needs_the_resource_id(client, files) -> None:
    res1 = client.resources.create(type="filesystem", name="fs-a", config={"root": str(files)})
    res2 = client.resources.create(type="filesystem", name="fs-b", config={"root": str(files)})
    bindings = [{"resource_id": r.id, "allowed_tools": ["*"], "scope_constraints": {
        "paths": ["*"]}} for r in (res1, res2)]
    bot = client.bots.create(name="two-fs", allowed_operations=["files.*"],
                             resource_bindings=bindings)
    events = list(client.tasks.stream(
        bot_id=bot.id,
        input=f'call list_files {{}}\ncall {res2.id}/list_files {{"path": "docs"}}'))
    assert events[1].type == "denied" and "RESOURCE_ID/list_files" in events[1].reason["message"]
    assert events[2].type == "tool_call" and events[2].resource_id == res2.id
    assert events[3].type == "result"


def test_pausing_a_bot_mid_task_denies_its_next_call(client, files) -> None:
    _, bot = _fs_bot(client, files, "pause-mid-bot")
    task = client.tasks.create(
        bot_id=bot.id, input='call list_files {}\nwait 0.5\ncall list_files {}')
    for event in client.tasks.events(task_id=task.id):
        if event.type == "result":
            client.bots.update(bot_id=bot.id, status="paused")
    events = list(client.tasks.events(task_id=task.id))
    assert [e.type for e in events][-2:] == ["denied", "complete"]
    assert events[-2].reason["check"] == "bot_active"


def _tickets(client, upstream, token: str):
    suffix = secrets.token_hex(3)
    client.integrations.upload(manifest=TICKETS_MANIFEST.format(suffix=suffix))
    res = client.resources.create(
        type=f"tickets_{suffix}", name="tickets", config={"api_base": upstream.url},
        credentials={"api_token": token},
    )
    bot = client.bots.create(
        name="ticket-bot", allowed_operations=["ticket.read"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["get_ticket"],
                            "scope_constraints": {"projects": ["OPS", "ENG-*"]}}],
    )
    return res, bot


def test_allowed_call_reaches_upstream_with_credentials_denied_never_does(
    client, upstream
) -> None:
    token = "tok_" + secrets.token_hex(16)
    res, bot = _tickets(client, upstream, token)
    task = client.tasks.run(
        bot_id=bot.id,
        input='call get_ticket {"project": "ENG-1", "number": 7}\n'
              'call get_ticket {"project": "SEC", "number": 1}',
    )
    assert task.status == "completed"
    assert len(upstream.requests) == 1  # the denied call never left the platform
    seen = upstream.requests[0]
    assert seen["path"] == "/projects/ENG-1/tickets/7"
    assert seen["headers"]["x-api-token"] == token  # applied as the manifest says

    # the upstream echoed the token back: it is redacted everywhere it could surface
    events = list(client.tasks.events(task_id=task.id))
    audit = list(client.audit.list(task_id=task.id))
    resource = client.resources.get(resource_id=res.id)
    surfaces = [
        *(e.model_dump_json() for e in events),
        *(a.model_dump_json() for a in audit),
        client.tasks.get(task_id=task.id).model_dump_json(),
        resource.model_dump_json(),
    ]
    assert not [s for s in surfaces if token in s]
    result = next(e for e in events if e.type == "result")
    assert result.data["echo"]["headers"]["x-api-token"] == "***"
    denied = next(e for e in events if e.type == "denied")
    assert denied.reason["message"] == "项目 SEC 不在授权范围内"
