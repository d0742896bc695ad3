"""The Resources screen, tool browser and Integrations screen, driven by the pilot.

A module-wide server holds a fixed workspace (resource ids, names, bots), so the
snapshots are the same on every run; tests that install things use their own server.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, Label, OptionList, Select, Static, TextArea

import monstrum
from monstrum_tui.client.models import ResourceBindingInfo, Tool, ToolAccess
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.integrations import IntegrationsScreen
from monstrum_tui.ui.screens.manifest_upload import DirectoryPickerScreen, ManifestUploadScreen
from monstrum_tui.ui.screens.resource_detail import ToolBrowserScreen, tool_access
from monstrum_tui.ui.screens.resources import ResourcesScreen
from monstrum_tui.ui.screens.what_if import WhatIfScreen
from monstrum_tui.ui.widgets.schema_view import render_schema, schema_rows
from tests.serverproc import ServerProcess
from tests.ui_pilot import screen_text, wait_until

ROOT = Path(__file__).resolve().parent.parent
JIRA_MANIFEST = ROOT / "integrations" / "jira.yaml"
JIRA_SECRET = "jira-canary-4f1c9e"  # a credential value that must never be shown


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with three resources (fixed ids) and three bots bound to them."""
    data_dir = tmp_path_factory.mktemp("resources-ui") / "data"
    proc = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start()
    with monstrum.Client(api_key=proc.admin_key, api_base=proc.url) as c:
        c.integrations.upload(manifest=JIRA_MANIFEST.read_text())
        c.resources.create(type="filesystem", name="Docs folder", id="res_docs",
                           config={"root": "/srv/monstrum/docs"})
        c.resources.create(type="jira", name="Jira prod", id="res_jira",
                           config={"api_base": "https://jira.example.com"},
                           credentials={"api_token": JIRA_SECRET, "email": "ops@example.com"})
        c.resources.create(type="shell", name="Ops shell", id="res_shell",
                           config={"allowed_commands": ["echo", "date"]})
        c.bots.create(name="docs-reader", allowed_operations=["files.read"], resource_bindings=[
            {"resource_id": "res_docs", "allowed_tools": ["read_file", "list_files"],
             "scope_constraints": {"paths": ["docs/*", "README.md"]}}])
        c.bots.create(name="searcher", allowed_operations=["files.*"], resource_bindings=[
            {"resource_id": "res_docs", "allowed_tools": ["*_files"]}])
        c.bots.create(name="triage", allowed_operations=["issue.*"], resource_bindings=[
            {"resource_id": "res_jira", "allowed_tools": ["jira_*"],
             "scope_constraints": {"projects": ["OPS", "WEB-*"]}}])
    yield proc
    proc.stop()


def make_app(server: ServerProcess, screen: str | None = "resources") -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False,
                       initial_screen=screen)


def row_ids(app: MonstrumApp, table_id: str = "#resources-table") -> list[str]:
    table = app.screen.query_one(table_id, DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def text_of(widget: Static, width: int = 100) -> str:
    """A Static's content as plain text, all of it (not only what the viewport shows)."""
    console = Console(width=width, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


async def open_resource(pilot, app: MonstrumApp, resource_id: str) -> ToolBrowserScreen:
    await wait_until(pilot, lambda: resource_id in row_ids(app))
    table = app.screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(resource_id))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ToolBrowserScreen))
    screen = app.screen
    assert isinstance(screen, ToolBrowserScreen)
    # the refresh brings the bindings and the integration (credential schema)
    await wait_until(pilot, lambda: screen.integration is not None)
    return screen


# --- the Resources list ------------------------------------------------------


async def test_list_shows_counts_and_filters(workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(row_ids(app)) == 3)
        assert isinstance(app.screen, ResourcesScreen)
        assert row_ids(app) == ["res_docs", "res_jira", "res_shell"]  # by name
        table = app.screen.query_one(DataTable)
        docs = [str(c) for c in table.get_row("res_docs")]
        assert docs == ["Docs folder", "res_docs", "filesystem", "3", "2"]
        assert [str(c) for c in table.get_row("res_shell")][3:] == ["1", "0"]
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"jira")
        await wait_until(pilot, lambda: row_ids(app) == ["res_jira"])
        status = app.screen.query_one("#resources-status", Label)
        await wait_until(pilot, lambda: "3 resources · 1 shown" in str(status.content))
        await pilot.press("enter")  # keeps the filter, back to the table
        assert isinstance(app.focused, DataTable) and row_ids(app) == ["res_jira"]
        await pilot.press("slash", "escape")
        await wait_until(pilot, lambda: len(row_ids(app)) == 3)


