"""Create an API key: a name and its scopes, each scope explained as the SDK guide does.

The scope list and what each scope means come from ``client.models`` (``SCOPE_MEANINGS``,
``MCP_BOT_SCOPE_MEANING``: one home); the server decides what is valid, and its 422 is
shown under the field it names. Below ``mcp:call`` (every bot) the picker offers
``mcp:call:BOT_ID`` for each bot, read from the server in a worker: shown by name, stored
by id. Dismisses with the ``ApiKeyCreated`` (the only object that ever holds the secret),
or None.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, SelectionList
from textual.widgets.selection_list import Selection

from ...client.errors import APIConnectionError, MonstrumError, ValidationError
from ...client.models import (
    MCP_BOT_SCOPE_MEANING,
    MCP_BOT_SCOPE_PREFIX,
    SCOPE_MEANINGS,
    Bot,
    mcp_bot_scope,
)
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields
from ..widgets.typed_fields import FieldInput
from .base import MonstrumModal

#: the form's fields: (request field, label)
FIELDS: tuple[tuple[str, str], ...] = (("name", "Name"), ("scopes", "Scopes"))
#: the widest scope name, so the meanings line up
SCOPE_WIDTH = max(len(scope) for scope in SCOPE_MEANINGS)
#: the scope the per-bot MCP scopes are listed under (it grants them all)
MCP_ANY_BOT = "mcp:call"
#: the most bots the picker offers (the list is read once, when the dialog opens)
MAX_BOTS = 500


def scope_prompt(scope: str, meaning: str) -> Text:
    """``bots:read        list and view bots``: the scope, then what it lets a key do."""
    text = Text(scope.ljust(SCOPE_WIDTH + 2), style="bold")
    text.append(meaning, style="red" if scope == "admin" else "")
    return text


def bot_scope_prompt(bot: Bot, *, with_id: bool = False) -> Text:
    """``└ deploy-bot       act as this bot only, over MCP``: a bot by its name, under
    ``mcp:call``; its id too when another bot has the same name."""
    text = Text(f"└ {bot.name}".ljust(SCOPE_WIDTH + 2), style="bold")
    text.append(MCP_BOT_SCOPE_MEANING)
    if with_id:
        text.append(f"  {bot.id}", style="dim")
    return text


def scope_selections(bots: list[Bot], ticked: set[str]) -> list[Selection[str]]:
    """Every scope in the table's order, each bot's ``mcp:call:BOT_ID`` under ``mcp:call``."""
    names = Counter(bot.name for bot in bots)
    out: list[Selection[str]] = []
    for scope, meaning in SCOPE_MEANINGS.items():
        out.append(Selection(scope_prompt(scope, meaning), scope, scope in ticked))
        if scope == MCP_ANY_BOT:
            out += [Selection(bot_scope_prompt(bot, with_id=names[bot.name] > 1),
                              mcp_bot_scope(bot.id), mcp_bot_scope(bot.id) in ticked)
                    for bot in bots]
    return out


def bots_note(bots: list[Bot] | None, error: str = "") -> str:
    """The line under the picker that says where the per-bot MCP scopes are."""
    if error:
        return f"{MCP_BOT_SCOPE_PREFIX}BOT_ID (one bot): could not load the bots: {error}"
    if bots is None:
        return f"{MCP_BOT_SCOPE_PREFIX}BOT_ID (one bot): loading the bots…"
    if not bots:
        return f"{MCP_BOT_SCOPE_PREFIX}BOT_ID (one bot): no bots yet"
    more = f" (the first {MAX_BOTS})" if len(bots) >= MAX_BOTS else ""
    return f"{MCP_BOT_SCOPE_PREFIX}BOT_ID: tick a bot under {MCP_ANY_BOT}{more}"


class BotsLoaded(Message):
    """The bots a key can be given ``mcp:call:BOT_ID`` for (``error`` if they could not be
    read)."""

    def __init__(self, bots: list[Bot], error: str = "") -> None:
        super().__init__()
        self.bots = bots
        self.error = error


def field_of(path: str) -> str:
    """The form field a 422's ``field`` belongs to (``scopes[0]`` -> ``scopes``)."""
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    return head if head in dict(FIELDS) else ""


