"""The launch form: the input and metadata of a new task for one bot; starts it with the SDK.

Under the input, the tools the bot may call (the server's verdicts, ``client.bots.tools``)
with their params and a ready example line each: ``enter`` on one puts its line in the
input. For a scripted bot the form says what its lines may be (``call``, ``say``, ``wait``).
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from ...client.errors import MonstrumError, PermissionError, ValidationError
from ...client.models import Bot, ToolAccess
from ..json_object import JsonObjectProblem, parse_json_object
from ..tool_examples import SCRIPTED_HELP, example_line, param_summary
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields
from ..widgets.typed_fields import FieldTextArea
from .base import MonstrumModal

INPUT_HINT = SCRIPTED_HELP


class ToolsLoaded(Message):
    """The bot and the server's verdict on each tool it is bound to (or why not)."""

    def __init__(self, bot: Bot | None, tools: list[ToolAccess], problem: str = "") -> None:
        super().__init__()
        self.bot = bot
        self.tools = tools
        self.problem = problem


def tool_option(access: ToolAccess, *, scripted: bool) -> Text:
    """One tool in the picker: name, operation, params; the example line; its scope."""
    text = Text()
    text.append(access.call_name, style="bold")
    text.append(f"  {access.operation} · {param_summary(access)}", style="dim")
    if scripted:
        text.append("\n  " + example_line(access), style="cyan")
    scope = "; ".join(f"{key}: {', '.join(values) or '(none)'}"
                      for key, values in access.scope_constraints.items())
    if scope:
        text.append(f"\n  scope {scope}", style="dim")
    return text


#: kept under the names this screen's callers and tests know
MetadataProblem = JsonObjectProblem


def parse_metadata(text: str) -> dict[str, Any]:
    """The metadata field as a dict (empty text is ``{}``); raises MetadataProblem."""
    return parse_json_object(text, example='{"source": "dashboard"}')


class TaskLaunchScreen(TypeAheadFields, MonstrumModal):
    """Run a task on ``bot_id``; dismisses with the created Task, or None."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["dialogs.tcss", "tasks.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "launch", "Run", id="launch.run"),
        Binding("escape", "cancel", "Cancel", id="launch.cancel"),
        *TYPE_AHEAD_BINDINGS,
    ]

    def __init__(self, bot_id: str, bot_name: str = "", *, input_text: str = "",
                 metadata: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.input_text = input_text
        self.metadata_text = json.dumps(metadata or {"source": "dashboard"}, ensure_ascii=False)
        self.callable: list[ToolAccess] = []
        self.scripted = True

    def compose_dialog(self) -> ComposeResult:
        who = f"{self.bot_name} ({self.bot_id})" if self.bot_name else self.bot_id
        with Vertical(id="launch-dialog", classes="dialog"):
            yield Label(f"Run a task on {who}", id="launch-title", markup=False)
            yield Label("", id="launch-error", classes="field-error", markup=False)
            with VerticalScroll(id="launch-body", can_focus=False):
                yield Label("Input", classes="launch-label")
                yield FieldTextArea(self.input_text, id="launch-input", compact=True,
                               show_line_numbers=False, tab_behavior="focus")
                yield Label(INPUT_HINT, id="launch-hint", markup=False)
                yield Label("Tools it may call: loading…", id="launch-tools-title",
                            classes="launch-label", markup=False)
                yield OptionList(id="launch-tools", compact=True)
                yield Label("Metadata (JSON object)", classes="launch-label")
                yield FieldTextArea(self.metadata_text, id="launch-metadata", compact=True,
                               show_line_numbers=False, tab_behavior="focus")
                yield Label("", id="error-metadata", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run (ctrl+s)", variant="primary", id="launch-run", compact=True)
                yield Button("Cancel (esc)", id="launch-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#launch-input", TextArea).focus()
        self.load_tools()

    @work(exclusive=True, group="launch-tools", exit_on_error=False)
    async def load_tools(self) -> None:
        client = await self.monstrum.wait_for_client()
        bot: Bot | None = None
        try:
            bot = await client.bots.get(self.bot_id)
            tools = await client.bots.tools(self.bot_id)
        except PermissionError as exc:
            self.post_message(ToolsLoaded(bot, [], f"this key cannot list the bot's tools "
                                                   f"(it lacks {exc.required_scope})"))
            return
        except MonstrumError as exc:
            self.post_message(ToolsLoaded(bot, [], f"could not list the bot's tools: {exc}"))
            return
        self.post_message(ToolsLoaded(bot, tools))

    @on(ToolsLoaded)
    def _tools_loaded(self, message: ToolsLoaded) -> None:
        self.scripted = message.bot is None or message.bot.model == "scripted"
        self.callable = [t for t in message.tools if t.may_call]
        refused = len(message.tools) - len(self.callable)
        title = self.query_one("#launch-tools-title", Label)
        options = self.query_one("#launch-tools", OptionList)
        options.clear_options()
        if message.problem:
            title.update(message.problem)
            self.set_class(True, "-no-tools")
            return
        more = (f" · {refused} more it may not call (2 Resources says why)" if refused
                else "")
        pick = "enter puts the example in the input" if self.scripted else (
            f"the model ({message.bot.model if message.bot else '?'}) decides which to call")
        if not self.callable:
            title.update(f"Tools it may call: none{more}")
            self.set_class(True, "-no-tools")
            return
        title.update(f"Tools it may call ({len(self.callable)}): {pick}{more}")
        options.add_options(Option(tool_option(t, scripted=self.scripted), id=str(i))
                            for i, t in enumerate(self.callable))
        options.highlighted = 0
        self.set_class(False, "-no-tools")
        self.set_class(not self.scripted, "-not-scripted")

    @on(OptionList.OptionSelected, "#launch-tools")
    def _tool_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not self.scripted:
            return
        access = self.callable[int(event.option.id or 0)]
        area = self.query_one("#launch-input", TextArea)
        text = area.text
        line = example_line(access)
        area.text = f"{text}\n{line}" if text.strip() else line
        area.move_cursor(area.document.end)
        self.set_focus(area)

    def show_error(self, where: str, message: str) -> None:
        label = self.query_one(f"#{where}", Label)
        label.update(message)
        label.set_class(bool(message), "-shown")

    @on(Button.Pressed, "#launch-run")
    async def _run_pressed(self) -> None:
        await self.action_launch()

    @on(Button.Pressed, "#launch-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def action_launch(self) -> None:
        await self.settle_fields()  # keys typed before ctrl+s are in the input first
        if self.query_one("#launch-run", Button).disabled:
            return
        self.show_error("launch-error", "")
        try:
            metadata = parse_metadata(self.query_one("#launch-metadata", TextArea).text)
        except MetadataProblem as problem:
            self.show_error("error-metadata", f"metadata {problem}")
            self.query_one("#launch-metadata", TextArea).focus()
            return
        self.show_error("error-metadata", "")
        self.query_one("#launch-run", Button).disabled = True
        self.launch(self.query_one("#launch-input", TextArea).text, metadata)

    @work(exclusive=True, group="task-launch")
    async def launch(self, text: str, metadata: dict[str, Any]) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            task = await client.tasks.create(bot_id=self.bot_id, input=text, metadata=metadata)
        except ValidationError as exc:
            fields = "; ".join(f"{f.get('field')}: {f.get('message')}" for f in exc.fields)
            self.show_error("launch-error", fields or exc.message)
        except MonstrumError as exc:
            self.show_error("launch-error", f"could not start the task: {exc}")
        else:
            self.dismiss(task)
            return
        self.query_one("#launch-run", Button).disabled = False

