"""The launch form: the input and metadata of a new task for one bot; starts it with the SDK."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, TextArea

from ...client.errors import MonstrumError, ValidationError
from .base import MonstrumModal

INPUT_HINT = "scripted bots run lines like: call read_file {\"path\": \"docs/a.txt\"}"


class MetadataProblem(ValueError):
    """The metadata text is not a JSON object; the message says where and why."""


def parse_metadata(text: str) -> dict[str, Any]:
    """The metadata field as a dict (empty text is ``{}``); raises MetadataProblem."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetadataProblem(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
            type(data), "a number"
        )
        raise MetadataProblem(f'must be a JSON object such as {{"source": "dashboard"}}, '
                              f"not {kind}")
    return data


class TaskLaunchScreen(MonstrumModal):
    """Run a task on ``bot_id``; dismisses with the created Task, or None."""

    CSS_PATH: ClassVar[list[str]] = ["dialogs.tcss", "tasks.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "launch", "Run", id="launch.run", priority=True),
        Binding("escape", "cancel", "Cancel", id="launch.cancel"),
    ]

    def __init__(self, bot_id: str, bot_name: str = "", *, input_text: str = "",
                 metadata: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.input_text = input_text
        self.metadata_text = json.dumps(metadata or {"source": "dashboard"}, ensure_ascii=False)

    def compose_dialog(self) -> ComposeResult:
        who = f"{self.bot_name} ({self.bot_id})" if self.bot_name else self.bot_id
        with Vertical(id="launch-dialog", classes="dialog"):
            yield Label(f"Run a task on {who}", id="launch-title", markup=False)
            yield Label("", id="launch-error", classes="field-error", markup=False)
            yield Label("Input", classes="launch-label")
            yield TextArea(self.input_text, id="launch-input", compact=True,
                           show_line_numbers=False, tab_behavior="focus")
            yield Label(INPUT_HINT, id="launch-hint", markup=False)
            yield Label("Metadata (JSON object)", classes="launch-label")
            yield TextArea(self.metadata_text, id="launch-metadata", compact=True,
                           show_line_numbers=False, tab_behavior="focus")
            yield Label("", id="error-metadata", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run (ctrl+s)", variant="primary", id="launch-run", compact=True)
                yield Button("Cancel (esc)", id="launch-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#launch-input", TextArea).focus()

    def show_error(self, where: str, message: str) -> None:
        label = self.query_one(f"#{where}", Label)
        label.update(message)
        label.set_class(bool(message), "-shown")

    @on(Button.Pressed, "#launch-run")
    def _run_pressed(self) -> None:
        self.action_launch()

    @on(Button.Pressed, "#launch-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_launch(self) -> None:
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

