"""The bot form's binding editor against the real server: tools ticked from a resource's
real list, scope dimensions filled (an empty one says it allows nothing), the YAML view
editing the same value, and the live preview equal to what the server then says."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

import monstrum
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.bot_form import BotFormScreen
from monstrum_tui.ui.screens.bots import BotsScreen
from monstrum_tui.ui.widgets.binding_editor import BindingEditor
from monstrum_tui.ui.widgets.typed_fields import FieldTextArea
from tests.serverproc import ServerProcess
from tests.ui_pilot import screen_text, wait_until

ROOT = Path(__file__).resolve().parent.parent
JIRA_MANIFEST = ROOT / "integrations" / "jira.yaml"
SERVER_LABEL = "http://127.0.0.1:8400"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Two resources with fixed ids: a Jira (one dimension) and a docs folder."""
    data_dir = tmp_path_factory.mktemp("binding-editor") / "data"
    proc = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start()
    with monstrum.Client(api_key=proc.admin_key, api_base=proc.url) as c:
        c.integrations.upload(manifest=JIRA_MANIFEST.read_text())
        c.resources.create(type="jira", name="Jira prod", id="res_jira",
                           config={"api_base": "https://jira.example.com"},
                           credentials={"api_token": "t", "email": "ops@example.com"})
        c.resources.create(type="filesystem", name="Docs folder", id="res_docs",
                           config={"root": "/srv/monstrum/docs"})
    yield proc
    proc.stop()


@pytest.fixture
def sdk(platform: ServerProcess) -> Iterator[monstrum.Client]:
    with monstrum.Client(api_key=platform.admin_key, api_base=platform.url) as c:
        yield c
        for bot in list(c.bots.list()):
            c.bots.delete(bot_id=bot.id)


def make_app(server: ServerProcess) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False)


async def open_form(pilot: Pilot, app: MonstrumApp) -> tuple[BotFormScreen, BindingEditor]:
    await wait_until(pilot, lambda: app.connection.usable and isinstance(app.screen, BotsScreen))
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen)
                     and bool(app.screen.query(BindingEditor))
                     and bool(app.screen.editor.catalog))
    form = app.screen
    assert isinstance(form, BotFormScreen)
    editor = form.editor
    await wait_until(pilot, lambda: editor.preview is not None)
    return form, editor


async def pick(pilot: Pilot, editor: BindingEditor, resource_id: str) -> None:
    editor.query_one("#binding-resource", Select).value = resource_id
    keys = [d.key for d in editor.catalog[resource_id].dimensions]
    # the rows of this resource's dimensions, not the last one's still being replaced
    await wait_until(pilot, lambda: editor.current == resource_id and all(
        editor.query(f"#binding-dim-{k}") and editor.query(f"#binding-approval-dim-{k}")
        for k in keys))


async def preview_settles(pilot: Pilot, editor: BindingEditor, check) -> None:
    await wait_until(pilot, lambda: editor.preview is not None and check(editor.preview))


