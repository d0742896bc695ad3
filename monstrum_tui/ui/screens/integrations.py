"""The Integrations screen: installed resource types, the highlighted one's summary, upload."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from ...client.errors import APIConnectionError, MonstrumError
from ...client.models import Integration
from ..connection import ConnectionStatus
from ..data_changes import DataChange
from ..widgets.keyed_table import KeyedTable
from ..widgets.table_filter import TableFilter
from .base import MonstrumScreen
from .manifest_upload import ManifestUploadScreen

#: (key, label, width): fixed widths, as on the Resources screen; they fit 80 columns
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "name", 20),
    ("version", "version", 9),
    ("type", "resource type", 24),
    ("tools", "tools", 5),
    ("builtin", "builtin", 7),
)

OUTCOME_WORDS = {
    "created": "installed",
    "upgraded": "upgraded",
    "unchanged": "already installed (unchanged)",
}


class IntegrationsLoaded(Message):
    """Every installed integration (there are few: one per resource type)."""

    def __init__(self, integrations: list[Integration], focus: str | None = None) -> None:
        super().__init__()
        self.integrations = integrations
        self.focus = focus


class IntegrationsLoadFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def type_label(integration: Integration) -> str:
    type_id = str(integration.resource_type.get("id", ""))
    name = str(integration.resource_type.get("name", ""))
    return f"{type_id} ({name})" if name and name != type_id else type_id


def integration_cells(integration: Integration) -> tuple[Any, ...]:
    # escaped strings, not Text: DataTable truncates a Text cell in place when drawn narrow
    return (
        escape(clip(integration.name, 20)),
        escape(clip(integration.version, 9)),
        escape(clip(type_label(integration), 24)),
        Text(str(len(integration.tools)), justify="right"),
        "yes" if integration.builtin else "",
    )


def integration_matches(integration: Integration, needle: str) -> bool:
    if not needle:
        return True
    needle = needle.lower()
    fields = (integration.name, type_label(integration), integration.description)
    return any(needle in field.lower() for field in fields)


def _schema_fields(fields: list[dict[str, Any]]) -> str:
    out = []
    for spec in fields:
        name = str(spec.get("field", "?"))
        out.append(f"{name}{'*' if spec.get('required') else ''}")
    return ", ".join(out) or "(none)"


def _row(grid: Table, label: str, value: RenderableType) -> None:
    grid.add_row(Text(label), Text(value) if isinstance(value, str) else value)


def render_integration(integration: Integration) -> RenderableType:
    """A summary: description, tools with operations, dimensions, config and credential fields."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    if integration.description:
        _row(facts, "about", integration.description)
    tools = ", ".join(f"{t.name} ({t.operation})" for t in integration.tools)
    _row(facts, "tools", tools or Text("(none)", style="dim"))
    dims = ", ".join(
        f"{d.key} ← {', '.join(d.param_paths)} [{d.match_mode}]"
        for d in integration.scope_dimensions
    )
    _row(facts, "scope", dims or Text("(none)", style="dim"))
    _row(facts, "config", _schema_fields(integration.config_schema))
    _row(facts, "credentials", _schema_fields(integration.credential_schema))
    head = Text(f"{integration.name} {integration.version}", style="bold")
    return Group(head, facts)