async def test_jump_key_and_integrations_key(workspace) -> None:
    app = make_app(workspace, screen=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await wait_until(pilot, lambda: len(row_ids(app)) == 3)
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await wait_until(pilot, lambda: "jira" in row_ids(app, "#integrations-table"))
        assert {"filesystem", "shell", "jira"} <= set(row_ids(app, "#integrations-table"))


# --- the tool browser --------------------------------------------------------


async def test_tool_browser_shows_schema_dimensions_and_bots(workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_resource(pilot, app, "res_docs")
        options = screen.query_one("#tools-list", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [
            "__resource__", "list_files", "read_file", "search_files"]
        assert screen.selected == "list_files"
        access = text_of(screen.query_one("#tool-access", Static))
        assert "Bots that may call it (2)" in access
        assert "not constrained: allows no paths" in access  # searcher has no constraint
        await pilot.press("down")  # read_file
        await wait_until(pilot, lambda: screen.selected == "read_file")
        head = text_of(screen.query_one("#tool-head", Static))
        assert "Read a text file under the root" in head and "files.read" in head
        assert "filesystem.read" in head
        schema = text_of(screen.query_one("#tool-schema", Static))
        path_line = next(line for line in schema.splitlines() if line.startswith("path"))
        assert "string" in path_line and "required" in path_line
        max_line = next(line for line in schema.splitlines() if line.startswith("max_bytes"))
        assert "integer" in max_line and "min 1" in max_line and "required" not in max_line
        assert "no other parameters are accepted" in schema
        dims = text_of(screen.query_one("#tool-dimensions", Static))
        assert "Scope dimensions (1)" in dims and "paths" in dims and "pattern" in dims
        assert "path {value} is outside the folders this bot may read" in dims
        access = text_of(screen.query_one("#tool-access", Static))
        assert "Bots that may call it (1)" in access
        assert "docs/*, README.md" in access  # docs-reader's constraint on paths
        assert ("searcher: tool read_file is not in the allowed_tools of the binding to "
                "res_docs (*_files)") in access
        # search_files: docs-reader's allowed tools do not match it
        await pilot.press("down")
        await wait_until(pilot, lambda: screen.selected == "search_files")
        access = text_of(screen.query_one("#tool-access", Static))
        assert "Bots that may call it (1)" in access and "searcher" in access
        assert "Bound, but may not call it (1)" in access
        assert "docs-reader: tool search_files is not in the allowed_tools" in access
        assert "(read_file, \nlist_files)" in access or "(read_file, list_files)" in access
        schema = text_of(screen.query_one("#tool-schema", Static))
        assert 'default "."' in schema and "min length 1" in schema
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen))


async def test_tool_browser_filter_and_resource_overview(workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_resource(pilot, app, "res_jira")
        text = screen_text(app)
        assert "jira_list_issues" in text and "issue.read" in text
        access = text_of(screen.query_one("#tool-access", Static))
        assert "triage" in access and "OPS, WEB-*" in access
        await pilot.press("o")
        await wait_until(pilot, lambda: screen.selected == "__resource__")
        about = text_of(screen.query_one("#resource-about", Static))
        assert "https://jira.example.com" in about
        assert "api_token" in about and "email" in about and "set" in about
        assert JIRA_SECRET not in about and JIRA_SECRET not in screen_text(app)
        assert "triage" in about and "projects: OPS, WEB-*" in about
        # the tool filter narrows the list; esc restores it
        await pilot.press("slash", *"nothing-like-this")
        options = screen.query_one("#tools-list", OptionList)
        await wait_until(pilot, lambda: options.option_count == 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: options.option_count == 2)
        assert app.focused is options


async def test_tool_browser_stacks_on_a_narrow_terminal(workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(64, 24)) as pilot:
        screen = await open_resource(pilot, app, "res_docs")
        await pilot.pause(0.1)
        assert screen.has_class("-stacked")
        side = screen.query_one("#tools-side")
        pane = screen.query_one("#tool-pane")
        assert pane.region.y >= side.region.bottom and pane.region.width > 40


def test_tool_access_renders_the_servers_verdicts_only() -> None:
    tool = Tool(name="deploy_app", operation="deploy.run", input_schema={"type": "object"})

    def verdict(bot_id: str, may_call: bool, reason: str = "") -> ToolAccess:
        return ToolAccess(bot_id=bot_id, resource_id="res_x", tool_name="deploy_app",
                          call_name="deploy_app", operation="deploy.run", may_call=may_call,
                          reason=reason)

    bindings = [
        # the verdict is the server's even where the patterns seem to say otherwise
        ResourceBindingInfo(bot_id="b2", bot_name="refused", allowed_tools=["*"],
                            allowed_operations=["*"],
                            access=[verdict("b2", False, "operation deploy.run is not ...")]),
        ResourceBindingInfo(bot_id="b1", bot_name="ok", allowed_tools=["nothing"],
                            access=[verdict("b1", True)]),
        ResourceBindingInfo(bot_id="b3", bot_name="silent"),
    ]
    access = {a.bot_name: a for a in tool_access(tool, bindings)}
    assert access["ok"].may_call and not access["refused"].may_call
    assert access["refused"].reason == "operation deploy.run is not ..."
    assert not access["silent"].may_call and "no verdict" in access["silent"].reason
    assert tool_access(tool, bindings)[0].bot_name == "ok"


def test_schema_rows_nest_objects_and_arrays() -> None:
    schema = {
        "type": "object",
        "properties": {
            "target": {
                "type": "object", "description": "where to deploy",
                "properties": {"cluster": {"type": "string"}, "replicas": {"type": "integer",
                                                                          "default": 2}},
                "required": ["cluster"],
            },
            "labels": {"type": "array", "items": {
                "type": "object", "properties": {"key": {"type": "string"}}}},
            "mode": {"enum": ["fast", "safe"]},
            "note": {"type": ["string", "null"]},
        },
        "required": ["target"],
    }
    rows = schema_rows(schema).rows
    assert [(r.depth, r.name, r.type, r.required) for r in rows] == [
        (0, "target", "object", True),
        (1, "cluster", "string", True),
        (1, "replicas", "integer", False),
        (0, "labels", "array of object", False),
        (1, "[]key", "string", False),
        (0, "mode", "value", False),
        (0, "note", "string | null", False),
    ]
    assert rows[2].notes == ("default 2",) and rows[5].notes == ('one of "fast", "safe"',)
    console = Console(width=80, file=io.StringIO(), record=True)
    console.print(render_schema(schema))
    text = console.export_text()
    assert "  cluster" in text and "where to deploy" in text
    console.print(render_schema({"type": "object"}))
    assert "no parameters" in console.export_text()


# --- integrations and upload ---------------------------------------------------


async def upload_path(pilot, app: MonstrumApp, path: str) -> ManifestUploadScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
    await wait_until(pilot, lambda: "filesystem" in row_ids(app, "#integrations-table"))
    await pilot.press("u")
    await wait_until(pilot, lambda: isinstance(app.screen, ManifestUploadScreen))
    dialog = app.screen
    assert isinstance(dialog, ManifestUploadScreen)
    box = dialog.query_one("#upload-path", Input)
    box.value = path
    await pilot.press("enter")
    return dialog


async def test_upload_the_guides_manifest(new_server) -> None:
    fresh = new_server("--rate-limit", "0")
    app = make_app(fresh, screen="integrations")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: row_ids(app, "#integrations-table") == [
            "filesystem", "shell"])
        await upload_path(pilot, app, str(JIRA_MANIFEST))
        await wait_until(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await wait_until(pilot, lambda: "jira" in row_ids(app, "#integrations-table"))
        screen = app.screen
        assert isinstance(screen, IntegrationsScreen)
        assert screen.current_item() is not None
        assert screen.current_item().name == "jira"  # the cursor is on it
        summary = text_of(screen.query_one("#integration-summary", Static))
        assert "jira 1.0.0" in summary and "jira_list_issues (issue.read)" in summary
        assert "projects ← project [pattern]" in summary and "api_token*" in summary
        assert "jira 1.0.0: installed" in [n.message for n in app._notifications]
    with monstrum.Client(api_key=fresh.admin_key, api_base=fresh.url) as c:
        assert c.integrations.get("jira").version == "1.0.0"


async def test_broken_manifest_shows_problems_with_lines(workspace, tmp_path) -> None:
    text = JIRA_MANIFEST.read_text().replace("name: jira\n", "name: jira_broken\n", 1)
    text = text.replace("param_paths: [project]", "param_paths: [projct]")
    text = text.replace("match_mode: pattern", "match_mode: glob")
    line_of_paths = text.splitlines().index("    param_paths: [projct]") + 1
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    app = make_app(workspace, screen="integrations")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await upload_path(pilot, app, str(broken))
        report = dialog.query_one("#upload-report", Static)
        await wait_until(pilot, lambda: "refused" in text_of(report))
        # as words: the report wraps where the (temporary, so any length) path makes it
        shown = " ".join(text_of(report).split())
        assert "2 problems" in shown
        assert f"line {line_of_paths} scope_dimensions[0].param_paths" in shown
        assert "'projct', which is not a property of input_schema" in shown
        assert "match_mode" in shown and "glob" in shown
        assert app.screen is dialog  # still open, to fix the file and retry
        # a missing file is named, without a request
        dialog.query_one("#upload-path", Input).value = str(tmp_path / "missing.yaml")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "no file at" in text_of(report))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        assert "jira_broken" not in row_ids(app, "#integrations-table")


async def test_same_version_other_content_is_refused(workspace, tmp_path) -> None:
    changed = tmp_path / "jira.yaml"
    changed.write_text(JIRA_MANIFEST.read_text().replace("Jira 集成", "Jira, changed"))
    app = make_app(workspace, screen="integrations")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await upload_path(pilot, app, str(changed))
        report = dialog.query_one("#upload-report", Static)
        await wait_until(pilot, lambda: "not installed" in text_of(report))
        assert "1.0.0" in text_of(report)


async def test_directory_picker_fills_the_path(workspace, tmp_path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "only.yaml").write_text("name: x\n")
    (folder / "notes.txt").write_text("not a manifest")
    app = make_app(workspace, screen="integrations")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await upload_path(pilot, app, str(folder) + "/")
        await wait_until(pilot, lambda: "is a folder" in text_of(
            dialog.query_one("#upload-report", Static)))
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, DirectoryPickerScreen))
        tree = app.screen.query_one("#picker-tree")
        await wait_until(pilot, lambda: tree.root.children != [])
        assert [str(n.label) for n in tree.root.children] == ["only.yaml"]
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.screen is dialog)
        assert dialog.query_one("#upload-path", Input).value == str(folder / "only.yaml")


