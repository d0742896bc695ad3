"""The manifest's ``mcp:`` block and ``executor: mcp`` tools, checked offline: one transport,
literal commands, templates only where a value reaches the server at call time."""

from __future__ import annotations

import pytest

from monstrum_tui.server.manifests import check_manifest_text
from monstrum_tui.server.manifests.mcp_import import ListedTool, operation_for, schema_digest

DIGEST = "a" * 64


def manifest(mcp: str, tools: str | None = None) -> str:
    tools = tools or f"""
  - name: read_note
    operation: notes.read
    executor: mcp
    mcp: {{tool: read_note, schema_digest: {DIGEST}}}
    input_schema: {{type: object, properties: {{title: {{type: string}}}}}}
"""
    return f"""
name: notes
version: 1.0.0
resource_type: {{id: notes, name: Notes}}
credential_schema: [{{field: token, type: secret}}]
config_schema: [{{field: region}}, {{field: url}}]
mcp:
{mcp}
tools:{tools}"""


def problems(text: str) -> list[str]:
    _, found = check_manifest_text(text)
    return [f"{p.path}: {p.message}" for p in found]


def test_a_reviewed_manifest_passes() -> None:
    assert problems(manifest('  command: /usr/bin/notes\n  args: ["--stdio"]\n'
                             '  env: {NOTES_TOKEN: "{credentials.token}", R: "{config.region}"}')
                    ) == []
    assert problems(manifest('  url: "{config.url}"\n'
                             '  headers: {Authorization: "Bearer {credentials.token}"}')) == []


@pytest.mark.parametrize("block, expected", [
    ("  command: x\n  url: https://a/mcp", "exactly one of command"),
    ("  args: [a]", "exactly one of command"),
    ("  command: \"{config.region}\"", "mcp.command: command is run as written"),
    ("  command: node\n  args: [\"--x={config.region}\"]", "mcp.args[0]: an argument is run"),
    ("  url: \"https://h/{credentials.token}\"", "must not carry credentials"),
    ("  url: ftp://h/mcp", "is not an http(s) URL"),
    ("  command: node\n  env: {LD_PRELOAD: \"{config.region}\"}", "decides what the server"),
    ("  command: node\n  env: {X: \"{credentials.nope}\"}", "no field 'nope'"),
    ("  command: node\n  env: {X: \"{params.title}\"}", "cannot be used"),
    ("  command: node\n  headers: {A: b}", "headers apply to url servers"),
    ("  url: https://h/mcp\n  env: {A: b}", "env applies to command servers"),
    ("  command: node\n  timeout_s: 0", "timeout_s must be between"),
    ("  command: node\n  max_message_bytes: 10", "max_message_bytes must be between"),
    ("  command: node\n  shell: true", "unknown key 'shell'"),
])
def test_the_mcp_block_is_refused_with_the_reason(block: str, expected: str) -> None:
    found = problems(manifest(block))
    assert any(expected in p for p in found), found


def test_executor_mcp_tools_need_the_block_and_a_digest() -> None:
    no_digest = """
  - name: read_note
    operation: notes.read
    executor: mcp
    input_schema: {type: object}
  - name: bad_digest
    operation: notes.read
    executor: mcp
    mcp: {schema_digest: xyz}
  - name: stray
    operation: notes.read
    mcp: {schema_digest: DIGEST}
""".replace("DIGEST", DIGEST)
    found = problems(manifest("  command: node", no_digest))
    assert any("tools[0]: an executor: mcp tool needs mcp:" in p for p in found), found
    assert any("tools[1].mcp.schema_digest" in p for p in found), found
    assert any("tools[2].mcp: an mcp: block belongs to a tool with executor: mcp" in p
               for p in found), found
    text = manifest("  command: node").replace("mcp:\n  command: node\n", "")
    assert any("needs the manifest's top-level mcp: block" in p for p in problems(text))


def test_digest_and_operation_follow_the_listing() -> None:
    base = ListedTool("t", "", {"type": "object", "properties": {"a": {"type": "string"}}},
                      True, None)
    changed = ListedTool("t", "other description", {"type": "object", "properties": {
        "a": {"type": "string"}, "b": {"type": "integer"}}}, True, None)
    relabelled = ListedTool("t", "", base.input_schema, False, True)
    assert schema_digest(base) == schema_digest(ListedTool("t", "new words", base.input_schema,
                                                           True, None))
    assert schema_digest(base) != schema_digest(changed)
    assert schema_digest(base) != schema_digest(relabelled)
    assert operation_for(base, "n") == "n.read"
    assert operation_for(relabelled, "n") == "n.destructive"
    assert operation_for(ListedTool("t", "", {}, False, False), "n") == "n.write"
    assert operation_for(ListedTool("t", "", {}, None, None), "n") == "n.destructive"