class KeyCreateScreen(TypeAheadFields, MonstrumModal):
    """New API key: ``space`` ticks a scope, ``ctrl+s`` creates, ``esc`` cancels."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["dialogs.tcss", "api_keys.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Create", id="keys.form.save"),
        Binding("escape", "cancel", "Cancel", id="keys.form.cancel"),
        *TYPE_AHEAD_BINDINGS,
    ]

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="key-form", classes="dialog"):
            yield Label("New API key", id="key-form-title")
            yield Label("", id="key-form-error", classes="field-error", markup=False)
            with Horizontal(classes="form-row", id="row-name"):
                yield Label("Name", classes="form-label")
                with Vertical(classes="form-input"):
                    yield FieldInput(id="field-name", placeholder="ci-deploy")
                    yield Label("", id="error-name", classes="field-error", markup=False)
            with Horizontal(classes="form-row", id="row-scopes"):
                yield Label("Scopes", classes="form-label")
                with Vertical(classes="form-input"):
                    yield SelectionList[str](*scope_selections([], set()),
                                             id="field-scopes", compact=True)
                    yield Label("", id="error-scopes", classes="field-error", markup=False)
            yield Label("space ticks a scope · a :write scope also grants its :read",
                        id="key-form-hint", markup=False)
            yield Label(bots_note(None), id="key-form-bots", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create (ctrl+s)", variant="primary", id="key-form-save",
                             compact=True)
                yield Button("Cancel (esc)", id="key-form-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()
        self.load_bots()

    # --- the bots, for mcp:call:BOT_ID ---------------------------------------

    @work(exclusive=True, group="key-create-bots", exit_on_error=False)
    async def load_bots(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            bots = [bot async for bot in client.bots.list(limit=MAX_BOTS)]
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(BotsLoaded([], exc.message))
        except MonstrumError as exc:
            self.post_message(BotsLoaded([], str(exc)))
        else:
            self.post_message(BotsLoaded(bots))

    @on(BotsLoaded)
    def _bots_loaded(self, message: BotsLoaded) -> None:
        """Put each bot's scope under ``mcp:call``, keeping what is ticked and where the
        cursor is."""
        self.query_one("#key-form-bots", Label).update(
            bots_note(None if message.error else message.bots, message.error))
        if not message.bots:
            return
        picker = self.query_one("#field-scopes", SelectionList)
        ticked = set(picker.selected)
        at = picker.highlighted
        current = picker.get_option_at_index(at).value if at is not None else None
        picker.clear_options()
        picker.add_options(scope_selections(message.bots, ticked))
        values = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
        if current in values:
            picker.highlighted = values.index(current)

    def form_data(self) -> dict[str, Any]:
        return {
            "name": self.query_one("#field-name", Input).value.strip(),
            "scopes": list(self.query_one("#field-scopes", SelectionList).selected),
        }

    # --- errors next to fields ----------------------------------------------

    def show_errors(self, message: str, fields: list[dict[str, Any]]) -> None:
        for label in self.query(".field-error").results(Label):
            label.update("")
            label.remove_class("-shown")
        for row in self.query(".form-row"):
            row.remove_class("-invalid")
        general: list[str] = []
        marked: list[str] = []
        for item in fields:
            path, text = str(item.get("field", "")), str(item.get("message", "invalid"))
            name = field_of(path)
            if not name:
                general.append(f"{path}: {text}" if path and path != "body" else text)
                continue
            label = self.query_one(f"#error-{name}", Label)
            before = str(label.content)
            label.update(f"{before}\n{text}" if before else text)
            label.add_class("-shown")
            self.query_one(f"#row-{name}").add_class("-invalid")
            marked.append(name)
        top = self.query_one("#key-form-error", Label)
        top.update("\n".join(general or ([message] if not marked else
                                         ["the server refused the fields marked below"])))
        top.add_class("-shown")
        if marked:
            self.query_one(f"#field-{marked[0]}").focus()

    # --- saving -------------------------------------------------------------

    @on(Button.Pressed, "#key-form-save")
    async def _save_pressed(self) -> None:
        await self.action_save()

    @on(Button.Pressed, "#key-form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def action_save(self) -> None:
        await self.settle_fields()
        button = self.query_one("#key-form-save", Button)
        if button.disabled:
            return  # already on its way
        button.disabled = True
        self.create(self.form_data())

    @work(exclusive=True, group="key-create", exit_on_error=False)
    async def create(self, data: dict[str, Any]) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            created = await client.api_keys.create(name=data["name"], scopes=data["scopes"])
        except ValidationError as exc:
            self.show_errors(exc.message, exc.fields)
        except MonstrumError as exc:
            self.show_errors(str(exc), [])
        else:
            self.dismiss(created)
            return
        self.query_one("#key-form-save", Button).disabled = False
