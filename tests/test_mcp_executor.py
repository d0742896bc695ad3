"""MCP servers as executors, end to end against the real platform: import a server's tools,
review and upload the manifest, run governed calls over stdio and Streamable HTTP; and the
attacks: a server that changes its schemas, leaks its credentials, floods, hangs or lies."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
import yaml

import monstrum
from monstrum.exceptions import PermissionError, ValidationError
from tests.mcp_servers import NOTES_STDIO, NotesHttpServer, hostile_stdio


def _suffix() -> str:
    return secrets.token_hex(3)


def _reviewed(proposal_yaml: str, *, keep: list[str] | None = None, **server: object) -> str:
    """What an author does with a proposal: keep some tools, add a scope dimension."""
    data = yaml.safe_load(proposal_yaml)
    if keep is not None:
        data["tools"] = [t for t in data["tools"] if t["name"] in keep]
    data["mcp"].update(server)
    data["scope_dimensions"] = [{"key": "titles", "param_paths": ["title"],
                                 "error_template": "note {value} is outside this bot's scope"}]
    return yaml.safe_dump(data, sort_keys=False)


def _install(client, server: dict, *, keep=None, extra: dict | None = None, **listing):
    name = f"notes-{_suffix()}"
    proposal = client.integrations.import_mcp(name=name, server=server, **listing)
    text = _reviewed(proposal.manifest, keep=keep, **(extra or {}))
    return client.integrations.upload(manifest=text), proposal


def _bot(client, type_id: str, *, tools: list[str], titles: list[str], ops: list[str],
         credentials: dict | None = None, config: dict | None = None, name: str = "mcp-bot"):
    res = client.resources.create(type=type_id, name=name, config=config or {},
                                  credentials=credentials or {})
    bot = client.bots.create(
        name=name, allowed_operations=ops,
        resource_bindings=[{"resource_id": res.id, "allowed_tools": tools,
                            "scope_constraints": {"titles": titles}}],
    )
    return res, bot


def _calls(*lines: tuple[str, dict]) -> str:
    return "\n".join(f"call {tool} {json.dumps(params)}" for tool, params in lines)


def _entries(client, task_id: str):
    return list(client.audit.list(task_id=task_id))[::-1]


def test_import_proposes_every_tool_with_its_schema_and_an_operation(client):
    server = {**NOTES_STDIO, "env": {"NOTES_TOKEN": "{credentials.token}"}}
    proposal = client.integrations.import_mcp(name="notes-proposal", server=server,
                                              credentials={"token": "listing-only"})
    tools = {t["name"]: t for t in proposal.tools}
    assert {"list_notes", "read_note", "add_note", "delete_note"} <= set(tools)
    assert tools["read_note"]["operation"] == "notes_proposal.read"
    assert tools["add_note"]["operation"] == "notes_proposal.write"
    assert tools["delete_note"]["operation"] == "notes_proposal.destructive"
    assert tools["read_note"]["input_schema"]["required"] == ["title"]
    assert len(tools["read_note"]["mcp"]["schema_digest"]) == 64
    data = yaml.safe_load(proposal.manifest)
    assert data["credential_schema"] == [{"field": "token", "type": "secret", "required": True}]
    assert data["mcp"]["env"] == {"NOTES_TOKEN": "{credentials.token}"}
    assert "scope_dimensions" in proposal.manifest  # the comment telling the author where
    assert "listing-only" not in proposal.manifest


def test_governed_calls_on_a_stdio_server_and_credentials_never_shown(client, server):
    token = "tok-" + secrets.token_urlsafe(16)
    integration, _ = _install(
        client, {**NOTES_STDIO, "env": {"NOTES_TOKEN": "{credentials.token}"}},
        keep=["read_note", "list_notes", "echo_token", "fail_with_token"],
        credentials={"token": "only-for-listing"},
    )
    assert any("not listed at upload" in n for n in integration.notes)
    prefix = integration.name.replace("-", "_")
    _, bot = _bot(client, integration.resource_type["id"],
                  tools=["read_note", "list_notes", "echo_token", "fail_with_token"],
                  titles=["release-*"], ops=[f"{prefix}.read"], credentials={"token": token})
    task = client.tasks.run(bot_id=bot.id, input=_calls(
        ("read_note", {"title": "release-2.4.1"}),
        ("read_note", {"title": "oncall-handover"}),
        ("echo_token", {}),
        ("fail_with_token", {}),
    ))
    assert task.status == "completed", task.error
    entries = _entries(client, task.id)
    assert [e.status for e in entries] == ["success", "denied", "success", "error"]
    assert "outside this bot's scope" in entries[1].reason
    events = list(client.tasks.events(task.id, after=0))
    results = [e for e in events if e.type == "result"]
    assert "JPY" in json.dumps(results[0].data)
    leaked = json.dumps(results[1].data)
    assert "***" in leaked
    # the token, and every encoding of it, is gone from results, errors, audit, the log
    forms = [token, base64.b64encode(token.encode()).decode()]
    everything = [json.dumps([e.model_dump(mode="json") for e in events]),
                  json.dumps([e.model_dump(mode="json") for e in entries]),
                  task.output or "", server.log()]
    for text in everything:
        for form in forms:
            assert form not in text
    errors = [e for e in events if e.type == "error" and e.tool_name == "fail_with_token"]
    assert errors and "***" in errors[0].error


def test_a_schema_changed_on_the_server_is_refused_until_re_review(client, tmp_path: Path):
    schema_file = tmp_path / "schema.json"
    integration, _ = _install(
        client, {**NOTES_STDIO, "env": {"NOTES_SCHEMA_FILE": "{config.schema_file}"}},
        keep=["read_note"], extra={"listing_ttl_s": 0}, config={"schema_file": "/nonexistent"},
    )
    prefix = integration.name.replace("-", "_")
    _, bot = _bot(client, integration.resource_type["id"], tools=["read_note"],
                  titles=["*"], ops=[f"{prefix}.read"], config={"schema_file": str(schema_file)})
    line = _calls(("read_note", {"title": "release-2.4.1"}))
    first = client.tasks.run(bot_id=bot.id, input=line)
    assert [e.status for e in _entries(client, first.id)] == ["success"]
    # the server now takes a second, required parameter: the reviewed schema is stale
    schema_file.write_text(json.dumps({"type": "object", "properties": {
        "title": {"type": "string"}, "force": {"type": "boolean"}}, "required": ["title"]}))
    second = client.tasks.run(bot_id=bot.id, input=line)
    [entry] = _entries(client, second.id)
    assert entry.status == "denied" and "re-review needed" in entry.reason
    assert entry.decision is not None
    events = list(client.tasks.events(second.id, after=0))
    denied = [e for e in events if e.type == "denied"]
    assert denied and denied[0].reason["check"] == "mcp_schema"
    schema_file.unlink()
    third = client.tasks.run(bot_id=bot.id, input=line)
    assert [e.status for e in _entries(client, third.id)] == ["success"]


def test_governed_calls_over_streamable_http_with_the_token_in_a_header(client, server):
    http = NotesHttpServer().start()
    try:
        token = "hdr-" + secrets.token_urlsafe(16)
        spec = {"url": http.url, "headers": {"Authorization": "Bearer {credentials.token}"}}
        integration, _ = _install(client, spec, keep=["read_note", "add_note", "echo_token"],
                                  credentials={"token": "listing"})
        prefix = integration.name.replace("-", "_")
        _, bot = _bot(client, integration.resource_type["id"],
                      tools=["read_note", "add_note", "echo_token"], titles=["drafts/*"],
                      ops=[f"{prefix}.read", f"{prefix}.write"], credentials={"token": token})
        task = client.tasks.run(bot_id=bot.id, input=_calls(
            ("add_note", {"title": "drafts/one", "text": "hello over http"}),
            ("read_note", {"title": "drafts/one"}),
            ("add_note", {"title": "release-9", "text": "not mine"}),
            ("echo_token", {}),
        ))
        entries = _entries(client, task.id)
        assert [e.status for e in entries] == ["success", "success", "denied", "success"]
        events = list(client.tasks.events(task.id, after=0))
        dumped = json.dumps([e.model_dump(mode="json") for e in events])
        assert "hello over http" in dumped
        assert token not in dumped and token not in server.log()
        assert "***" in dumped
    finally:
        http.stop()


def test_upload_is_checked_against_the_live_listing_and_needs_admin_for_commands(
    client, server
):
    name = f"notes-{_suffix()}"
    proposal = client.integrations.import_mcp(name=name, server=NOTES_STDIO)
    data = yaml.safe_load(proposal.manifest)
    tampered = json.loads(json.dumps(data))
    tampered["tools"][0]["mcp"]["schema_digest"] = "0" * 64
    tampered["tools"][1]["mcp"]["tool"] = "no_such_tool"
    with pytest.raises(ValidationError) as err:
        client.integrations.upload(manifest=yaml.safe_dump(tampered))
    fields = {f["field"] for f in err.value.fields}
    assert {"tools[0].mcp.schema_digest", "tools[1].mcp.tool"} <= fields
    assert "re-run import-mcp" in str(err.value)
    installed = client.integrations.upload(manifest=yaml.safe_dump(data))
    assert any("checked" in n for n in installed.notes)

    key = client.api_keys.create(name="integrator", scopes=["resources:write"])
    with monstrum.Client(api_key=key.secret, api_base=server.url) as integrator:
        with pytest.raises(PermissionError) as denied:
            integrator.integrations.import_mcp(name="notes-x", server=NOTES_STDIO)
        assert denied.value.required_scope == "admin"
        data["version"] = "1.0.1"
        with pytest.raises(PermissionError):
            integrator.integrations.upload(manifest=yaml.safe_dump(data))


def test_a_lying_server_gets_a_proposal_without_its_bad_tools(client):
    proposal = client.integrations.import_mcp(name=f"liar-{_suffix()}",
                                              server=hostile_stdio("liar"))
    assert [t["name"] for t in proposal.tools] == ["ok_tool"]
    reasons = " | ".join(proposal.skipped)
    # a name listed twice is taken once, the first time (the executor reads it the same way)
    assert "bad name!" in reasons
    assert "huge_schema: its inputSchema is larger than 64 KiB" in reasons


@pytest.mark.parametrize("mode, expected", [
    ("silent", "no answer to the MCP handshake"),
    ("stderr", "cannot log in with token ***"),
    ("badschema", "inputSchema"),
])
def test_a_server_that_never_answers_or_dies_is_a_clear_failure(client, mode, expected):
    server = {**hostile_stdio(mode), "env": {"NOTES_TOKEN": "{credentials.token}"},
              "timeout_s": 3, "start_timeout_s": 5}
    with pytest.raises(ValidationError) as err:
        client.integrations.import_mcp(name=f"hostile-{mode}", server=server,
                                       credentials={"token": "s3cret-token-value"})
    assert expected in str(err.value)
    assert "s3cret-token-value" not in str(err.value)


@pytest.mark.parametrize("padding", [10, 480, 2030, 5000])
def test_no_part_of_a_credential_survives_a_cut_of_the_servers_stderr(client, padding):
    """The error of a server that dies keeps only a tail of its stderr: the token it
    printed is redacted before that tail is cut, so no piece of it is left either."""
    token = "tok-" + secrets.token_hex(20)
    server = {**hostile_stdio(f"stderr-pad-{padding}"),
              "env": {"NOTES_TOKEN": "{credentials.token}"}, "timeout_s": 3,
              "start_timeout_s": 5}
    with pytest.raises(ValidationError) as err:
        client.integrations.import_mcp(name=f"hostile-pad-{padding}", server=server,
                                       credentials={"token": token})
    message = str(err.value)
    assert "failed to start" in message
    pieces = {token[i:i + 8] for i in range(len(token) - 7)}
    assert not [p for p in pieces if p in message], message


def test_no_part_of_a_credential_survives_a_cut_description_or_name(client):
    token = "tok-" + secrets.token_hex(20)
    server = {**hostile_stdio("leaky"), "env": {"NOTES_TOKEN": "{credentials.token}"},
              "timeout_s": 3, "start_timeout_s": 5}
    proposal = client.integrations.import_mcp(name="hostile-leaky", server=server,
                                              credentials={"token": token})
    shown = json.dumps([proposal.manifest, proposal.tools, proposal.skipped])
    assert "leaky" in shown and proposal.skipped
    pieces = {token[i:i + 8] for i in range(len(token) - 7)}
    assert not [p for p in pieces if p in shown], shown[-600:]


def test_floods_and_hangs_end_the_call_not_the_platform(client, server):
    integration, _ = _install(client, NOTES_STDIO, keep=["huge", "hang", "list_notes", "read_note"],
                              extra={"timeout_s": 3, "max_message_bytes": 256 * 1024})
    prefix = integration.name.replace("-", "_")
    _, bot = _bot(client, integration.resource_type["id"], tools=["huge", "hang", "list_notes"],
                  titles=["*"], ops=[f"{prefix}.read"])
    task = client.tasks.run(bot_id=bot.id, input=_calls(
        ("huge", {"size": 1000}),
        ("huge", {"size": 2_000_000}),
        ("hang", {}),
        ("list_notes", {}),
    ))
    entries = _entries(client, task.id)
    assert [e.status for e in entries] == ["success", "error", "error", "success"], [
        e.reason for e in entries]
    assert "larger than 256 KiB" in entries[1].reason
    assert "did not answer within" in entries[2].reason
    with pytest.raises(ValidationError) as err:
        client.integrations.import_mcp(name="endless", server={**hostile_stdio("endless"),
                                                               "max_message_bytes": 65536})
    assert "larger than 64 KiB" in str(err.value)