async def test_read_only_key_cannot_upload(workspace) -> None:
    with monstrum.Client(api_key=workspace.admin_key, api_base=workspace.url) as c:
        key = c.api_keys.create(name="viewer", scopes=["resources:read", "bots:read"])
    app = MonstrumApp(api_base=workspace.url, api_key=key.secret, watch_terminal=False,
                      initial_screen="integrations")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await wait_until(pilot, lambda: "jira" in row_ids(app, "#integrations-table"))
        await pilot.press("u")
        await pilot.pause(0.2)
        assert isinstance(app.screen, IntegrationsScreen)


# --- what if: the server's dry run from the tool browser -----------------------


async def open_what_if(pilot, app: MonstrumApp) -> WhatIfScreen:
    """The tool browser of res_docs, on read_file, and its what-if dialog."""
    screen = await open_resource(pilot, app, "res_docs")
    await pilot.press("down")
    await wait_until(pilot, lambda: screen.selected == "read_file")
    await pilot.press("w")
    await wait_until(pilot, lambda: isinstance(app.screen, WhatIfScreen))
    dialog = app.screen
    assert isinstance(dialog, WhatIfScreen)
    return dialog


def audit_count(server: ServerProcess) -> int:
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        return len(list(c.audit.list(limit=1000)))


async def test_what_if_shows_the_servers_denial_and_an_allow(workspace) -> None:
    before = audit_count(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_what_if(pilot, app)
        # the first bound bot, with params a binding allows: the server allows it
        assert dialog.chosen_bot() is not None
        assert dialog.bots[dialog.chosen_bot()] == "docs-reader"
        await wait_until(pilot, lambda: dialog.decision is not None)
        assert dialog.decision.allowed
        assert "ALLOWED" in screen_text(app)
        area = dialog.query_one("#field-params", TextArea)
        assert json.loads(area.text) == {"path": "README.md"}
        # a path outside the binding's patterns: the server's denial, by dimension and value
        area.text = '{"path": "/etc/passwd"}'
        await wait_until(pilot, lambda: dialog.decision is not None
                         and not dialog.decision.allowed)
        decision = dialog.decision
        assert (decision.check, decision.dimension, decision.value) == (
            "scope", "paths", "/etc/passwd")
        assert decision.allowed_patterns == ["docs/*", "README.md"]
        text = screen_text(app)
        for shown in ("DENIED", "paths", "/etc/passwd", '["docs/*", "README.md"]',
                      "outside the folders this bot may read"):
            assert shown in text, shown
        with monstrum.Client(api_key=workspace.admin_key, api_base=workspace.url) as c:
            bot_id = dialog.chosen_bot()
            assert bot_id is not None
            assert c.bots.authorize(bot_id, tool="res_docs/read_file",
                                    params={"path": "/etc/passwd"}) == decision
        # another bot: its binding does not list read_file (the params stay as typed)
        searcher = next(i for i, name in dialog.bots.items() if name == "searcher")
        dialog.query_one("#field-bot", Select).value = searcher
        await wait_until(pilot, lambda: dialog.decision is not None
                         and dialog.decision.check == "allowed_tools")
        assert json.loads(area.text) == {"path": "/etc/passwd"}
        assert "not in the allowed_tools" in " ".join(screen_text(app).split())
        # params that are not JSON are not sent, and say why
        area.text = '{"path": '
        verdict = dialog.query_one("#what-if-verdict", Static)
        await wait_until(pilot, lambda: "not valid JSON" in str(verdict.content))
        assert "line 1" in str(verdict.content)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolBrowserScreen))
    assert audit_count(workspace) == before  # a dry run: nothing ran, nothing was audited


