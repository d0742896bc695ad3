"""What the dashboard's generated forms rely on: ``enum`` fields in a type's schemas, and
``POST /v1/bot-drafts/tools`` (the verdicts of a bot being edited, before it is saved)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from monstrum.exceptions import MonstrumAPIError


def enum_type(name: str, *, default: str = "cloud", values: str = "[cloud, server]") -> str:
    return f"""\
name: {name}
version: 1.0.0
resource_type: {{id: {name}, name: Desk}}
credential_schema:
  - field: token
    type: secret
    required: true
config_schema:
  - field: api_base
    type: url
    required: true
  - field: edition
    type: enum
    enum: {values}
    default: {default}
tools:
  - name: list_tickets
    operation: ticket.read
    input_schema: {{type: object, properties: {{queue: {{type: string}}}}}}
  - name: close_ticket
    operation: ticket.write
    input_schema: {{type: object, properties: {{queue: {{type: string}}}}}}
scope_dimensions:
  - key: queues
    param_paths: [queue]
    match_mode: pattern
    error_template: "queue {{value}} is not allowed"
"""


@pytest.fixture
def desk(client) -> str:
    name = f"desk{uuid.uuid4().hex[:6]}"
    client.integrations.upload(manifest=enum_type(name))
    return name


def test_an_enum_field_is_listed_with_its_values_and_checked(client, desk) -> None:
    integration = client.integrations.get(name=desk)
    edition = next(f for f in integration.config_schema if f["field"] == "edition")
    assert edition == {"field": "edition", "type": "enum", "enum": ["cloud", "server"],
                       "default": "cloud", "required": False, "description": ""}
    made = client.resources.create(type=desk, name="d", config={"api_base": "https://d.example"},
                                   credentials={"token": "t"})
    assert made.config["edition"] == "cloud"  # the default
    with pytest.raises(MonstrumAPIError) as err:
        client.resources.create(type=desk, name="d2", credentials={"token": "t"},
                                config={"api_base": "https://d.example", "edition": "onprem"})
    assert err.value.status_code == 422
    assert {f["field"]: f["message"] for f in err.value.fields} == {
        "config.edition": "config.edition must be one of cloud, server"}
    with pytest.raises(MonstrumAPIError):
        client.resources.update(resource_id=made.id, config={"edition": "x"})


@pytest.mark.parametrize(("values", "default", "words"), [
    ("[]", "cloud", "needs enum: a non-empty list"),
    ("[cloud, server]", "onprem", "is not one of the enum values"),
    ("[cloud, cloud]", "cloud", "lists a value twice"),
])
def test_a_bad_enum_field_is_refused_at_upload(client, values, default, words) -> None:
    name = f"desk{uuid.uuid4().hex[:6]}"
    with pytest.raises(MonstrumAPIError) as err:
        client.integrations.upload(manifest=enum_type(name, default=default, values=values))
    assert err.value.status_code == 422
    assert words in str(err.value)


def _preview(server, key: str, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/bot-drafts/tools", json=body,
                      headers={"Authorization": f"Bearer {key}"})


def test_the_preview_of_unsaved_bindings_is_what_the_saved_bot_gets(
    server, client, admin_key, desk
) -> None:
    res = client.resources.create(type=desk, name="d", config={"api_base": "https://d.example"},
                                  credentials={"token": "t"})
    draft = {"name": "preview-bot", "allowed_operations": ["ticket.read"], "resource_bindings": [
        {"resource_id": res.id, "allowed_tools": ["*_tickets", "close_ticket"],
         "scope_constraints": {"queues": ["OPS-*"]}}]}
    body = _preview(server, admin_key, draft).json()
    assert body["problems"] == []
    verdicts = {a["tool_name"]: a for a in body["data"]}
    assert verdicts["list_tickets"]["may_call"] is True
    assert verdicts["list_tickets"]["scope_constraints"] == {"queues": ["OPS-*"]}
    assert verdicts["close_ticket"]["may_call"] is False
    assert "ticket.write" in verdicts["close_ticket"]["reason"]
    bot = client.bots.create(**draft)
    try:
        saved = [a.model_dump(mode="json") for a in client.bots.tools(bot.id)]
        again = _preview(server, admin_key, {**draft, "bot_id": bot.id}).json()["data"]
        assert again == saved
        typed = client.bots.preview_tools(bot_id=bot.id, **draft)
        assert [a.model_dump(mode="json") for a in typed.data] == saved
    finally:
        client.bots.delete(bot_id=bot.id)


def test_the_preview_names_what_a_save_would_refuse_and_stores_nothing(
    server, client, admin_key, desk
) -> None:
    res = client.resources.create(type=desk, name="d", config={"api_base": "https://d.example"},
                                  credentials={"token": "t"})
    before = len(list(client.bots.list()))
    body = _preview(server, admin_key, {"resource_bindings": [
        {"resource_id": res.id, "allowed_tools": ["jira_search"],
         "scope_constraints": {"queues": [], "nope": ["x"]}},
        {"resource_id": "res_missing"}]}).json()
    fields = {p["field"]: p["message"] for p in body["problems"]}
    assert "matches none of the tools" in fields["resource_bindings[0].allowed_tools[0]"]
    assert "allows nothing" in fields["resource_bindings[0].scope_constraints.queues"]
    assert "not a scope dimension" in fields["resource_bindings[0].scope_constraints.nope"]
    assert fields["resource_bindings[1].resource_id"] == "no resource 'res_missing'"
    assert all(not a["may_call"] for a in body["data"])
    assert len(list(client.bots.list())) == before


def test_the_preview_needs_resources_read(server, client) -> None:
    """It shows the tools of any resource a draft names: bots:read alone may not list
    resources, so it may not look them up here either."""
    for scopes in (["tasks:read"], ["bots:read"]):
        key = client.api_keys.create(name=f"k{uuid.uuid4().hex[:6]}", scopes=scopes)
        response = _preview(server, key.secret, {"resource_bindings": []})
        assert response.status_code == 403, scopes
    key = client.api_keys.create(name=f"k{uuid.uuid4().hex[:6]}", scopes=["resources:read"])
    assert _preview(server, key.secret, {"resource_bindings": []}).status_code == 200
    assert _preview(server, "mk_wrong", {"resource_bindings": []}).status_code == 401


@pytest.mark.parametrize("path, body", [
    ("/v1/bot-drafts/tools", '{"resource_bindings": [{"resource_id": "\\udc80"}]}'),
    ("/v1/bot-drafts/tools",
     '{"resource_bindings": [{"resource_id": "res_x", "allowed_tools": ["\\udc80"]}]}'),
    ("/v1/bot-drafts/tools",
     '{"resource_bindings": [{"resource_id": "res_x", "scope_constraints": {"\\udc80": []}}]}'),
    ("/v1/bots", '{"name": "surrogate-ops", "allowed_operations": ["\\udc80"]}'),
])
def test_lone_surrogates_in_bindings_and_operations_are_a_422(
    server, admin_key, path: str, body: str
) -> None:
    """Text that cannot be stored or sent back as UTF-8 is refused at the door: it used
    to be a 500 (and a stored bot with it broke GET /v1/bots for everyone)."""
    response = httpx.post(f"{server.url}{path}", content=body.encode(),
                          headers={"Authorization": f"Bearer {admin_key}",
                                   "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "U+DC80" in response.text
    assert httpx.get(f"{server.url}/v1/bots", headers={
        "Authorization": f"Bearer {admin_key}"}).status_code == 200