async def test_round_trip_through_the_fields_and_the_yaml(platform, sdk) -> None:
    app = make_app(platform)
    async with app.run_test(size=(100, 40)) as pilot:
        form, editor = await open_form(pilot, app)
        form.query_one("#field-name", Input).value = "triage"
        form.query_one("#field-allowed_operations", Input).value = "issue.read"
        await pick(pilot, editor, "res_jira")
        tools = editor.query_one("#binding-tools", SelectionList)
        assert [tools.get_option_at_index(i).value for i in range(tools.option_count)] == [
            "jira_list_issues"]  # the resource's real tool list
        block = str(editor.query_one(".binding-dimension-block").query_one(
            ".field-hint", Label).content)
        assert block == "match pattern · params project · denial “项目 {value} 不在授权范围内”"
        tools.select("jira_list_issues")
        editor.query_one("#binding-dim-projects", Input).value = "OPS, WEB-*"
        await wait_until(pilot, lambda: "WEB-*" in editor.text())
        await pilot.press("ctrl+t")  # the YAML view: the same value
        area = editor.query_one("#field-resource_bindings", FieldTextArea)
        await wait_until(pilot, lambda: area.display and app.focused is area)
        assert editor.bindings() == [{"resource_id": "res_jira",
                                      "allowed_tools": ["jira_list_issues"],
                                      "scope_constraints": {"projects": ["OPS", "WEB-*"]}}]
        assert "jira_list_issues" in screen_text(app)
        area.text = ("- resource_id: res_jira\n  allowed_tools: ['jira_*']\n"
                     "  scope_constraints: {projects: [OPS]}\n")
        await pilot.press("ctrl+t")  # back to the fields: the YAML edit is in them
        await wait_until(pilot, lambda: not area.display)
        await wait_until(pilot, lambda: editor.query_one(
            "#binding-dim-projects", Input).value == "OPS")
        assert editor.query_one("#binding-patterns", Input).value == "jira_*"
        assert list(tools.selected) == []
        await preview_settles(pilot, editor, lambda p: [
            (a.tool_name, a.may_call, a.scope_constraints) for a in p.data] == [
            ("jira_list_issues", True, {"projects": ["OPS"]})])
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
    bot = next(b for b in sdk.bots.list() if b.name == "triage")
    assert [b.model_dump(exclude_defaults=True) for b in bot.resource_bindings] == [
        {"resource_id": "res_jira", "allowed_tools": ["jira_*"],
         "scope_constraints": {"projects": ["OPS"]}}]


async def test_an_empty_dimension_says_it_allows_nothing(platform, sdk) -> None:
    app = make_app(platform)
    async with app.run_test(size=(100, 40)) as pilot:
        form, editor = await open_form(pilot, app)
        form.query_one("#field-allowed_operations", Input).value = "files.*"
        await pick(pilot, editor, "res_docs")
        warning = editor.query_one("#binding-empty-paths", Label)
        assert warning.display
        assert str(warning.content) == (
            "empty: no paths is allowed, so calls of list_files, read_file, search_files "
            "are refused ('*' allows all)")
        editor.query_one("#binding-tools", SelectionList).select("read_file")
        await preview_settles(pilot, editor, lambda p: any(a.may_call for a in p.data))
        preview = editor.query_one("#binding-preview", Static)
        preview.scroll_visible(animate=False)  # below the approval and enforce fields
        await wait_until(pilot, lambda: "paths: nothing allowed" in screen_text(app))
        # the key is left out (an empty list is refused), which the server reads as nothing
        assert editor.bindings() == [{"resource_id": "res_docs",
                                      "allowed_tools": ["read_file"]}]
        editor.query_one("#binding-dim-paths", Input).value = "docs/*"
        await wait_until(pilot, lambda: not warning.display)
        await preview_settles(pilot, editor, lambda p: any(
            a.scope_constraints == {"paths": ["docs/*"]} for a in p.data))
        assert preview.display
        # unbinding takes it out again
        await pilot.click("#binding-unbind")
        await wait_until(pilot, lambda: editor.bindings() == [])


async def test_the_preview_is_what_the_server_says_once_saved(platform, sdk) -> None:
    app = make_app(platform)
    async with app.run_test(size=(100, 40)) as pilot:
        form, editor = await open_form(pilot, app)
        form.query_one("#field-name", Input).value = "reader"
        form.query_one("#field-allowed_operations", Input).value = "files.*"
        await pick(pilot, editor, "res_docs")
        tools = editor.query_one("#binding-tools", SelectionList)
        tools.select("read_file")
        tools.select("list_files")
        editor.query_one("#binding-patterns", Input).value = "search_*"
        editor.query_one("#binding-dim-paths", Input).value = "docs/*, README.md"
        await preview_settles(pilot, editor, lambda p: sum(a.may_call for a in p.data) == 3)
        await pick(pilot, editor, "res_jira")  # a second binding, its tool refused by ops
        tools.select("jira_list_issues")
        await preview_settles(pilot, editor, lambda p: len(p.data) == 4)
        shown = editor.preview
        assert shown is not None and shown.problems == []
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
    bot = next(b for b in sdk.bots.list() if b.name == "reader")
    served = sdk.bots.tools(bot.id)

    def verdicts(items):
        return sorted((a.resource_id, a.tool_name, a.call_name, a.may_call, a.check,
                       a.scope_constraints) for a in items)
    assert verdicts(shown.data) == verdicts(served)
    assert [a.reason for a in sorted(shown.data, key=lambda a: a.tool_name)] == [
        a.reason for a in sorted(served, key=lambda a: a.tool_name)]


