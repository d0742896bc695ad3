"""What if a bot called this tool with these params? The server's dry run answers.

Opened from the tool browser (``w``): pick a bot, type params as JSON, and the server
decides the call as a task would (``POST /v1/bots/{id}/authorize``), without running
anything. The verdict shown is the server's (allowed or which check denied it, the scope
dimension, the value, the allowed patterns); nothing here decides. The call is named
``RESOURCE_ID/TOOL``, so the answer is about this resource's tool even when another
bound resource has one of the same name. It asks again as the bot or the params change.
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
from textual.timer import Timer
from textual.widgets import Label, Select, Static, TextArea

from ...client.errors import APIConnectionError, MonstrumError
from ...client.models import Bot, Decision, Resource, Tool
from ..json_object import JsonObjectProblem, parse_json_object
from ..tool_examples import tool_example_params
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields
from ..widgets.decision_view import render_decision
from ..widgets.typed_fields import FieldTextArea
from .base import MonstrumModal

#: seconds of no typing before the params are sent
ASK_AFTER = 0.5
#: bots offered besides the bound ones (the list is one request, bounded)
MAX_BOTS = 500


def parse_params(text: str) -> dict[str, Any]:
    """The params field as an object (empty means ``{}``); raises JsonObjectProblem."""
    try:
        return parse_json_object(text)
    except JsonObjectProblem as problem:
        raise JsonObjectProblem(f"params: {problem}") from problem


class BotsLoaded(Message):
    def __init__(self, bots: list[Bot]) -> None:
        super().__init__()
        self.bots = bots


class Answered(Message):
    """The server's decision on (bot, params), or why it could not be asked."""

    def __init__(self, bot_id: str, decision: Decision | None, error: str = "") -> None:
        super().__init__()
        self.bot_id = bot_id
        self.decision = decision
        self.error = error


