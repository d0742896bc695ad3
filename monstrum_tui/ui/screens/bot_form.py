"""Create or edit a bot; the server's validation errors appear next to the fields.

Its bindings are edited in ``BindingEditor`` (fields, or YAML: ``ctrl+t`` switches), and
each change asks the server what the bot could then call (``POST /v1/bot-drafts/tools``,
nothing stored), shown under the editor.

Safe to type ahead into (``type_ahead``): ``tab`` and ``enter`` move to the next field the
moment they arrive, ``ctrl+s`` saves (after every field has taken the keys typed before it),
``esc`` cancels, from any field.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pydantic
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select

from ...client.errors import APIConnectionError, MonstrumError, ValidationError
from ...client.models import Bot, ScopeDimension
from ..data_changes import DataChange
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields
from ..widgets.binding_editor import (
    BindableResource,
    BindingEditor,
    BindingsProblem,
    bindings_yaml,
)
from ..widgets.typed_fields import FieldInput
from .base import MonstrumModal

#: the form's fields, in order: (field name, label)
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("description", "Description"),
    ("model", "Model"),
    ("status", "Status"),
    ("allowed_operations", "Operations"),
    ("resource_bindings", "Bindings"),
)
FIELD_NAMES = frozenset(name for name, _ in FIELDS)

#: the most resources the binding editor offers (the list is read once, when it opens)
MAX_BINDABLE = 500
#: how long typing pauses before the preview is asked for again (seconds)
PREVIEW_DELAY = 0.3


class FormProblem(Exception):
    """The form's own content could not be turned into a request (before the server sees it)."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{f['field']}: {f['message']}" for f in fields))
        self.fields = fields


def field_of(path: str) -> str:
    """The form field an error path belongs to: ``resource_bindings[0].resource_id`` ->
    ``resource_bindings``."""
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    return head if head in FIELD_NAMES else ""


def parse_operations(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]


def bindings_text(bot: Bot | None) -> str:
    if bot is None or not bot.resource_bindings:
        return ""
    return bindings_yaml([b.model_dump(mode="json") for b in bot.resource_bindings])


class CatalogLoaded(Message):
    """The resources a bot can be bound to, with their types' scope dimensions."""

    def __init__(self, resources: list[BindableResource]) -> None:
        super().__init__()
        self.resources = resources


