"""Create or edit a bot; the server's validation errors appear next to the fields.

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
from textual.widgets import Button, Input, Label, Select, TextArea

from ...client.errors import MonstrumError, ValidationError
from ...client.models import Bot
from ..data_changes import DataChange
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields
from ..widgets.typed_fields import FieldInput, FieldTextArea
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

BINDINGS_HINT = (
    "# one item per resource, in YAML:\n"
    "# - resource_id: res_jira\n"
    "#   allowed_tools: [jira_search]\n"
    "#   scope_constraints: {projects: [OPS]}\n"
)


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


def parse_bindings(text: str) -> list[dict[str, Any]]:
    """The bindings text (YAML list) as request data; raises FormProblem naming the fault."""
    if not text.strip():
        return []
    import yaml  # only when a form is used: it is ~6 MB the Bots list does not need

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise FormProblem(
            [{"field": "resource_bindings", "message": f"not valid YAML{where}"}]
        ) from exc
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FormProblem(
            [{"field": "resource_bindings", "message": "expected a list of mappings (- key: ...)"}]
        )
    return data


def bindings_text(bot: Bot | None) -> str:
    if bot is None or not bot.resource_bindings:
        return ""
    import yaml

    data = [b.model_dump(mode="json") for b in bot.resource_bindings]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


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
        *TYPE_AHEAD_BINDINGS,
    ]

    def __init__(self, bot: Bot | None = None) -> None:
        super().__init__()
        self.bot = bot

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
                # tab leaves the field like any other (type indentation with spaces), and
                # esc cancels the form from here too
                area = FieldTextArea(bindings_text(bot), id="field-resource_bindings",
                                compact=True, show_line_numbers=False, tab_behavior="focus")
                area.border_subtitle = "YAML"
                yield from self._row("resource_bindings", area)
                yield Label(BINDINGS_HINT.rstrip(), id="bindings-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="form-save", compact=True)
                yield Button("Cancel (esc)", id="form-cancel", compact=True)

    def _row(self, name: str, widget: Any) -> ComposeResult:
        label = dict(FIELDS)[name]
        with Horizontal(classes="form-row", id=f"row-{name}"):
            yield Label(label, classes="form-label")
            with Vertical(classes="form-input"):
                yield widget
                yield Label("", id=f"error-{name}", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()

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
            "resource_bindings": parse_bindings(
                self.query_one("#field-resource_bindings", TextArea).text
            ),
        }

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
            self.query_one(f"#field-{first}").focus()

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
