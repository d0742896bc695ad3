"""``/v1/resources``: CRUD, validation against the type's schemas, write-only credentials,
bindings checked against real tools, and deletes refused while bots are bound."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text

from monstrum.exceptions import ConflictError, MonstrumAPIError, NotFoundError
from tests.databases import stored_bytes
from tests.test_integrations_api import tracker

REGEX_TYPE = """\
name: {name}
version: 1.0.0
resource_type: {{id: {name}, name: Clusters}}
tools:
  - name: deploy
    operation: deploy.write
    input_schema:
      type: object
      properties:
        cluster: {{type: string}}
        services: {{type: array, items: {{type: string}}}}
  - name: status
    operation: deploy.read
    input_schema: {{type: object, properties: {{}}}}
scope_dimensions:
  - key: clusters
    param_paths: [cluster]
    match_mode: regex
    error_template: "cluster {{value}} is not allowed"
  - key: services
    param_paths: ["services[*]"]
    match_mode: exact
    error_template: "service {{value}} is not allowed"
"""


@pytest.fixture
def tracker_type(client) -> str:
    name = f"tracker-{uuid.uuid4().hex[:8]}"
    client.integrations.upload(manifest=tracker(name))
    return name


def make(client, type_id: str, **kw):
    spec = {"name": "t", "config": {"api_base": "https://t.example"},
            "credentials": {"token": "tok-1234"}}
    spec.update(kw)
    return client.resources.create(type=type_id, **spec)


def test_create_get_list_as_the_guide_reads_them(client, tracker_type) -> None:
    slug = f"res_{tracker_type.replace('-', '_')}"
    created = make(client, tracker_type, id=slug, name="Tracker prod")
    assert created.id == slug and created.type == tracker_type
    assert created.credentials_set == ["token"] and "credentials" not in created.model_dump()
    resource = client.resources.get(resource_id=slug)
    assert resource.type == tracker_type
    assert [t.name for t in resource.tools] == ["list_issues"]
    tool = resource.tools[0]
    assert tool.operation == "issue.read"
    assert tool.input_schema["properties"]["project"] == {"type": "string"}
    assert tool.executor is None
    assert [(d.key, d.param_paths) for d in tool.scope_dimensions] == [("projects", ["project"])]
    assert resource.type_name == "Tracker" and resource.integration_version == "1.0.0"
    assert slug in [r.id for r in client.resources.list()]


def test_a_generated_id_and_config_defaults(client, tmp_path) -> None:
    res = client.resources.create(type="filesystem", name="fs", config={"root": str(tmp_path)})
    assert res.id.startswith("res_") and len(res.id) > 10
    assert res.config == {"root": str(tmp_path), "max_read_bytes": 65536}
    assert res.credentials_set == []


def test_list_filters_by_type_and_pages_with_a_cursor(client, tracker_type) -> None:
    made = {make(client, tracker_type, name=f"t{i}").id for i in range(3)}
    first = client.request("GET", "/v1/resources", params={"type": tracker_type, "limit": 2})
    assert len(first["data"]) == 2 and first["next_cursor"]
    second = client.request("GET", "/v1/resources", params={
        "type": tracker_type, "limit": 2, "cursor": first["next_cursor"]})
    assert len(second["data"]) == 1 and second["next_cursor"] is None
    assert {r["id"] for r in first["data"] + second["data"]} == made
    assert len(list(client.resources.list(type=tracker_type, limit=2))) == 2
    assert {r.id for r in client.resources.list(type=tracker_type)} == made


def test_config_and_credentials_are_checked_naming_each_field(client, tracker_type) -> None:
    with pytest.raises(MonstrumAPIError) as err:
        client.resources.create(
            type=tracker_type, name="bad",
            config={"api_base": "ftp://nope", "colour": "red"},
            credentials={"tokn": "x"},
        )
    assert err.value.status_code == 422
    fields = {f["field"]: f["message"] for f in err.value.body["fields"]}
    assert fields == {
        "config.colour": "unknown config field 'colour' (the type's config_schema declares: "
        "api_base)",
        "config.api_base": "config.api_base must be an http(s) URL, got 'ftp://nope'",
        "credentials.tokn": "unknown credentials field 'tokn' (did you mean 'token'?) (the "
        "type's credential_schema declares: token)",
        "credentials.token": "credentials.token is required",
    }


def test_a_credential_of_the_wrong_type_is_named_without_its_value(client, tracker_type):
    with pytest.raises(MonstrumAPIError) as err:
        make(client, tracker_type, credentials={"token": {"nested": "canary-value-77"}})
    assert err.value.status_code == 422
    assert err.value.message == "credentials.token must be text"
    assert "canary-value-77" not in str(err.value.body)


def test_an_unknown_type_is_422_listing_the_installed_ones(client) -> None:
    with pytest.raises(MonstrumAPIError) as err:
        client.resources.create(type="no-such-type", name="x")
    assert err.value.status_code == 422
    assert err.value.message.startswith("no resource type 'no-such-type' (installed types: ")
    assert "filesystem" in err.value.message and err.value.body["fields"][0]["field"] == "type"


def test_an_id_in_use_is_409(client, tracker_type) -> None:
    slug = f"res_dup_{uuid.uuid4().hex[:6]}"
    make(client, tracker_type, id=slug)
    with pytest.raises(ConflictError) as err:
        make(client, tracker_type, id=slug)
    assert err.value.message == f"a resource with id {slug} exists already"


def test_patch_renames_and_merges_config_and_credentials(client, tracker_type) -> None:
    res = make(client, tracker_type)
    renamed = client.resources.update(res.id, name="renamed",
                                      config={"api_base": "https://new.example"})
    assert renamed.name == "renamed" and renamed.config == {"api_base": "https://new.example"}
    assert renamed.credentials_set == ["token"]
    rotated = client.resources.update(res.id, credentials={"token": "tok-5678"})
    assert rotated.credentials_set == ["token"]
    with pytest.raises(MonstrumAPIError) as err:
        client.resources.update(res.id, credentials={"token": None})
    assert err.value.status_code == 422 and err.value.message == "credentials.token is required"
    with pytest.raises(NotFoundError):
        client.resources.update("res_nothing_here", name="x")


def test_delete_is_refused_while_bots_are_bound_naming_them(client, tracker_type) -> None:
    res = make(client, tracker_type)
    bot = client.bots.create(name="bound-bot", resource_bindings=[
        {"resource_id": res.id, "allowed_tools": ["list_*"],
         "scope_constraints": {"projects": ["OPS-*"]}}])
    with pytest.raises(ConflictError) as err:
        client.resources.delete(resource_id=res.id)
    assert err.value.message == (
        f"resource {res.id} is bound to 1 bot(s): bound-bot ({bot.id}); remove their bindings "
        "first"
    )
    assert err.value.body["bots"] == [bot.id]
    shown = client.resources.get(resource_id=res.id)
    assert shown.bound_bots == [bot.id]
    binding = shown.bindings[0]
    assert (binding.bot_name, binding.allowed_tools, binding.tools) == (
        "bound-bot", ["list_*"], ["list_issues"])
    assert binding.scope_constraints == {"projects": ["OPS-*"]}
    client.bots.update(bot_id=bot.id, resource_bindings=[])
    client.resources.delete(resource_id=res.id)
    with pytest.raises(NotFoundError):
        client.resources.get(resource_id=res.id)
    with pytest.raises(NotFoundError):
        client.resources.delete(resource_id=res.id)


def test_bindings_are_checked_against_the_resources_tools_and_dimensions(client) -> None:
    name = f"clusters-{uuid.uuid4().hex[:8]}"
    client.integrations.upload(manifest=REGEX_TYPE.format(name=name))
    res = client.resources.create(type=name, name="c")
    with pytest.raises(MonstrumAPIError) as err:
        client.bots.create(name="b", resource_bindings=[{
            "resource_id": res.id,
            "allowed_tools": ["deploy", "rollback*", "stat?s"],
            "scope_constraints": {"clusters": ["staging-(", "prod-.*"], "regions": ["us"]},
        }])
    assert err.value.status_code == 422
    fields = {f["field"]: f["message"] for f in err.value.body["fields"]}
    assert fields["resource_bindings[0].allowed_tools[1]"] == (
        f"allowed_tools entry 'rollback*' matches none of the tools of {res.id} ({name}): "
        "deploy, status"
    )
    assert "resource_bindings[0].allowed_tools[2]" not in fields  # stat?s matches status
    assert fields["resource_bindings[0].scope_constraints.regions"] == (
        f"'regions' is not a scope dimension of {name} (its dimensions: clusters, services)"
    )
    assert fields["resource_bindings[0].scope_constraints.clusters[0]"].startswith(
        "'staging-(' is not a valid regular expression for the regex dimension 'clusters'"
    )
    assert len(fields) == 3
    bot = client.bots.create(name="ok", resource_bindings=[{
        "resource_id": res.id, "allowed_tools": ["*"],
        "scope_constraints": {"clusters": ["staging-.*"], "services": ["*"]}}])
    assert bot.resource_bindings[0].allowed_tools == ["*"]


def test_credentials_are_encrypted_at_rest(server, client, tracker_type) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    make(client, tracker_type, credentials={"token": canary})
    key = server.data_dir / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    engine = create_engine(server.db_url)
    with engine.connect() as db:
        rows = db.execute(text("SELECT credentials FROM resources")).all()
    engine.dispose()
    assert rows and all(canary not in (r[0] or "") for r in rows)
    assert canary.encode() not in stored_bytes(server.db_url)
    for path in server.data_dir.iterdir():
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path


def test_resources_need_resources_scopes(server, client, tracker_type) -> None:
    import monstrum

    key = client.api_keys.create(name="bots-only", scopes=["bots:read"])
    with monstrum.Client(api_key=key.secret, api_base=server.url) as c:
        with pytest.raises(MonstrumAPIError) as err:
            list(c.resources.list())
        assert err.value.status_code == 403 and err.value.body["required_scope"] == (
            "resources:read")
    key = client.api_keys.create(name="res-reader", scopes=["resources:read"])
    with monstrum.Client(api_key=key.secret, api_base=server.url) as c:
        list(c.resources.list())
        with pytest.raises(MonstrumAPIError) as err:
            make(c, tracker_type)
        assert err.value.body["required_scope"] == "resources:write"


def test_cli_resources_list_and_get(server, client, tmp_path) -> None:
    res = client.resources.create(
        type="filesystem", name="cli-files", config={"root": str(tmp_path)}
    )
    client.bots.create(name="cli-reader", allowed_operations=["files.read"], resource_bindings=[
        {"resource_id": res.id, "allowed_tools": ["read_file"],
         "scope_constraints": {"paths": ["docs/*"]}}])
    env = {**os.environ, "MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_API_BASE": server.url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "monstrum_tui.cli", *args],
                              capture_output=True, text=True, env=env, timeout=60,
                              stdin=subprocess.DEVNULL)

    listed = run("resources", "list", "--type", "filesystem")
    assert listed.returncode == 0
    header = listed.stdout.splitlines()[0].split()
    assert header == ["ID", "NAME", "TYPE", "TOOLS", "BOUND", "BOTS"]
    row = next(line for line in listed.stdout.splitlines() if line.startswith(res.id))
    assert row.split()[1:5] == ["cli-files", "filesystem", "3", "cli-reader"]
    as_json = run("resources", "list", "--json")
    assert res.id in as_json.stdout and '"credentials_set": []' in as_json.stdout
    shown = run("resources", "get", res.id)
    assert shown.returncode == 0
    assert "read_file  [files.read]" in shown.stdout
    assert "scope: paths@path" in shown.stdout
    assert 'cli-reader (' in shown.stdout and 'tools read_file; scope {"paths": ["docs/*"]}' in (
        shown.stdout)
    missing = run("resources", "get", "res_missing_one")
    assert missing.returncode == 1 and "no resource res_missing_one" in missing.stderr


def test_bot_tools_and_resource_bindings_carry_the_servers_verdicts(
    client, tracker_type, server, admin_key
) -> None:
    import httpx

    res = make(client, tracker_type)
    tools = client.resources.get(resource_id=res.id).tools
    ops = sorted({t.operation for t in tools})
    bot = client.bots.create(name="verdict-bot", allowed_operations=[ops[0]],
                             resource_bindings=[{"resource_id": res.id, "allowed_tools": ["*"]}])
    body = httpx.get(f"{server.url}/v1/bots/{bot.id}/tools",
                     headers={"Authorization": f"Bearer {admin_key}"}).json()
    verdicts = {a["tool_name"]: a for a in body["data"]}
    assert [a.model_dump(mode="json") for a in client.bots.tools(bot.id)] == body["data"]
    assert set(verdicts) == {t.name for t in tools}
    assert {n for n, v in verdicts.items() if v["may_call"]} == {
        t.name for t in tools if t.operation == ops[0]}
    for name, verdict in verdicts.items():
        if not verdict["may_call"]:
            real = client.bots.authorize(bot.id, tool=name, params={})
            assert (real.check, real.message) == (verdict["check"], verdict["reason"])
    shown = client.resources.get(resource_id=res.id).bindings[0]
    assert {a.tool_name: a.may_call for a in shown.access} == {
        n: v["may_call"] for n, v in verdicts.items()}
    client.bots.delete(bot_id=bot.id)


def test_a_resource_that_would_expose_the_data_dir_is_refused(client, server) -> None:
    for folder in (server.data_dir, server.data_dir.parent):
        with pytest.raises(MonstrumAPIError) as err:
            client.resources.create(type="filesystem", name="keys", config={"root": str(folder)})
        assert err.value.status_code == 422 and "data dir" in err.value.message
        with pytest.raises(MonstrumAPIError):
            client.resources.create(type="shell", name="sh", config={
                "allowed_commands": ["cat"], "working_dir": str(folder)})
    demo = server.data_dir / "demo-workspace"  # its one shared folder is fine
    demo.mkdir(exist_ok=True)
    made = client.resources.create(type="filesystem", name="demo", config={"root": str(demo)})
    client.resources.delete(resource_id=made.id)
