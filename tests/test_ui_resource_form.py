"""The resource form generated from an integration's schemas, against the real server:
create and edit, the server's 422 under each field, secrets masked and never shown back,
and a type made up here (uploaded, then its form opened) with no code for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select

import monstrum
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.resource_form import ResourceFormScreen
from monstrum_tui.ui.screens.resources import ResourcesScreen
from monstrum_tui.ui.widgets.schema_form import SchemaFields
from tests.serverproc import ServerProcess
from tests.ui_pilot import screen_text, wait_until

ROOT = Path(__file__).resolve().parent.parent
JIRA_MANIFEST = ROOT / "integrations" / "jira.yaml"
SECRET = "tok-canary-8d2f61"  # typed into the form: must never be on screen or come back

#: a type no code knows: every field type the form draws
MADE_UP = """\
name: {name}
version: 0.3.0
description: Ticket desk made up in the test
resource_type: {{id: {name}, name: Made-up desk}}
credential_schema:
  - field: desk_token
    type: secret
    required: true
    description: the desk's API token
  - field: login
    type: string
config_schema:
  - field: endpoint
    type: url
    required: true
  - field: edition
    type: enum
    enum: [cloud, server, edge]
    default: server
  - field: page_size
    type: integer
    default: 25
  - field: verify_tls
    type: boolean
    default: true
  - field: queues
    type: list
tools:
  - name: list_tickets
    operation: ticket.read
    input_schema: {{type: object, properties: {{queue: {{type: string}}}}}}
scope_dimensions:
  - key: queues
    param_paths: [queue]
    match_mode: pattern
    error_template: "queue {{value}} is not allowed"
