"""Form fields generated from a resource type's ``config_schema`` or ``credential_schema``.

Each declared field becomes one row: its name (``*`` when required), an input that fits
its type (text, URL, masked secret, integer, number, true/false, one of a list, a list of
text), the description with the default, and a line for the server's error on it. A new
integration's fields appear with no code here: the schema is the whole description.

Secrets are masked while typed (``Input(password=True)``) and never shown back: a field
already set shows "set" and a "Replace" button that opens an empty masked input. Their
values leave the widget only through ``values()``, for the request, and ``forget_secrets``
empties the inputs once it has been sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select

from .schema_view import shown_value
from .typed_fields import FieldInput

Section = Literal["config", "credentials"]

#: what a value of each declared type looks like, for the hint under the field
TYPE_HINTS: dict[str, str] = {
    "string": "text",
    "secret": "secret: masked, never shown back",
    "url": "an http(s) URL",
    "integer": "an integer",
    "number": "a number",
    "boolean": "on or off",
    "list": "values separated by commas",
    "enum": "one of the listed values",
}


@dataclass(frozen=True)
class FormField:
    """One field as the integration declares it (unknown types are taken as text)."""

    name: str
    type: str = "string"
    required: bool = False
    default: Any = None
    description: str = ""
    enum: tuple[str, ...] = ()

    @classmethod
    def from_schema(cls, spec: dict[str, Any]) -> FormField:
        enum = spec.get("enum")
        return cls(
            name=str(spec.get("field", "")),
            type=str(spec.get("type") or "string"),
            required=bool(spec.get("required")),
            default=spec.get("default"),
            description=str(spec.get("description") or ""),
            enum=tuple(str(v) for v in enum) if isinstance(enum, list) else (),
        )

    @property
    def hint(self) -> str:
        parts = [TYPE_HINTS.get(self.type, "text")]
        if self.default is not None:
            parts.append(f"default {shown_value(self.default)}")
        if self.description:
            parts.append(self.description)
        return " · ".join(parts)


def form_fields(schema: list[dict[str, Any]]) -> list[FormField]:
    return [FormField.from_schema(s) for s in schema if isinstance(s, dict) and s.get("field")]


def shown_text(field: FormField, value: Any) -> str:
    """A stored config value as the text its input starts with."""
    if value is None:
        return ""
    if field.type == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_text(field: FormField, text: str) -> Any:
    """The typed text as the JSON value the field takes; ValueError names what is wrong."""
    text = text.strip()
    if field.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"must be an integer, not {text!r}") from None
    if field.type == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"must be a number, not {text!r}") from None
        return int(number) if number.is_integer() and "." not in text else number
    if field.type == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


class SchemaFields(Vertical):
    """The rows of one section (``config`` or ``credentials``) of a resource's form.

    ``current`` holds the stored config values (shown to edit); ``set_fields`` names the
    credentials already stored (shown as "set", never their values).
    """

    DEFAULT_CLASSES = "schema-fields"

    def __init__(
        self,
        section: Section,
        fields: list[FormField],
        *,
        current: dict[str, Any] | None = None,
        set_fields: frozenset[str] = frozenset(),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.section: Section = section
        self.fields = fields
        self.current = dict(current or {})
        self.set_fields = set_fields

    def dom_id(self, kind: str, name: str) -> str:
        return f"{kind}-{self.section}-{name}"

    def compose(self) -> ComposeResult:
        if not self.fields:
            yield Label("none declared", classes="schema-empty")
        for spec in self.fields:
            with Horizontal(classes="form-row", id=self.dom_id("row", spec.name)):
                mark = " *" if spec.required else ""
                yield Label(f"{spec.name}{mark}", classes="form-label", markup=False)
                with Vertical(classes="form-input"):
                    yield from self._input(spec)
                    yield Label(spec.hint, classes="field-hint", markup=False)
                    yield Label("", id=self.dom_id("error", spec.name), classes="field-error",
                                markup=False)

    def _input(self, spec: FormField) -> ComposeResult:
        ident = self.dom_id("field", spec.name)
        value = self.current.get(spec.name, spec.default)
        if spec.type == "secret" or self.section == "credentials":
            stored = spec.name in self.set_fields
            if stored:
                with Horizontal(classes="secret-state"):
                    yield Label("set", classes="secret-set", id=self.dom_id("state", spec.name))
                    yield Button("Replace", id=self.dom_id("replace", spec.name), compact=True,
                                 classes="secret-replace")
            placeholder = "required" if spec.required else "not set"
            field = FieldInput("", id=ident, password=spec.type == "secret",
                               placeholder="new value" if stored else placeholder)
            field.display = not stored
            yield field
        elif spec.type == "boolean":
            yield Checkbox("on", value=bool(value), id=ident, compact=True)
        elif spec.type == "enum":
            options = [(v, v) for v in spec.enum]
            start = value if isinstance(value, str) and value in spec.enum else Select.NULL
            yield Select(options, value=start, id=ident, compact=True,
                         allow_blank=not (spec.required and start is not Select.NULL),
                         prompt="(none)" if not spec.required else "choose one")
        else:
            kind: Literal["integer", "number", "text"] = (
                spec.type if spec.type in ("integer", "number") else "text"  # type: ignore[assignment]
            )
            placeholder = "https://…" if spec.type == "url" else ""
            yield FieldInput(shown_text(spec, value), id=ident, type=kind,
                             placeholder=placeholder)

    @on(Button.Pressed, ".secret-replace")
    def _replace(self, event: Button.Pressed) -> None:
        event.stop()
        name = str(event.button.id).removeprefix(f"replace-{self.section}-")
        field = self.query_one(f"#{self.dom_id('field', name)}", Input)
        field.display = True
        field.focus()
        event.button.display = False
        self.query_one(f"#{self.dom_id('state', name)}", Label).update(
            "set · type the new value (empty keeps the old one)"
        )

    # --- reading ------------------------------------------------------------

    def _widget(self, name: str) -> Widget:
        return self.query_one(f"#{self.dom_id('field', name)}")

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The section's part of the request, and the fields whose text is not a value.

        New values only: an empty input is left out (the server fills defaults and names
        what is required); an edited config field emptied is sent as None (removed); a
        stored secret not replaced is not sent.
        """
        out: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for spec in self.fields:
            widget = self._widget(spec.name)
            if isinstance(widget, Checkbox):
                out[spec.name] = widget.value
            elif isinstance(widget, Select):
                choice = widget.value
                if isinstance(choice, str):
                    out[spec.name] = choice
                elif spec.name in self.current:
                    out[spec.name] = None
            elif isinstance(widget, Input):
                if not widget.display:
                    continue
                if not widget.value.strip():
                    if spec.name in self.current and self.section == "config":
                        out[spec.name] = None
                    continue
                try:
                    out[spec.name] = parse_text(spec, widget.value)
                except ValueError as exc:
                    problems[spec.name] = str(exc)
        return out, problems

    def changed(self, values: dict[str, Any]) -> dict[str, Any]:
        """Of ``values``, those that differ from what is stored."""
        return {k: v for k, v in values.items() if self.current.get(k) != v}

    def forget_secrets(self) -> None:
        """Empty every credential input: the values have gone in the request."""
        if self.section != "credentials":
            return
        for field in self.query(Input).results(Input):
            field.value = ""

    # --- errors -------------------------------------------------------------

    def clear_errors(self) -> None:
        for label in self.query(".field-error").results(Label):
            label.update("")
            label.remove_class("-shown")
        for row in self.query(".form-row"):
            row.remove_class("-invalid")

    def show_error(self, name: str, message: str) -> bool:
        """Put ``message`` under field ``name``; False if the section has no such field."""
        if name not in {f.name for f in self.fields}:
            return False
        label = self.query_one(f"#{self.dom_id('error', name)}", Label)
        text = f"{label.content}\n{message}" if str(label.content) else message
        label.update(text)
        label.add_class("-shown")
        self.query_one(f"#{self.dom_id('row', name)}").add_class("-invalid")
        return True

    def focus_field(self, name: str) -> None:
        widget = self._widget(name)
        if not widget.display:
            replace = self.query(f"#{self.dom_id('replace', name)}")
            if replace:
                replace.first().focus()
                return
        widget.focus()
