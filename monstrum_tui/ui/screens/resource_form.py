"""Create or edit a resource with a form generated from its integration's schemas.

New: pick an installed type, name the resource, then fill the fields its integration's
``config_schema`` and ``credential_schema`` declare (``widgets/schema_form``). Edit: the
same form, config filled in, credentials shown only as set / not set with "Replace". The
server checks everything; its 422 is shown under each field it names.

Credential values stay in the form's inputs: they are read once into the request body
inside the save worker, and the inputs are emptied as soon as the server has answered
with the saved resource, so nothing holds them after the form closes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select

from ...client.errors import APIConnectionError, MonstrumError, ValidationError
from ...client.models import Integration, Resource
from ..data_changes import DataChange
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields
from ..widgets.schema_form import SchemaFields, form_fields
from ..widgets.typed_fields import FieldInput
from .base import MonstrumModal
from .bot_form import FormProblem


class IntegrationsLoaded(Message):
    """The installed integrations (whose types a resource can have)."""

    def __init__(self, integrations: list[Integration]) -> None:
        super().__init__()
        self.integrations = integrations


def type_of(integration: Integration) -> str:
    return str(integration.resource_type.get("id", integration.name))


class ResourceFormScreen(TypeAheadFields, MonstrumModal):
    """New resource (``resource=None``) or edit ``resource``; dismisses with the saved one."""

    CSS_PATH = "dialogs.tcss"
    FIELDS_SELECTOR = "Input, Select, Checkbox"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="resource_form.save"),
        Binding("escape", "cancel", "Cancel", id="resource_form.cancel"),
        *TYPE_AHEAD_BINDINGS,
    ]

    def __init__(self, resource: Resource | None = None) -> None:
        super().__init__()
        self.resource = resource
        self.integrations: dict[str, Integration] = {}
        self.chosen: Integration | None = None

    def compose_dialog(self) -> ComposeResult:
        resource = self.resource
        title = f"Edit resource {resource.name}" if resource else "New resource"
        with Vertical(id="form-dialog", classes="dialog resource-form"):
            yield Label(title, id="form-title", markup=False)
            yield Label("", id="form-error", classes="field-error", markup=False)
            with VerticalScroll(id="form-fields"):
                with Horizontal(classes="form-row", id="row-type"):
                    yield Label("Type *", classes="form-label")
                    with Vertical(classes="form-input"):
                        if resource is None:
                            yield Select([], id="field-type", compact=True,
                                         prompt="loading the installed types…")
                        else:
                            yield Label(resource.type, id="field-type-fixed", markup=False)
                        yield Label("", id="type-hint", classes="field-hint", markup=False)
                        yield Label("", id="error-type", classes="field-error", markup=False)
                with Horizontal(classes="form-row", id="row-name"):
                    yield Label("Name *", classes="form-label")
                    with Vertical(classes="form-input"):
                        yield FieldInput(resource.name if resource else "", id="field-name",
                                         placeholder="Jira prod")
                        yield Label("", id="error-name", classes="field-error", markup=False)
                yield Label("Config", classes="form-section")
                yield Vertical(id="config-section")
                yield Label("Credentials (write-only)", classes="form-section")
                yield Vertical(id="credentials-section")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="form-save", compact=True)
                yield Button("Cancel (esc)", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#form-save", Button).disabled = True  # until the type's form is in
        if self.resource is None:
            self.query_one("#field-type", Select).focus()
        else:
            self.query_one("#field-name", Input).focus()
        self.load_integrations()

    # --- the type and its fields ------------------------------------------------

    @work(exclusive=True, group="resource-form-load")
    async def load_integrations(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            found = [i async for i in client.integrations.list()]
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.show_errors(f"could not load the installed types: {exc.message}", [])
            return
        except MonstrumError as exc:
            self.show_errors(f"could not load the installed types: {exc}", [])
            return
        self.post_message(IntegrationsLoaded(found))

    @on(IntegrationsLoaded)
    async def _loaded(self, message: IntegrationsLoaded) -> None:
        self.integrations = {type_of(i): i for i in message.integrations}
        if self.resource is not None:
            integration = self.integrations.get(self.resource.type)
            if integration is None:
                self.show_errors(f"the type {self.resource.type} is no longer installed", [])
                return
            await self.show_type(integration)
            return
        select = self.query_one("#field-type", Select)
        options = [(f"{i.resource_type.get('name', t)} ({t})", t)
                   for t, i in sorted(self.integrations.items())]
        select.set_options(options)
        select.prompt = "choose a type" if options else "no integrations installed"

    @on(Select.Changed, "#field-type")
    async def _type_chosen(self, event: Select.Changed) -> None:
        integration = self.integrations.get(str(event.value))
        if integration is not None and integration is not self.chosen:
            await self.show_type(integration)

    async def show_type(self, integration: Integration) -> None:
        """Replace the config and credential fields with those of ``integration``'s type."""
        self.chosen = integration
        resource = self.resource
        hint = integration.description or integration.name
        self.query_one("#type-hint", Label).update(f"{hint} · {integration.name} "
                                                   f"{integration.version}")
        for section, schema in (("config", integration.config_schema),
                                ("credentials", integration.credential_schema)):
            holder = self.query_one(f"#{section}-section", Vertical)
            await holder.remove_children()
            fields = SchemaFields(
                section,  # type: ignore[arg-type]
                form_fields(schema),
                current=resource.config if resource and section == "config" else None,
                set_fields=frozenset(resource.credentials_set if resource else ()),
            )
            await holder.mount(fields)
        self.query_one("#form-save", Button).disabled = False

    def sections(self) -> list[SchemaFields]:
        return list(self.query(SchemaFields).results(SchemaFields))

    def section(self, name: str) -> SchemaFields | None:
        return next((s for s in self.sections() if s.section == name), None)

    # --- the request ----------------------------------------------------------

    def request(self) -> dict[str, Any]:
        """What to send: create's arguments, or an edit's changes; FormProblem if a field
        holds what is not a value of its type."""
        problems: list[dict[str, str]] = []
        name = self.query_one("#field-name", Input).value.strip()
        body: dict[str, Any] = {}
        if self.resource is None:
            if self.chosen is None:
                problems.append({"field": "type", "message": "choose the resource's type"})
            else:
                body["type"] = type_of(self.chosen)
        for fields in self.sections():
            values, bad = fields.values()
            problems += [{"field": f"{fields.section}.{k}", "message": v} for k, v in bad.items()]
            if self.resource is None:
                body[fields.section] = {k: v for k, v in values.items() if v is not None}
            else:
                changed = fields.changed(values) if fields.section == "config" else values
                if changed:
                    body[fields.section] = changed
        if problems:
            raise FormProblem(problems)
        if self.resource is None or name != self.resource.name:
            body["name"] = name
        return body

    # --- errors -----------------------------------------------------------------

    def clear_errors(self) -> None:
        for label in self.query("#form-error, #error-name, #error-type").results(Label):
            label.update("")
            label.remove_class("-shown")
        for row in self.query("#row-name, #row-type"):
            row.remove_class("-invalid")
        for fields in self.sections():
            fields.clear_errors()

    def show_errors(self, message: str, items: list[dict[str, Any]]) -> None:
        """Each error under its field (``config.api_base``, ``name``...), the rest on top."""
        self.clear_errors()
        general: list[str] = []
        first: tuple[str, str] | None = None
        for item in items:
            path = str(item.get("field", ""))
            text = str(item.get("message", "invalid"))
            head, _, rest = path.partition(".")
            fields = self.section(head) if rest else None
            if fields is not None and fields.show_error(rest, text):
                first = first or (head, rest)
            elif path in ("name", "type"):
                label = self.query_one(f"#error-{path}", Label)
                label.update(text)
                label.add_class("-shown")
                self.query_one(f"#row-{path}").add_class("-invalid")
                first = first or (path, "")
            else:
                general.append(f"{path}: {text}" if path and path != "body" else text)
        if not items:
            general.append(message)
        top = self.query_one("#form-error", Label)
        shown = len(items) - len(general)
        top.update("\n".join(general or [f"fix the fields marked below ({shown} problem"
                                          f"{'s' if shown != 1 else ''})"]))
        top.add_class("-shown")
        if first is not None:
            head, rest = first
            section = self.section(head) if rest else None
            if section is not None:
                section.focus_field(rest)
            elif head == "name":
                self.query_one("#field-name").focus()

    # --- saving -----------------------------------------------------------------

    @on(Button.Pressed, "#form-save")
    async def _save_pressed(self) -> None:
        await self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.forget_secrets()
        self.dismiss(None)

    def forget_secrets(self) -> None:
        for fields in self.sections():
            fields.forget_secrets()

    async def action_save(self) -> None:
        await self.settle_fields()
        save = self.query_one("#form-save", Button)
        if save.disabled:
            return  # not ready, or a save is on its way
        try:
            self.request()
        except FormProblem as problem:
            self.show_errors(str(problem), problem.fields)
            return
        save.disabled = True
        self.save()

    @work(exclusive=True, group="resource-form")
    async def save(self) -> None:
        """Send the form; the body (credentials in it) lives only in this call."""
        client = await self.monstrum.wait_for_client()
        try:
            body = self.request()
            if self.resource is None:
                saved = await client.resources.create(**body)
            elif body:
                saved = await client.resources.update(self.resource.id, **body)
            else:
                saved = self.resource
        except FormProblem as problem:
            self.show_errors(str(problem), problem.fields)
        except ValidationError as exc:
            self.show_errors(exc.message, exc.fields)
        except MonstrumError as exc:
            self.show_errors(str(exc), [])
        else:
            del body
            self.forget_secrets()
            self.monstrum.data_changed.publish(DataChange("resource", saved.id, saved))
            self.dismiss(saved)
            return
        self.query_one("#form-save", Button).disabled = False