"""


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("resource-form") / "data"
    proc = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start()
    with monstrum.Client(api_key=proc.admin_key, api_base=proc.url) as c:
        c.integrations.upload(manifest=JIRA_MANIFEST.read_text())
    yield proc
    proc.stop()


@pytest.fixture
def sdk(platform: ServerProcess) -> Iterator[monstrum.Client]:
    with monstrum.Client(api_key=platform.admin_key, api_base=platform.url) as c:
        yield c


def make_app(server: ServerProcess) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False,
                       initial_screen="resources")


async def open_new_form(pilot, app: MonstrumApp, type_id: str) -> ResourceFormScreen:
    await wait_until(pilot, lambda: app.connection.usable
                     and isinstance(app.screen, ResourcesScreen))
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, ResourceFormScreen))
    form = app.screen
    assert isinstance(form, ResourceFormScreen)
    await wait_until(pilot, lambda: type_id in form.integrations)
    form.query_one("#field-type", Select).value = type_id
    await wait_until(pilot, lambda: form.chosen is not None and len(form.sections()) == 2
                     and not form.query_one("#form-save", Button).disabled)
    return form


def section(form: ResourceFormScreen, name: str) -> SchemaFields:
    found = form.section(name)
    assert found is not None
    return found


async def type_into(pilot, form: ResourceFormScreen, widget_id: str, text: str) -> None:
    form.query_one(f"#{widget_id}").focus()
    await pilot.press(*text)


async def test_jira_resource_from_the_generated_form(platform, sdk) -> None:
    app = make_app(platform)
    name = f"Jira {uuid.uuid4().hex[:6]}"
    async with app.run_test(size=(100, 36)) as pilot:
        form = await open_new_form(pilot, app, "jira")
        shown = screen_text(app)
        for label in ("api_base *", "api_token *", "email *", "an http(s) URL",
                      "secret: masked, never shown back"):
            assert label in shown
        token = form.query_one("#field-credentials-api_token", Input)
        assert token.password
        await type_into(pilot, form, "field-name", name)
        await type_into(pilot, form, "field-config-api_base", "https://jira.example.com")
        await type_into(pilot, form, "field-credentials-api_token", SECRET)
        await type_into(pilot, form, "field-credentials-email", "ops@example.com")
        assert SECRET not in screen_text(app)  # masked while typed
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        assert token.value == ""  # emptied once sent
        assert SECRET not in screen_text(app)
        # no field of any screen still holds it
        held = [w for screen in app.screen_stack for w in screen.query(Input).results(Input)
                if SECRET in w.value]
        assert held == []
    made = next(r for r in sdk.resources.list(type="jira") if r.name == name)
    assert made.config == {"api_base": "https://jira.example.com"}
    assert made.credentials_set == ["api_token", "email"]  # stored...
    assert SECRET not in made.model_dump_json()  # ...never returned
    sdk.resources.delete(resource_id=made.id)


async def test_the_servers_422_is_shown_under_each_field(platform, sdk) -> None:
    app = make_app(platform)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new_form(pilot, app, "jira")
        await type_into(pilot, form, "field-name", "bad jira")
        await type_into(pilot, form, "field-config-api_base", "ftp://nowhere")
        await type_into(pilot, form, "field-credentials-api_token", SECRET)
        await pilot.press("ctrl+s")
        error = form.query_one("#error-config-api_base", Label)
        await wait_until(pilot, lambda: "-shown" in error.classes)
        assert "must be an http(s) URL" in str(error.content)
        email = form.query_one("#error-credentials-email", Label)
        assert "credentials.email is required" in str(email.content)
        assert "-invalid" in form.query_one("#row-config-api_base").classes
        assert "fix the fields marked below (2 problems)" in str(
            form.query_one("#form-error", Label).content)
        assert form.focused is form.query_one("#field-config-api_base")
        # nothing typed is lost, and the secret is still only dots
        assert form.query_one("#field-credentials-api_token", Input).value == SECRET
        assert SECRET not in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
    assert not [r for r in sdk.resources.list(type="jira") if r.name == "bad jira"]


async def test_a_made_up_integrations_form_and_an_edit_that_replaces_a_secret(
    platform, sdk
) -> None:
    type_id = f"desk{uuid.uuid4().hex[:6]}"
    sdk.integrations.upload(manifest=MADE_UP.format(name=type_id))
    app = make_app(platform)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_new_form(pilot, app, type_id)
        config = section(form, "config")
        assert [f.name for f in config.fields] == [
            "endpoint", "edition", "page_size", "verify_tls", "queues"]
        assert form.query_one("#field-config-edition", Select).value == "server"  # default
        assert form.query_one("#field-config-page_size", Input).value == "25"
        assert form.query_one("#field-config-page_size", Input).type == "integer"
        assert form.query_one("#field-config-verify_tls", Checkbox).value is True
        assert form.query_one("#field-credentials-desk_token", Input).password
        assert not form.query_one("#field-credentials-login", Input).password
        hints = [str(label.content) for label in form.query(".field-hint").results(Label)]
        assert "secret: masked, never shown back · the desk's API token" in hints
        assert "one of the listed values · default \"server\"" in hints
        await type_into(pilot, form, "field-name", "Desk")
        await type_into(pilot, form, "field-config-endpoint", "https://desk.example")
        form.query_one("#field-config-edition", Select).value = "edge"
        form.query_one("#field-config-page_size", Input).value = "40"
        form.query_one("#field-config-verify_tls", Checkbox).value = False
        await type_into(pilot, form, "field-config-queues", "OPS, WEB")
        await type_into(pilot, form, "field-credentials-desk_token", SECRET)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        made = next(r for r in sdk.resources.list(type=type_id))
        assert made.config == {"endpoint": "https://desk.example", "edition": "edge",
                               "page_size": 40, "verify_tls": False, "queues": ["OPS", "WEB"]}
        assert made.credentials_set == ["desk_token"]

        # edit: the stored secret is only "set", with Replace; config comes filled in
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: made.id in {str(r.key.value) for r in table.ordered_rows})
        table.move_cursor(row=table.get_row_index(made.id))
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourceFormScreen)
                         and len(app.screen.sections()) == 2)
        form = app.screen
        assert isinstance(form, ResourceFormScreen)
        token = form.query_one("#field-credentials-desk_token", Input)
        assert not token.display and token.value == ""
        assert "set" in str(form.query_one("#state-credentials-desk_token", Label).content)
        assert form.query_one("#field-config-endpoint", Input).value == "https://desk.example"
        await pilot.click("#replace-credentials-desk_token")
        await wait_until(pilot, lambda: token.display and form.focused is token)
        await pilot.press(*"second-" + SECRET)
        form.query_one("#field-config-page_size", Input).value = "10"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        assert SECRET not in screen_text(app)
    after = sdk.resources.get(resource_id=made.id)
    assert after.config["page_size"] == 10 and after.config["edition"] == "edge"
    assert after.credentials_set == ["desk_token"]
    sdk.resources.delete(resource_id=made.id)


# --- snapshots ---------------------------------------------------------------------------

SERVER_LABEL = "http://127.0.0.1:8400"


def _masked(app: MonstrumApp) -> None:
    app.screen_stack[0].query_one("#header-server", Label).update(SERVER_LABEL)
    for field in app.screen.query(Input).results(Input):
        field.cursor_blink = False


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_new_resource_form(platform, snap_compare, size) -> None:
    async def filled(pilot) -> None:
        app = pilot.app
        form = await open_new_form(pilot, app, "jira")
        form.query_one("#field-name", Input).value = "Jira prod"
        form.query_one("#field-config-api_base", Input).value = "https://jira.example.com"
        form.query_one("#field-credentials-api_token", Input).value = SECRET
        form.query_one("#field-name", Input).focus()
        _masked(app)
        await pilot.pause()
        assert SECRET not in screen_text(app)

    assert snap_compare(make_app(platform), terminal_size=size, run_before=filled)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_edit_resource_form(platform, sdk, snap_compare, size) -> None:
    if not any(r.id == "res_snapjira" for r in sdk.resources.list()):
        sdk.resources.create(type="jira", name="Jira snapshot", id="res_snapjira",
                             config={"api_base": "https://jira.example.com"},
                             credentials={"api_token": SECRET, "email": "ops@example.com"})

    async def opened(pilot) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen)
                         and "res_snapjira" in {str(r.key.value) for r in
                                                app.screen.query_one(DataTable).ordered_rows})
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("res_snapjira"))
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourceFormScreen)
                         and len(app.screen.sections()) == 2)
        _masked(app)
        await pilot.pause()
        assert SECRET not in screen_text(app)

    assert snap_compare(make_app(platform), terminal_size=size, run_before=opened)