async def test_what_if_with_a_key_that_may_not_read_bots_shows_the_refusal(workspace) -> None:
    with monstrum.Client(api_key=workspace.admin_key, api_base=workspace.url) as c:
        key = c.api_keys.create(name="resources-only", scopes=["resources:read"])
    app = MonstrumApp(api_base=workspace.url, api_key=key.secret, watch_terminal=False,
                      initial_screen="resources")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_what_if(pilot, app)
        verdict = dialog.query_one("#what-if-verdict", Static)
        await wait_until(pilot, lambda: "403" in str(verdict.content))
        assert "lacks the 'bots:read' scope" in str(verdict.content)
        assert dialog.decision is None  # no verdict made up in its place


# --- snapshots ------------------------------------------------------------------


@pytest.fixture
def fixed_server_label(monkeypatch: pytest.MonkeyPatch) -> None:
    """The header shows the server's address; the port differs per run, the picture must not."""
    monkeypatch.setattr(MonstrumApp, "server_label", property(lambda self: "http://127.0.0.1:8400"))


def test_snapshot_resources_screen(workspace, snap_compare, fixed_server_label) -> None:
    app = make_app(workspace)

    async def loaded(pilot) -> None:
        await wait_until(pilot, lambda: len(row_ids(app)) == 3)

    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_snapshot_tool_browser(workspace, snap_compare, fixed_server_label) -> None:
    app = make_app(workspace)

    async def browse(pilot) -> None:
        screen = await open_resource(pilot, app, "res_docs")
        await pilot.press("down")
        await wait_until(pilot, lambda: screen.selected == "read_file")

    assert snap_compare(app, terminal_size=(80, 24), run_before=browse)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_what_if(workspace, snap_compare, fixed_server_label, size) -> None:
    app = make_app(workspace)

    async def denied(pilot) -> None:
        dialog = await open_what_if(pilot, app)
        area = dialog.query_one("#field-params", TextArea)
        area.cursor_blink = False  # before it blinks: a blinking cursor makes it flaky
        await wait_until(pilot, lambda: dialog.decision is not None)
        area.text = '{"path": "/etc/passwd"}'
        await wait_until(pilot, lambda: dialog.decision is not None
                         and not dialog.decision.allowed)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=denied)


async def test_help_lists_the_bindings_and_keymap_remaps_them(workspace) -> None:
    from monstrum_tui.ui.screens.help import HelpScreen

    app = MonstrumApp(api_base=workspace.url, api_key=workspace.admin_key, watch_terminal=False,
                      initial_screen="integrations", keymap={"integrations.upload": "U"})
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "jira" in row_ids(app, "#integrations-table"))
        await pilot.press("u")  # remapped away
        await pilot.pause(0.1)
        assert isinstance(app.screen, IntegrationsScreen)
        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, ManifestUploadScreen))
        await pilot.press("escape")
        await pilot.press("2")
        screen = await open_resource(pilot, app, "res_docs")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = {row.binding_id for row in app.screen.rows}
        for binding_id in ("tools.filter", "tools.about", "tools.copy_name", "nav.resources"):
            assert binding_id in listed
        assert "tools.filter" in screen_text(app)
        await pilot.press("escape")
        assert app.screen is screen