async def test_yaml_that_does_not_parse_keeps_its_view_and_loses_nothing(platform, sdk) -> None:
    app = make_app(platform)
    async with app.run_test(size=(80, 24)) as pilot:
        form, editor = await open_form(pilot, app)
        await pilot.press("ctrl+t")
        area = editor.query_one("#field-resource_bindings", FieldTextArea)
        await wait_until(pilot, lambda: area.display)
        broken = "- resource_id: res_docs\n  allowed_tools: [read_file\n"
        area.text = broken
        problem = editor.query_one("#binding-yaml-problem", Label)
        await wait_until(pilot, lambda: "not valid YAML" in str(problem.content))
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert area.display and area.text == broken
        assert "fix the YAML first: not valid YAML (line 3)" in str(problem.content)
        await pilot.press("ctrl+s")
        error = form.query_one("#error-resource_bindings", Label)
        await wait_until(pilot, lambda: "not valid YAML" in str(error.content))
        assert isinstance(app.screen, BotFormScreen)


async def test_editing_a_bot_shows_its_bindings_in_the_fields(platform, sdk) -> None:
    bot = sdk.bots.create(name="docs-bot", allowed_operations=["files.*"], resource_bindings=[
        {"resource_id": "res_docs", "allowed_tools": ["read_file", "*_files"],
         "scope_constraints": {"paths": ["docs/*"]}}])
    app = make_app(platform)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable
                         and isinstance(app.screen, BotsScreen))
        app.push_screen(BotFormScreen(bot))
        await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen)
                         and bool(app.screen.query(BindingEditor))
                         and app.screen.editor.current == "res_docs")
        editor = app.screen.editor
        await wait_until(pilot, lambda: bool(editor.query("#binding-dim-paths")))
        tools = editor.query_one("#binding-tools", SelectionList)
        assert list(tools.selected) == ["read_file"]
        assert editor.query_one("#binding-patterns", Input).value == "*_files"
        assert editor.query_one("#binding-dim-paths", Input).value == "docs/*"
        assert editor.query_one("#binding-unbind", Button).display
        await preview_settles(pilot, editor, lambda p: {
            a.tool_name for a in p.data if a.may_call} == {"read_file", "list_files",
                                                           "search_files"})
        await pilot.press("escape")


async def reopen(pilot: Pilot, app: MonstrumApp, bot) -> tuple[BotFormScreen, BindingEditor]:
    app.push_screen(BotFormScreen(bot))
    await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen)
                     and bool(app.screen.query(BindingEditor))
                     and app.screen.editor.current is not None)
    form = app.screen
    assert isinstance(form, BotFormScreen)
    await wait_until(pilot, lambda: bool(form.editor.query(".binding-approval-dimension")))
    return form, form.editor