class WhatIfScreen(TypeAheadFields, MonstrumModal):
    """The dry run of one tool of one resource; ``esc`` closes, nothing ran."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["dialogs.tcss", "resources.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "ask", "Ask again", id="whatif.ask"),
        Binding("ctrl+g", "example", "Example params", id="whatif.example"),
        Binding("escape", "close", "Close", id="whatif.close"),
        *TYPE_AHEAD_BINDINGS,
    ]

    def __init__(self, resource: Resource, tool: Tool, bot_id: str | None = None) -> None:
        super().__init__()
        self.resource = resource
        self.tool = tool
        self.call_name = f"{resource.id}/{tool.name}"
        bound = sorted(resource.bindings, key=lambda b: (b.bot_name.lower(), b.bot_id))
        #: bot id -> label; bound bots first, the others once loaded
        self.bots: dict[str, str] = {b.bot_id: b.bot_name or b.bot_id for b in bound}
        self.bound = {b.bot_id for b in bound}
        self.initial_bot = bot_id if bot_id in self.bots else next(iter(self.bots), None)
        self.edited = False
        self.decision: Decision | None = None
        self._ask_timer: Timer | None = None

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="what-if-dialog", classes="dialog"):
            yield Label(f"What if a bot calls {self.call_name}?", id="what-if-title",
                        markup=False)
            yield Label("a dry run: the server decides the call as a task would; nothing runs",
                        id="what-if-hint", markup=False)
            with Horizontal(classes="form-row", id="row-bot"):
                yield Label("Bot", classes="form-label")
                with Vertical(classes="form-input"):
                    yield Select(self.bot_options(), value=self.initial_bot or Select.BLANK,
                                 prompt="pick a bot", id="field-bot", compact=True)
            with Horizontal(classes="form-row", id="row-params"):
                yield Label("Params", classes="form-label")
                with Vertical(classes="form-input"):
                    area = FieldTextArea(self.example_text(self.initial_bot), id="field-params",
                                         compact=True, show_line_numbers=False,
                                         tab_behavior="focus", language=None)
                    area.border_subtitle = "JSON"
                    yield area
            with VerticalScroll(id="what-if-verdict-pane"):
                yield Static(Text("pick a bot to ask the server", style="dim"),
                             id="what-if-verdict")

    def bot_options(self) -> list[tuple[str, str]]:
        return [(label if ident in self.bound else f"{label} (not bound here)", ident)
                for ident, label in self.bots.items()]

    def example_text(self, bot_id: str | None) -> str:
        constraints: dict[str, list[str]] = {}
        for binding in self.resource.bindings:
            if binding.bot_id == bot_id:
                access = next((a for a in binding.access if a.tool_name == self.tool.name), None)
                constraints = access.scope_constraints if access else binding.scope_constraints
        return json.dumps(tool_example_params(self.tool, constraints), ensure_ascii=False)

    def on_mount(self) -> None:
        self.load_bots()
        self.query_one("#field-params", TextArea).focus()
        if self.initial_bot:
            self.action_ask()

    # --- the bots to pick from ------------------------------------------------

    @work(group="what-if-bots", exit_on_error=False)
    async def load_bots(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            bots = await client.bots.list(limit=MAX_BOTS).to_list()
        except MonstrumError:
            return  # the bound bots are offered anyway; the dry run says what is wrong
        self.post_message(BotsLoaded(bots))

    @on(BotsLoaded)
    def _bots_loaded(self, message: BotsLoaded) -> None:
        others = sorted((b for b in message.bots if b.id not in self.bound),
                        key=lambda b: (b.name.lower(), b.id))
        for bot in others:
            self.bots[bot.id] = bot.name
        select = self.query_one("#field-bot", Select)
        keep = select.value
        with self.prevent(Select.Changed):
            select.set_options(self.bot_options())
            if keep is not Select.BLANK:
                select.value = keep

    # --- asking -----------------------------------------------------------------

    def chosen_bot(self) -> str | None:
        value = self.query_one("#field-bot", Select).value
        return value if isinstance(value, str) else None

    @on(Select.Changed, "#field-bot")
    def _bot_changed(self) -> None:
        if not self.edited:
            with self.prevent(TextArea.Changed):
                self.query_one("#field-params", TextArea).text = self.example_text(
                    self.chosen_bot())
        self.action_ask()

    @on(TextArea.Changed, "#field-params")
    def _params_changed(self) -> None:
        self.edited = True
        if self._ask_timer is not None:
            self._ask_timer.stop()
        self._ask_timer = self.set_timer(ASK_AFTER, self.action_ask)

    def action_example(self) -> None:
        self.edited = False
        with self.prevent(TextArea.Changed):
            self.query_one("#field-params", TextArea).text = self.example_text(self.chosen_bot())
        self.action_ask()

    def action_ask(self) -> None:
        bot_id = self.chosen_bot()
        if bot_id is None:
            self.show(Text("pick a bot to ask the server", style="dim"))
            return
        try:
            params = parse_params(self.query_one("#field-params", TextArea).text)
        except JsonObjectProblem as problem:
            self.show(Text(f"not sent: {problem}", style="yellow"))
            return
        self.ask(bot_id, params)

    @work(exclusive=True, group="what-if-ask", exit_on_error=False)
    async def ask(self, bot_id: str, params: dict[str, Any]) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            decision = await client.bots.authorize(bot_id, tool=self.call_name, params=params)
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(Answered(bot_id, None, f"could not ask the server: {exc.message}"))
        except MonstrumError as exc:
            self.post_message(Answered(bot_id, None, f"the server did not decide: {exc}"))
        else:
            self.post_message(Answered(bot_id, decision))

    @on(Answered)
    def _answered(self, message: Answered) -> None:
        if message.bot_id != self.chosen_bot():
            return  # an answer for the bot picked before
        self.decision = message.decision
        if message.decision is None:
            self.show(Text(message.error, style="red"))
        else:
            self.show(render_decision(message.decision))

    def show(self, renderable: Any) -> None:
        self.query_one("#what-if-verdict", Static).update(renderable)

    def action_close(self) -> None:
        self.dismiss(None)
