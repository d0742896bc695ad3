"""Dialogs and forms: type-ahead in bursts, enter never saves, errors shown whole, a dialog's
own footer, esc from any field, and the launch form's tools. Against the real server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import Input, Label, OptionList, Select, TextArea

from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.messages import RunBotRequested
from monstrum_tui.ui.screens.bot_form import BotFormScreen
from monstrum_tui.ui.screens.bots import BotsScreen
from monstrum_tui.ui.screens.task_launch import TaskLaunchScreen
from monstrum_tui.ui.screens.tasks import TasksScreen
from monstrum_tui.ui.widgets.task_pane import TaskPane
from tests.ui_pilot import burst, screen_text, wait_until

SCROLLBAR = str.maketrans("", "", "▁▂▃▄▅▆▇█│")


def make_app(server, **kw) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False,
                       **kw)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:6]


@pytest.fixture
def made(client):
    bots: list = []
    yield bots
    for bot in bots:
        client.bots.delete(bot_id=bot.id)


async def open_new_bot_form(pilot, app: MonstrumApp) -> BotFormScreen:
    await wait_until(pilot, lambda: app.connection.usable and isinstance(app.screen, BotsScreen))
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen)
                     and isinstance(app.screen.focused, Input))
    form = app.screen
    for name in ("name", "description", "model", "allowed_operations"):
        form.query_one(f"#field-{name}", Input).value = ""
    return form


def field(form: BotFormScreen, name: str) -> str:
    return form.query_one(f"#field-{name}", Input).value


async def test_a_burst_of_keys_goes_field_by_field(server, client, unique, made) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new_bot_form(pilot, app)
        name = f"burst-{unique}"
        # all queued before the first is handled: a paste, tmux, or a slow link
        await burst(pilot, f"{name}zz<backspace><backspace><tab>desc text<tab>scripted")
        await wait_until(pilot, lambda: field(form, "model") == "scripted")
        assert field(form, "name") == name
        assert field(form, "description") == "desc text"
        # enter in a one-line field moves on; it never saves
        await burst(pilot, "<enter><enter>files.read<enter>")
        await wait_until(pilot, lambda: field(form, "allowed_operations") == "files.read")
        assert isinstance(app.screen, BotFormScreen)
        # past the operations: the bindings (their editor's first field)
        assert app.focused is form.query_one("#binding-resource")
        assert form.query_one("#field-status", Select).value == "active"
        # keys typed right before ctrl+s are in the fields when it saves
        form.query_one("#field-name", Input).focus()
        await pilot.pause()
        await burst(pilot, "<end>-x<ctrl+s>")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
    saved = [b for b in client.bots.list() if b.name.startswith(name)]
    made.extend(saved)
    assert [(b.name, b.description, b.model, b.allowed_operations) for b in saved] == [
        (f"{name}-x", "desc text", "scripted", ["files.read"])]


async def test_the_dialog_shows_its_own_keys_and_esc_leaves_from_the_bindings(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new_bot_form(pilot, app)
        footer = screen_text(app).splitlines()[-1]
        assert "^s Save" in footer and "esc Cancel" in footer
        for beneath in ("New", "Delete", "Run task", "Quit"):  # not the Bots screen's keys
            assert beneath not in footer
        area = form.query_one("#field-resource_bindings", TextArea)
        area.focus()
        await pilot.pause()
        await pilot.press("a", "escape")  # esc in the multi-line field is not swallowed
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))


async def test_server_errors_are_shown_whole_even_at_80_columns(server, client, unique,
                                                                made, tmp_path: Path) -> None:
    res = client.resources.create(type="filesystem", name=f"forms-{unique}",
                                  config={"root": str(tmp_path)})
    paused = client.bots.create(name=f"paused-bot-with-a-long-name-{unique}", status="paused")
    made.append(paused)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new_bot_form(pilot, app)
        form.query_one("#field-name", Input).value = f"errs-{unique}"
        form.query_one("#field-model", Input).value = "scripted"
        form.query_one("#field-resource_bindings", TextArea).text = (
            f"- resource_id: {res.id}\n  allowed_tools: [read_fileX]\n")
        await pilot.press("ctrl+s")
        error = form.query_one("#error-resource_bindings", Label)
        await wait_until(pilot, lambda: "read_fileX" in str(error.content))
        message = str(error.content)
        await pilot.pause(0.2)
        # (without the dialog's border and scroll bar, which sit between its lines)
        shown = " ".join(screen_text(app).translate(SCROLLBAR).split())
        # every word of the server's message is on screen: it wraps, it is not cut
        assert " ".join(message.split()[-4:]) in shown, (message, shown)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        # the run dialog on a paused bot: the 409 says why, in full
        app.post_message(RunBotRequested(paused.id, paused.name))
        await wait_until(pilot, lambda: isinstance(app.screen, TaskLaunchScreen))
        await pilot.press("ctrl+s")
        launch_error = app.screen.query_one("#launch-error", Label)
        await wait_until(pilot, lambda: "409" in str(launch_error.content))
        await pilot.pause(0.2)
        shown = " ".join(screen_text(app).split())
        assert "it cannot start tasks until its status is set back to active" in shown


async def test_launch_form_lists_callable_tools_with_example_lines(server, client, unique,
                                                                   made, tmp_path) -> None:
    res = client.resources.create(
        type="shell", name=f"launch-{unique}",
        config={"allowed_commands": ["echo", "date"], "working_dir": str(tmp_path)})
    bot = client.bots.create(
        name=f"launcher-{unique}", allowed_operations=["shell.exec"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["run_command"],
                            "scope_constraints": {"commands": ["echo"]}}])
    made.append(bot)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        app.post_message(RunBotRequested(bot.id, bot.name))
        await wait_until(pilot, lambda: isinstance(app.screen, TaskLaunchScreen))
        form = app.screen
        await wait_until(pilot, lambda: form.query_one("#launch-tools", OptionList)
                         .option_count == 1)
        # options are in the list a frame before they are painted: wait for what a user sees
        await wait_until(pilot, lambda: 'call run_command {"command": "echo"}'
                         in screen_text(app))  # a literal the scope allows
        text = screen_text(app)
        assert "command*, args" in text and "scope commands: echo" in text
        assert "say TEXT" in text and "wait SECONDS" in text  # the scripted model's lines
        # tab to the picker, enter puts the example line in the input
        await pilot.press("tab", "enter")
        area = form.query_one("#launch-input", TextArea)
        await wait_until(pilot, lambda: area.text == 'call run_command {"command": "echo"}')
        assert app.focused is area
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen))
        pane = app.screen.query_one(TaskPane)
        await wait_until(pilot, lambda: pane.status == "completed")
        task = client.tasks.get(task_id=pane.task_id)
        assert (task.tool_calls, task.denials) == (1, 0)


async def test_audit_form_tab_takes_the_match_and_enter_on_a_select_applies(server, client,
                                                                            unique, made
                                                                            ) -> None:
    from monstrum_tui.ui.screens.audit import AuditScreen
    from monstrum_tui.ui.widgets.audit_filter_bar import AuditFilterBar
    from monstrum_tui.ui.widgets.fuzzy_picker import FuzzyPicker

    bot = client.bots.create(name=f"picked-{unique}")
    made.append(bot)
    app = make_app(server, initial_screen="audit")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
        screen = app.screen
        bar = screen.query_one(AuditFilterBar)
        picker = bar.query_one("#filter-bot", FuzzyPicker)
        await wait_until(pilot, lambda: any(i == bot.id for i, _n in picker.choices))
        await pilot.press("f", *f"picked-{unique[:4]}")
        await wait_until(pilot, lambda: picker.is_open)
        await pilot.press("tab")  # leaves the list with its highlighted match, and moves on
        assert picker.value == bot.id and not picker.is_open
        assert app.focused is bar.query_one("#filter-resource", FuzzyPicker).input
        bar.query_one("#filter-status", Select).focus()
        await pilot.pause()
        await pilot.press("enter")  # on a closed select: apply, not open it again
        await wait_until(pilot, lambda: not bar.is_editing)
        assert screen.audit_query.bot_id == bot.id