async def test_approval_and_shadow_mode_round_trip(platform, sdk) -> None:
    """Set in the fields -> the YAML shows it -> a YAML edit is in the fields -> saved ->
    the server has it -> reopened, the fields show it, and saving again changes nothing."""
    app = make_app(platform)
    async with app.run_test(size=(80, 24)) as pilot:
        form, editor = await open_form(pilot, app)
        form.query_one("#field-name", Input).value = "gated"
        form.query_one("#field-allowed_operations", Input).value = "issue.read"
        form.query_one("#field-enforce", Select).value = "log_only"  # the bot's own mode
        await pick(pilot, editor, "res_jira")
        editor.query_one("#binding-tools", SelectionList).select("jira_list_issues")
        editor.query_one("#binding-dim-projects", Input).value = "OPS, WEB-*"
        # what each field means is said beside it
        editor.query_one("#binding-approval-heading").scroll_visible(animate=False)
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Approval: a call that matches pauses its task until a person" in text
        editor.query_one("#binding-approval-tools", Input).value = "jira_*"
        editor.query_one("#binding-approval-dim-projects", Input).value = "WEB-*"
        timeout = editor.query_one("#binding-approval-timeout", Input)
        timeout.focus()
        await pilot.press("9", "0")
        await wait_until(pilot, lambda: "timeout_s: 90" in editor.text())
        assert "then the call is rejected" in " ".join(screen_text(app).split())
        editor.query_one("#binding-enforce", Select).value = "log_only"
        await wait_until(pilot, lambda: "enforce: log_only" in editor.text())
        await pilot.press("ctrl+t")  # the YAML view: the same value
        area = editor.query_one("#field-resource_bindings", FieldTextArea)
        await wait_until(pilot, lambda: area.display)
        assert editor.bindings() == [{
            "resource_id": "res_jira", "allowed_tools": ["jira_list_issues"],
            "scope_constraints": {"projects": ["OPS", "WEB-*"]},
            "require_approval": {"tools": ["jira_*"], "scope": {"projects": ["WEB-*"]},
                                 "timeout_s": 90},
            "enforce": "log_only"}]
        area.text = area.text.replace("timeout_s: 90", "timeout_s: 45")
        await pilot.press("ctrl+t")  # back to the fields: the YAML edit is in them
        await wait_until(pilot, lambda: not area.display and timeout.value == "45")
        assert editor.query_one("#binding-approval-tools", Input).value == "jira_*"
        assert editor.query_one("#binding-approval-dim-projects", Input).value == "WEB-*"
        assert editor.query_one("#binding-enforce", Select).value == "log_only"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        bot = next(b for b in sdk.bots.list() if b.name == "gated")
        assert bot.enforce == "log_only"
        [binding] = bot.resource_bindings
        assert binding.enforce == "log_only"
        assert binding.require_approval is not None
        assert binding.require_approval.model_dump() == {
            "tools": ["jira_*"], "scope": {"projects": ["WEB-*"]}, "timeout_s": 45.0}
        form, editor = await reopen(pilot, app, bot)
        assert form.query_one("#field-enforce", Select).value == "log_only"
        assert editor.query_one("#binding-approval-tools", Input).value == "jira_*"
        assert editor.query_one("#binding-approval-dim-projects", Input).value == "WEB-*"
        assert editor.query_one("#binding-approval-timeout", Input).value == "45"
        assert editor.query_one("#binding-enforce", Select).value == "log_only"
        await pilot.pause(0.5)
        assert form.changes(form.form_data()) == {}  # the refill is not an edit
        # cleared in the fields, it is gone from the server too
        editor.query_one("#binding-approval-tools", Input).value = ""
        editor.query_one("#binding-approval-dim-projects", Input).value = ""
        editor.query_one("#binding-approval-timeout", Input).value = ""
        editor.query_one("#binding-enforce", Select).value = "enforce"
        await wait_until(pilot, lambda: "require_approval: null" in editor.text())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
    [binding] = sdk.bots.get(bot.id).resource_bindings
    assert binding.require_approval is None and binding.enforce == "enforce"