class IntegrationsScreen(MonstrumScreen):
    """The installed integrations, and uploading a manifest."""

    SCREEN_TITLE = "Integrations"
    CSS_PATH = "resources.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="integrations.filter", key_display="/"),
        Binding("u", "upload", "Upload manifest", id="integrations.upload"),
        Binding("ctrl+r", "reload", "Reload", id="integrations.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.integrations: dict[str, Integration] = {}
        self.is_loading = True
        self.load_error = ""
        self.last_path = ""

    def compose_body(self) -> ComposeResult:
        yield TableFilter(placeholder="filter: name, type, description…",
                          id="integrations-filter")
        yield Label("", id="integrations-status", classes="list-status", markup=False)
        table = KeyedTable(
            id="integrations-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        with VerticalScroll(id="integration-detail"):
            yield Static("", id="integration-summary")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.focus()
        self.watch(self.app, "connection", self.on_connection, init=False)
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        self.show_status()
        self.load_integrations()

    @work(exclusive=True, group="integrations-load")
    async def load_integrations(self, focus: str | None = None) -> None:
        self.is_loading = True
        self.show_status()
        client = await self.monstrum.wait_for_client()
        try:
            items = await client.integrations.list().to_list()
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(IntegrationsLoadFailed(exc.message))
            return
        except MonstrumError as exc:
            self.post_message(IntegrationsLoadFailed(str(exc)))
            return
        self.post_message(IntegrationsLoaded(items, focus))

    @on(IntegrationsLoaded)
    def _loaded(self, message: IntegrationsLoaded) -> None:
        self.integrations = {i.name: i for i in message.integrations}
        self.is_loading = False
        self.load_error = ""
        self.render_table(focus=message.focus)
        self.show_status()

    @on(IntegrationsLoadFailed)
    def _load_failed(self, message: IntegrationsLoadFailed) -> None:
        self.is_loading = False
        self.load_error = message.error
        self.show_status()

    def on_connection(self, status: ConnectionStatus) -> None:
        self.show_status()
        if status.usable and (self.load_error or self.is_loading) and not self.loading_now():
            self.load_integrations()

    def loading_now(self) -> bool:
        return any(
            w.node is self and w.group == "integrations-load" and w.is_running
            for w in self.workers
        )

    def on_data_change(self, change: DataChange) -> None:
        if change.kind == "integration" and not self.is_current:
            self.load_integrations()

    # --- the table ----------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self.query_one(TableFilter).value.strip()

    def render_table(self, focus: str | None = None) -> None:
        needle = self.filter_text
        self.query_one(KeyedTable).refill(
            (
                (integration.name, integration_cells(integration))
                for integration in sorted(self.integrations.values(), key=lambda i: i.name)
                if integration_matches(integration, needle)
            ),
            focus=focus,
        )
        self.show_detail()

    def cursor_name(self) -> str | None:
        return self.query_one(KeyedTable).cursor_key()

    def current_integration(self) -> Integration | None:
        name = self.cursor_name()
        return self.integrations.get(name) if name else None

    def show_detail(self) -> None:
        integration = self.current_integration()
        self.query_one("#integration-summary", Static).update(
            render_integration(integration) if integration else ""
        )

    def show_status(self) -> None:
        total = len(self.integrations)
        parts = [f"{total} integration{'s' if total != 1 else ''}"]
        if self.filter_text:
            shown = self.query_one(DataTable).row_count
            parts.append(f"filter '{self.filter_text}': {shown} shown")
        if self.load_error:
            parts.append(f"load failed: {self.load_error}")
        elif self.is_loading:
            parts.append("loading…" if self.monstrum.connection.usable else
                         "waiting for the platform…")
        label = self.query_one("#integrations-status", Label)
        label.update(" · ".join(parts))
        label.set_class(bool(self.load_error), "-error")
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.show_detail()

    # --- actions ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "upload" and self.monstrum.connection.read_only:
            return None
        return True

    def action_filter(self) -> None:
        self.query_one(TableFilter).open()

    @on(Input.Changed, "#integrations-filter")
    def _filter_changed(self) -> None:
        self.render_table()
        self.show_status()

    @on(Input.Submitted, "#integrations-filter")
    def _filter_submitted(self) -> None:
        self.query_one(TableFilter).submitted()

    def action_reload(self) -> None:
        self.load_integrations()

    def action_upload(self) -> None:
        dialog = ManifestUploadScreen(self.last_path)

        def finished(result: object) -> None:
            self.last_path = dialog.last_path
            self._uploaded(result)

        self.app.push_screen(dialog, finished)

    def _uploaded(self, result: object) -> None:
        if not isinstance(result, Integration):
            return
        words = OUTCOME_WORDS.get(result.outcome or "created", "installed")
        self.notify(f"{result.name} {result.version}: {words}", timeout=5)
        self.integrations[result.name] = result
        self.render_table(focus=result.name)
        self.show_status()
        self.monstrum.data_changed.publish(DataChange("integration", result.name, result))
