"""The Audit screen's filters: the query line (chips), and a form that opens to edit them.

The filters in force show as chips (``bot:ops-runner res:Demo shell since:1h``); ``/``
edits them as a line with completion, ``f`` opens the form under it (four compact
lines): both edit the same query. In the form ``enter`` in any one-line field applies
and closes it (``tab`` leaves an open list of matches with the highlighted one),
``esc`` closes it unchanged. A bad custom time is named in red and nothing is applied.
Keys typed ahead land in the field that had the focus when each arrived.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select

from ..audit_query import AUDIT_SYNTAX, STATUSES, TIME_PRESETS, AuditQuery, BadFilter, line_query
from ..query import QueryKey
from ..type_ahead import TYPE_AHEAD_BINDINGS, TypeAheadFields, settle
from .fuzzy_picker import FuzzyPicker
from .query_line import QueryLine
from .typed_fields import FieldInput

ANY = "any"


class AuditFilterBar(TypeAheadFields, Vertical):
    """Holds the ``applied`` query; posts ``Applied`` when the user applies new filters."""

    BINDING_GROUP_TITLE = "Audit filters"
    FIELDS_SELECTOR = "#audit-filter-form Input, #audit-filter-form Select"
    ENTER_SUBMITS = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close filters", id="audit.filter_close"),
        *TYPE_AHEAD_BINDINGS,
    ]

    class Applied(Message):
        def __init__(self, query: AuditQuery) -> None:
            super().__init__()
            self.applied = query

    def __init__(self, query: AuditQuery | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.applied = query or AuditQuery()
        self.bots: list[tuple[str, str]] = []
        self.resources: list[tuple[str, str]] = []
        self.tools: list[str] = []

    def compose(self) -> ComposeResult:
        yield QueryLine(AUDIT_SYNTAX, live=False, values_of=self.values_of, id="audit-query")
        with Vertical(id="audit-filter-form"):
            with Horizontal(classes="filter-row"):
                yield Label("bot", classes="filter-label")
                yield FuzzyPicker(placeholder="name or id", id="filter-bot")
                yield Label("resource", classes="filter-label")
                yield FuzzyPicker(placeholder="name or id", id="filter-resource")
            with Horizontal(classes="filter-row"):
                yield Label("tool", classes="filter-label")
                yield FieldInput(placeholder="tool name", id="filter-tool", compact=True)
                yield Label("status", classes="filter-label")
                yield Select(
                    [(s, s) for s in (ANY, *STATUSES)], value=ANY, allow_blank=False,
                    compact=True, id="filter-status",
                )
                yield Label("task", classes="filter-label")
                yield FieldInput(placeholder="task id", id="filter-task", compact=True)
            with Horizontal(classes="filter-row"):
                yield Label("time", classes="filter-label")
                yield Select(
                    [(p if p in ("all", "custom") else f"last {p}", p) for p in TIME_PRESETS],
                    value="all", allow_blank=False, compact=True, id="filter-time",
                )
                yield Label("from", classes="filter-label")
                yield FieldInput(placeholder="2026-02-01T00:00:00Z", id="filter-start")
                yield Label("to", classes="filter-label")
                yield FieldInput(placeholder="(now)", id="filter-end", compact=True)
            with Horizontal(classes="filter-row"):
                yield Label("text", classes="filter-label")
                yield FieldInput(placeholder="text in params or reason (3+ characters)",
                            id="filter-q", compact=True)
            yield Label("", id="audit-filter-error", classes="field-error", markup=False)
            yield Label("enter: apply · esc: close · ↓↑ pick a match", id="audit-filter-hint")

    def on_mount(self) -> None:
        self.show_summary()

    # --- the chips -------------------------------------------------------------

    @property
    def query_line(self) -> QueryLine:
        return self.query_one("#audit-query", QueryLine)

    def show_summary(self) -> None:
        line, labels = line_query(self.applied)
        self.query_line.set_query(line, labels)

    def set_query(self, query: AuditQuery) -> None:
        """Show an applied query (e.g. one asked for from another screen)."""
        self.applied = query
        self.show_summary()
        if self.is_editing:
            self._load_fields()

    def set_choices(self, bots: list[tuple[str, str]], resources: list[tuple[str, str]],
                    tools: list[str] | None = None) -> None:
        self.bots, self.resources = bots, resources
        self.tools = sorted(set(tools or []))
        self.query_one("#filter-bot", FuzzyPicker).set_choices(bots)
        self.query_one("#filter-resource", FuzzyPicker).set_choices(resources)

    def values_of(self, key: QueryKey) -> list[tuple[str, str]]:
        """Completions for the query line: bots by name, resources by id (named), tools."""
        if key.name == "bot":
            return [(name, name) for _ident, name in self.bots]
        if key.name == "res":
            return [(ident, name) for ident, name in self.resources]
        if key.name == "tool":
            return [(tool, tool) for tool in self.tools]
        return []

    # --- the form --------------------------------------------------------------

    @property
    def is_editing(self) -> bool:
        return self.has_class("-editing")

    def open(self) -> None:
        """Show the form with the applied filters and focus its first field."""
        self._load_fields()
        self.show_error("")
        self.add_class("-editing")
        self.query_one("#filter-bot", FuzzyPicker).input.focus()

    def action_close(self) -> None:
        for picker in self.query(FuzzyPicker):
            if picker.is_open:
                picker.close()
                return
        self.close()

    def _open_picker(self) -> FuzzyPicker | None:
        focused = self.screen.focused
        if focused is None:
            return None
        picker = next((n for n in focused.ancestors_with_self if isinstance(n, FuzzyPicker)),
                      None)
        return picker if picker is not None and picker.is_open else None

    async def action_next_field(self) -> None:
        """Tab: an open list of matches gives its highlighted one, then the next field."""
        picker = self._open_picker()
        if picker is not None:
            await settle([picker.input])
            picker.take_highlighted()
        self.screen.focus_next()

    async def submit_fields(self) -> None:
        """Enter: take the highlighted match of an open list, else apply the form."""
        picker = self._open_picker()
        if picker is not None:
            picker.take_highlighted()
            return
        self.apply()

    def close(self) -> None:
        self.remove_class("-editing")
        self.show_error("")
        self.post_message(self.Closed())

    class Closed(Message):
        """The form was closed (applied or not): focus goes back to the table."""

    def _load_fields(self) -> None:
        q = self.applied
        time_select = self.query_one("#filter-time", Select)
        presets = list(TIME_PRESETS)
        if q.time_preset not in presets:  # a since: from the query line, e.g. 90m
            presets.insert(-1, q.time_preset)
        with self.prevent(Select.Changed):
            time_select.set_options(
                [(p if p in ("all", "custom") else f"last {p}", p) for p in presets])
        self.query_one("#filter-bot", FuzzyPicker).set_value(q.bot_id)
        self.query_one("#filter-resource", FuzzyPicker).set_value(q.resource_id)
        for ident, value in (("#filter-tool", q.tool_name), ("#filter-task", q.task_id),
                             ("#filter-start", q.start), ("#filter-end", q.end),
                             ("#filter-q", q.q)):
            field = self.query_one(ident, Input)
            with field.prevent(Input.Changed):
                field.value = value or ""
        with self.prevent(Select.Changed):
            self.query_one("#filter-status", Select).value = q.status or ANY
            self.query_one("#filter-time", Select).value = q.time_preset

    def _text(self, ident: str) -> str:
        return self.query_one(ident, Input).value.strip()

    def form_query(self) -> AuditQuery:
        """The filters as the form shows them (BadFilter if the range or text is bad)."""
        bot = self.query_one("#filter-bot", FuzzyPicker)
        resource = self.query_one("#filter-resource", FuzzyPicker)
        status = self.query_one("#filter-status", Select).value
        preset = self.query_one("#filter-time", Select).value
        start, end = self._text("#filter-start"), self._text("#filter-end")
        if preset != "custom" and (start or end):
            preset = "custom"
        query = AuditQuery(
            bot_id=bot.value, bot_label=bot.name_of(bot.value),
            resource_id=resource.value, resource_label=resource.name_of(resource.value),
            tool_name=self._text("#filter-tool") or None,
            status=None if status in (ANY, Select.BLANK) else str(status),
            task_id=self._text("#filter-task") or None,
            time_preset=str(preset) if preset != Select.BLANK else "all",
            start=start if preset == "custom" else "",
            end=end if preset == "custom" else "",
            q=self._text("#filter-q") or None,
        )
        return query.checked()

    def show_error(self, message: str) -> None:
        label = self.query_one("#audit-filter-error", Label)
        label.update(message)
        label.set_class(bool(message), "-shown")

    def apply(self) -> bool:
        """Apply the form; False (and the problem shown) if a value is bad."""
        try:
            query = self.form_query()
        except BadFilter as exc:
            self.show_error(str(exc))
            self.query_one(f"#filter-{exc.field}", Input).focus()
            return False
        self.applied = query
        self.show_summary()
        self.close()
        self.post_message(self.Applied(query))
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.screen.focused
        in_form = focused is not None and any(
            n.id == "audit-filter-form" for n in focused.ancestors_with_self)
        if action in ("next_field", "previous_field", "enter_field") and not in_form:
            return False  # the query line and the table keep their own tab and enter
        return super().check_action(action, parameters)

    @on(Input.Submitted, "#audit-filter-form Input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()  # enter is the priority binding's (in order with typing); not twice

    @on(Select.Changed, "#filter-time")
    def _preset_changed(self, event: Select.Changed) -> None:
        if event.value != "custom":
            for ident in ("#filter-start", "#filter-end"):
                field = self.query_one(ident, Input)
                with field.prevent(Input.Changed):
                    field.value = ""

    @on(Input.Changed, "#filter-start, #filter-end")
    def _range_typed(self, event: Input.Changed) -> None:
        if event.value.strip():
            select = self.query_one("#filter-time", Select)
            with self.prevent(Select.Changed):
                select.value = "custom"