def pydantic_fields(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    """A pydantic error as the server's ``fields`` list (same path syntax)."""
    out = []
    for err in exc.errors():
        path = ""
        for part in err.get("loc", ()):
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        out.append({"field": path or "body", "message": str(err.get("msg", "invalid"))})
    return out


class BotFormScreen(TypeAheadFields, MonstrumModal):
    """New bot (``bot=None``) or edit ``bot``; dismisses with the saved Bot, or None."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+t", "bindings_view", "Bindings: fields/YAML", id="form.bindings_view",
                priority=True),
        *TYPE_AHEAD_BINDINGS,
    ]

    def __init__(self, bot: Bot | None = None) -> None:
        super().__init__()
        self.bot = bot
        self._preview_timer: Timer | None = None

    def compose_dialog(self) -> ComposeResult:
        bot = self.bot
        title = f"Edit bot {bot.name}" if bot else "New bot"
        with Vertical(id="form-dialog", classes="dialog"):
            yield Label(title, id="form-title", markup=False)
            yield Label("", id="form-error", classes="field-error", markup=False)
            with VerticalScroll(id="form-fields"):
                yield from self._row("name", FieldInput(bot.name if bot else "", id="field-name",
                                                   placeholder="deploy-bot", compact=True))
                yield from self._row("description", FieldInput(
                    bot.description if bot else "", id="field-description", compact=True,
                    placeholder="what this bot is for"))
                yield from self._row("model", FieldInput(
                    bot.model if bot else "scripted", id="field-model", compact=True,
                    placeholder="scripted, gpt-4o, …"))
                yield from self._row("status", Select(
                    [("active", "active"), ("paused", "paused")],
                    value=bot.status if bot else "active", allow_blank=False,
                    id="field-status", compact=True))
                yield from self._row("allowed_operations", FieldInput(
                    ", ".join(bot.allowed_operations) if bot else "",
                    id="field-allowed_operations", compact=True,
                    placeholder="deploy.read, deploy.write, files.*"))
                # in its YAML view, tab leaves the text like any other field (type
                # indentation with spaces), and esc cancels the form from there too
                yield from self._row("resource_bindings",
                                     BindingEditor(bindings_text(bot), id="binding-editor"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="form-save", compact=True)
                yield Button("Cancel (esc)", id="form-cancel", compact=True)

    def _row(self, name: str, widget: Any) -> ComposeResult:
        label = dict(FIELDS)[name]
        with Horizontal(classes="form-row", id=f"row-{name}"):
            yield Label(label, classes="form-label")
            with Vertical(classes="form-input"):
                error = Label("", id=f"error-{name}", classes="field-error", markup=False)
                if isinstance(widget, BindingEditor):
                    yield error  # above the editor, which is taller than the screen
                yield widget
                if not isinstance(widget, BindingEditor):
                    yield error

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()
        self.load_catalog()

    @property
    def editor(self) -> BindingEditor:
        return self.query_one(BindingEditor)

    async def action_bindings_view(self) -> None:
        await self.editor.toggle_view()

    # --- the binding editor's data ------------------------------------------

    @work(exclusive=True, group="bot-form-catalog")
    async def load_catalog(self) -> None:
        """The resources (their tools) and their types' scope dimensions, for the editor."""
        client = await self.monstrum.wait_for_client()
        try:
            resources = [r async for r in client.resources.list(limit=MAX_BINDABLE)]
            dimensions: dict[str, tuple[ScopeDimension, ...]] = {}
            async for integration in client.integrations.list():
                type_id = str(integration.resource_type.get("id", integration.name))
                dimensions[type_id] = tuple(integration.scope_dimensions)
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.editor.show_preview(None, f"could not load the resources: {exc.message}")
            return
        except MonstrumError as exc:
            self.editor.show_preview(None, f"could not load the resources: {exc}")
            return
        self.post_message(CatalogLoaded(
            [BindableResource(r, dimensions.get(r.type, ())) for r in resources]
        ))

    @on(CatalogLoaded)
    async def _catalog_loaded(self, message: CatalogLoaded) -> None:
        await self.editor.set_catalog(message.resources)
        self.preview()

    @on(BindingEditor.BindingsChanged)
    @on(Input.Changed, "#field-allowed_operations, #field-name")
    @on(Select.Changed, "#field-status")
    def _draft_changed(self) -> None:
        """Ask for the preview again once typing pauses."""
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self.preview)

    @work(exclusive=True, group="bot-form-preview")
    async def preview(self) -> None:
        """The server's verdicts for the bot as now edited (a dry run; nothing stored)."""
        editor = self.editor
        try:
            bindings = editor.bindings()
        except BindingsProblem as exc:
            editor.show_preview(None, f"the bindings YAML: {exc.message}")
            return
        status = self.query_one("#field-status", Select).value
        client = await self.monstrum.wait_for_client()
        try:
            found = await client.bots.preview_tools(
                resource_bindings=[*bindings],  # as a list of the SDK's element type
                allowed_operations=parse_operations(
                    self.query_one("#field-allowed_operations", Input).value),
                status=status if isinstance(status, str) else "active",
                enforce=self.bot.enforce if self.bot else "enforce",
                bot_id=self.bot.id if self.bot else None,
                name=self.query_one("#field-name", Input).value.strip(),
            )
        except ValidationError as exc:
            problems = "; ".join(f"{f.get('field')}: {f.get('message')}" for f in exc.fields)
            editor.show_preview(None, problems or exc.message)
            return
        except (MonstrumError, pydantic.ValidationError) as exc:
            editor.show_preview(None, str(exc))
            return
        editor.show_preview(found)

    # --- reading the form ---------------------------------------------------

    def form_data(self) -> dict[str, Any]:
        """The request body the form describes; raises FormProblem for local faults."""
        status = self.query_one("#field-status", Select).value
        return {
            "name": self.query_one("#field-name", Input).value.strip(),
            "description": self.query_one("#field-description", Input).value.strip(),
            "model": self.query_one("#field-model", Input).value.strip(),
            "status": status if isinstance(status, str) else "active",
            "allowed_operations": parse_operations(
                self.query_one("#field-allowed_operations", Input).value
            ),
            "resource_bindings": self._edited_bindings(),
        }

    def _edited_bindings(self) -> list[dict[str, Any]]:
        try:
            return self.editor.bindings()
        except BindingsProblem as exc:
            raise FormProblem([{"field": "resource_bindings", "message": exc.message}]) from exc

    def changes(self, data: dict[str, Any]) -> dict[str, Any]:
        """For an edit, only the fields that differ from the bot as loaded."""
        assert self.bot is not None
        before = self.bot.model_dump(mode="json")
        return {k: v for k, v in data.items() if before.get(k) != v}

    # --- errors next to fields ----------------------------------------------

    def clear_errors(self) -> None:
        for label in self.query(".field-error").results(Label):
            label.update("")
            label.remove_class("-shown")
        for row in self.query(".form-row"):
            row.remove_class("-invalid")

    def show_errors(self, message: str, fields: list[dict[str, Any]]) -> None:
        """Put each error under its field; errors for no known field go at the top."""
        self.clear_errors()
        per_field: dict[str, list[str]] = {}
        general: list[str] = []
        for item in fields:
            path = str(item.get("field", ""))
            text = str(item.get("message", "invalid"))
            name = field_of(path)
            if name:
                detail = text if path == name else f"{path[len(name):].lstrip('.')}: {text}"
                per_field.setdefault(name, []).append(detail)
            else:
                general.append(f"{path}: {text}" if path and path != "body" else text)
        if not per_field and not general:
            general.append(message)
        for name, texts in per_field.items():
            label = self.query_one(f"#error-{name}", Label)
            label.update("\n".join(texts))
            label.add_class("-shown")
            self.query_one(f"#row-{name}").add_class("-invalid")
        top = self.query_one("#form-error", Label)
        summary = general or [f"fix the fields marked below ({len(fields)} problem"
                              f"{'s' if len(fields) != 1 else ''})"]
        top.update("\n".join(summary))
        top.add_class("-shown")
        if per_field:
            first = next(n for n, _ in FIELDS if n in per_field)
            if first == "resource_bindings" and not self.editor.yaml_view:
                self.query_one("#binding-resource").focus()
            else:
                self.query_one(f"#field-{first}").focus()
            shown = self.query_one(f"#error-{first}", Label)
            self.call_after_refresh(shown.scroll_visible, animate=False)

    # --- saving -------------------------------------------------------------

    @on(Button.Pressed, "#form-save")
    async def _save_pressed(self) -> None:
        await self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def action_save(self) -> None:
        await self.settle_fields()  # keys typed before ctrl+s are in their fields first
        if self.query_one("#form-save", Button).disabled:
            return  # a save is already on its way
        try:
            data = self.form_data()
        except FormProblem as problem:
            self.show_errors(str(problem), problem.fields)
            return
        self.query_one("#form-save", Button).disabled = True
        self.save(data)

    @work(exclusive=True, group="bot-form")
    async def save(self, data: dict[str, Any]) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            if self.bot is None:
                bot = await client.bots.create(**data)
            else:
                changes = self.changes(data)
                bot = await client.bots.update(self.bot.id, **changes) if changes else self.bot
        except ValidationError as exc:
            self.show_errors(exc.message, exc.fields)
        except pydantic.ValidationError as exc:
            self.show_errors(str(exc), pydantic_fields(exc))
        except MonstrumError as exc:
            self.show_errors(str(exc), [])
        else:
            self.monstrum.data_changed.publish(DataChange("bot", bot.id, bot))
            self.dismiss(bot)
            return
        self.query_one("#form-save", Button).disabled = False