async def test_a_timeout_that_is_not_a_number_is_named_and_loses_nothing(platform, sdk) -> None:
    app = make_app(platform)
    async with app.run_test(size=(80, 24)) as pilot:
        form, editor = await open_form(pilot, app)
        form.query_one("#field-name", Input).value = "bad-timeout"
        form.query_one("#field-allowed_operations", Input).value = "issue.read"
        await pick(pilot, editor, "res_jira")
        editor.query_one("#binding-tools", SelectionList).select("jira_list_issues")
        editor.query_one("#binding-approval-tools", Input).value = "jira_*"
        await wait_until(pilot, lambda: "jira_*" in editor.text())
        timeout = editor.query_one("#binding-approval-timeout", Input)
        timeout.focus()
        await pilot.press(*"ten")
        error = editor.query_one("#binding-approval-timeout-error", Label)
        await wait_until(pilot, lambda: error.display and "not a number" in str(error.content))
        assert str(error.content) == (
            "approval timeout: 'ten' is not a number of seconds (e.g. 600)")
        await wait_until(pilot, lambda: "approval timeout" in str(
            editor.query_one("#binding-preview", Static).content))
        await pilot.press("ctrl+s")  # refused here, named under the bindings
        bindings_error = form.query_one("#error-resource_bindings", Label)
        await wait_until(pilot, lambda: "Jira prod: approval timeout: 'ten'" in str(
            bindings_error.content))
        assert isinstance(app.screen, BotFormScreen)
        await pilot.press("ctrl+t")  # the YAML view waits too: the field would be lost
        problem = editor.query_one("#binding-yaml-problem", Label)
        assert "fix the field first: approval timeout" in str(problem.content)
        assert not editor.yaml_view
        # picking another resource and back keeps what was typed
        await pick(pilot, editor, "res_docs")
        await pick(pilot, editor, "res_jira")
        await wait_until(pilot, lambda: timeout.value == "ten" and error.display)
        assert editor.query_one("#binding-approval-tools", Input).value == "jira_*"
        # a number out of the server's range: its own 422, under the bindings
        timeout.value = "0"
        await wait_until(pilot, lambda: not error.display)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "timeout_s" in str(bindings_error.content))
        assert isinstance(app.screen, BotFormScreen)
        timeout.value = "30"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
    bot = next(b for b in sdk.bots.list() if b.name == "bad-timeout")
    [binding] = bot.resource_bindings
    assert binding.require_approval is not None
    assert binding.require_approval.timeout_s == 30.0
    assert binding.require_approval.tools == ["jira_*"]


# --- snapshots ---------------------------------------------------------------------------


def _masked(app: MonstrumApp) -> None:
    app.screen_stack[0].query_one("#header-server", Label).update(SERVER_LABEL)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_binding_editor(platform, sdk, snap_compare, size, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()

    async def filled(pilot: Pilot) -> None:
        app = pilot.app
        form, editor = await open_form(pilot, app)
        form.query_one("#field-name", Input).value = "triage"
        form.query_one("#field-allowed_operations", Input).value = "issue.read"
        await pick(pilot, editor, "res_jira")
        editor.query_one("#binding-tools", SelectionList).select("jira_list_issues")
        await preview_settles(pilot, editor, lambda p: any(
            a.may_call and a.scope_constraints == {"projects": []} for a in p.data))
        form.query_one("#binding-resource").focus()
        await pilot.pause(0.2)
        _masked(app)
        await pilot.pause()

    assert snap_compare(make_app(platform), terminal_size=size, run_before=filled)


async def test_opening_and_saving_an_untouched_bot_changes_nothing(platform, sdk) -> None:
    bot = sdk.bots.create(name="untouched", allowed_operations=["files.*"], resource_bindings=[
        {"resource_id": "res_docs", "allowed_tools": ["*_files", "read_file"]}])
    app = make_app(platform)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable
                         and isinstance(app.screen, BotsScreen))
        app.push_screen(BotFormScreen(bot))
        await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen)
                         and bool(app.screen.query(BindingEditor))
                         and app.screen.editor.current == "res_docs")
        form = app.screen
        await wait_until(pilot, lambda: form.editor.preview is not None)
        await pilot.pause(0.5)
        data = form.form_data()
        assert form.changes(data) == {}  # the editor's refill is not an edit
