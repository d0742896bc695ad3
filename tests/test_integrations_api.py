"""``/v1/integrations``: the guide's upload, idempotence, 409s, upgrades, scopes, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

import monstrum
from monstrum.exceptions import MonstrumAPIError, PermissionError

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "integrations" / "jira.yaml"


def tracker(name: str, version: str = "1.0.0", *, tools: str = "", type_id: str | None = None,
            description: str = "A tracker") -> str:
    return f"""\
name: {name}
version: {version}
description: {description}
resource_type:
  id: {type_id or name}
  name: Tracker
credential_schema:
  - field: token
    type: secret
    required: true
config_schema:
  - field: api_base
    type: url
    required: true
auth_methods:
  - type: bearer
    token: "{{credentials.token}}"
tools:
  - name: list_issues
    operation: issue.read
    input_schema:
      type: object
      properties:
        project: {{type: string}}
{tools}scope_dimensions:
  - key: projects
    param_paths: [project]
    error_template: "project {{value}} is not allowed"
"""


def unique(prefix: str = "tracker") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def cli(*args: str, server) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_API_BASE": server.url}
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args], capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL, env=env,
    )


def test_the_guide_manifest_uploads_unchanged_as_the_guide_does(client) -> None:
    with open(GUIDE) as f:
        manifest = f.read()
    integration = client.integrations.upload(manifest=manifest)
    assert (integration.name, integration.version) == ("jira", "1.0.0")
    assert integration.outcome in ("created", "unchanged")
    assert integration.resource_type == {"id": "jira", "name": "Jira"}
    tool = integration.tools[0]
    assert (tool.name, tool.operation, tool.executor) == ("jira_list_issues", "issue.read", None)
    assert tool.input_schema["required"] == ["project"]
    assert [d.key for d in tool.scope_dimensions] == ["projects"]
    again = client.integrations.upload(manifest=manifest)
    assert again.outcome == "unchanged" and again.digest == integration.digest
    assert "jira" in [i.name for i in client.integrations.list()]
    assert client.integrations.get(name="jira").credential_schema[0]["field"] == "api_token"


def test_the_cli_uploads_the_guide_manifest(server, client) -> None:
    done = cli("integrations", "upload", str(GUIDE), server=server)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in (
        "installed jira 1.0.0 (resource type jira, 1 tool(s))",
        "already installed: jira 1.0.0 (resource type jira, 1 tool(s))",
    )
    listed = cli("integrations", "list", server=server)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "TYPE", "TOOLS", "BUILTIN", "DESCRIPTION"]
    assert any(line.split()[:4] == ["filesystem", "1.0.0", "filesystem", "3"] for line in lines)


def test_the_cli_reports_a_refused_upload_like_validate(server, tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(tracker(unique()).replace("param_paths: [project]", "param_paths: [projct]"))
    done = cli("integrations", "upload", str(path), server=server)
    assert done.returncode == 1 and done.stdout == ""
    offline = cli("integrations", "validate", str(path), server=server)
    assert offline.returncode == 1
    assert done.stderr == offline.stderr
    assert f"{path}:27: scope_dimensions[0].param_paths[0]: param_paths names 'projct'" in (
        done.stderr
    )


async def test_upload_and_list_async(server, admin_key) -> None:
    name = unique()
    async with monstrum.AsyncClient(api_key=admin_key, api_base=server.url) as c:
        integration = await c.integrations.upload(manifest=tracker(name))
        assert integration.outcome == "created"
        names = [i.name async for i in c.integrations.list()]
        assert name in names
        assert (await c.integrations.get(name=name)).version == "1.0.0"


def test_same_version_other_content_is_409_and_lower_version_is_409(client) -> None:
    name = unique()
    client.integrations.upload(manifest=tracker(name))
    with pytest.raises(MonstrumAPIError) as err:
        client.integrations.upload(manifest=tracker(name, description="changed"))
    assert err.value.status_code == 409
    assert err.value.message == (
        f"{name} 1.0.0 is already installed with other content; give the changed manifest "
        "a higher version"
    )
    # formatting and comments do not count as other content
    same = client.integrations.upload(manifest="# a comment\n" + tracker(name))
    assert same.outcome == "unchanged"
    client.integrations.upload(manifest=tracker(name, "1.1.0"))
    with pytest.raises(MonstrumAPIError) as err:
        client.integrations.upload(manifest=tracker(name, "1.0.5"))
    assert err.value.status_code == 409
    assert err.value.message == (
        f"{name} 1.1.0 is installed and 1.0.5 is older; an upload can only upgrade"
    )


def test_a_higher_version_upgrades_the_type_in_place(client) -> None:
    name = unique()
    client.integrations.upload(manifest=tracker(name))
    resource = client.resources.create(
        type=name, name="t", config={"api_base": "https://t.example"}, credentials={"token": "x"}
    )
    extra = """\
  - name: close_issue
    operation: issue.write
    input_schema:
      type: object
      properties:
        project: {type: string}
