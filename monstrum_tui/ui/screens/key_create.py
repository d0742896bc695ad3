"""Create an API key: a name and its scopes, each scope explained as the SDK guide does.

The scope list and what each scope means come from ``client.models.SCOPE_MEANINGS`` (one
home); the server decides what is valid, and its 422 is shown under the field it names.
Dismisses with the ``ApiKeyCreated`` (the only object that ever holds the secret), or None.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, SelectionList
from textual.widgets.selection_list import Selection

from ...client.errors import MonstrumError, ValidationError
from ...client.models import SCOPE_MEANINGS
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields
from ..widgets.typed_fields import FieldInput
from .base import MonstrumModal

#: the form's fields: (request field, label)
FIELDS: tuple[tuple[str, str], ...] = (("name", "Name"), ("scopes", "Scopes"))
#: the widest scope name, so the meanings line up
SCOPE_WIDTH = max(len(scope) for scope in SCOPE_MEANINGS)


def scope_prompt(scope: str, meaning: str) -> Text:
    """``bots:read        list and view bots``: the scope, then what it lets a key do."""
    text = Text(scope.ljust(SCOPE_WIDTH + 2), style="bold")
    text.append(meaning, style="red" if scope == "admin" else "")
    return text


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
                    yield SelectionList[str](
                        *(Selection(scope_prompt(scope, meaning), scope)
                          for scope, meaning in SCOPE_MEANINGS.items()),
                        id="field-scopes", compact=True)
                    yield Label("", id="error-scopes", classes="field-error", markup=False)
            yield Label("space ticks a scope · a :write scope also grants its :read",
                        id="key-form-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create (ctrl+s)", variant="primary", id="key-form-save",
                             compact=True)
                yield Button("Cancel (esc)", id="key-form-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()

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