"""
    upgraded = client.integrations.upload(manifest=tracker(name, "2.0.0", tools=extra))
    assert (upgraded.outcome, upgraded.version) == ("upgraded", "2.0.0")
    tools = client.resources.get(resource_id=resource.id).tools
    assert [t.name for t in tools] == ["list_issues", "close_issue"]
    assert client.resources.get(resource_id=resource.id).integration_version == "2.0.0"


def test_status_is_201_when_created_and_200_when_unchanged(server, admin_key) -> None:
    name = unique()
    headers = {"Authorization": f"Bearer {admin_key}", "Content-Type": "text/plain"}
    first = httpx.post(f"{server.url}/v1/integrations", content=tracker(name), headers=headers)
    assert first.status_code == 201 and first.json()["outcome"] == "created"
    second = httpx.post(f"{server.url}/v1/integrations", content=tracker(name), headers=headers)
    assert second.status_code == 200 and second.json()["outcome"] == "unchanged"


def test_a_body_that_is_not_utf8_is_a_clear_422(server, admin_key) -> None:
    r = httpx.post(f"{server.url}/v1/integrations", content=b"\xff\xfe\x00name",
                   headers={"Authorization": f"Bearer {admin_key}"})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == (
        "the manifest must be UTF-8 text (send the YAML file's contents)"
    )


def test_a_resource_type_belongs_to_one_integration(client) -> None:
    name = unique()
    client.integrations.upload(manifest=tracker(name))
    other = unique()
    with pytest.raises(MonstrumAPIError) as err:
        client.integrations.upload(manifest=tracker(other, type_id=name))
    assert err.value.status_code == 409
    assert err.value.message == (
        f"resource type '{name}' is already provided by integration '{name}'"
    )


def test_uploading_needs_resources_write(server, client) -> None:
    key = client.api_keys.create(name="reader", scopes=["resources:read"])
    with monstrum.Client(api_key=key.secret, api_base=server.url) as reader:
        assert "filesystem" in [i.name for i in reader.integrations.list()]
        with pytest.raises(PermissionError) as err:
            reader.integrations.upload(manifest=tracker(unique()))
        assert err.value.required_scope == "resources:write"


def test_unknown_integration_is_404(client) -> None:
    with pytest.raises(MonstrumAPIError) as err:
        client.integrations.get(name="no-such-integration")
    assert err.value.status_code == 404
    assert err.value.message == "no integration no-such-integration"


def test_builtin_integrations_are_installed_and_marked(client) -> None:
    builtin = {i.name: i for i in client.integrations.list() if i.builtin}
    assert {"filesystem", "shell"} <= set(builtin)
    fs_tools = {t.name: t for t in builtin["filesystem"].tools}
    assert fs_tools["read_file"].executor == "filesystem.read"
    assert [d.key for d in fs_tools["read_file"].scope_dimensions] == ["paths"]
    # search_files has a path too, so the paths dimension applies to it as well
    assert [d.key for d in fs_tools["search_files"].scope_dimensions] == ["paths"]
    assert builtin["shell"].tools[0].scope_dimensions[0].match_mode == "exact"
