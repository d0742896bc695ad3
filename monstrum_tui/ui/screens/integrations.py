"""The Integrations screen: installed resource types, the highlighted one's summary, upload."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...client.async_client import AsyncClient
from ...client.models import Integration
from ..cells import cell
from ..data_changes import DataChange
from ..query import QuerySyntax
from ..write_access import refuse
from .list_screen import Column, ListScreen, SortOrder
from .manifest_upload import ManifestUploadScreen

OUTCOME_WORDS = {
    "created": "installed",
    "upgraded": "upgraded",
    "unchanged": "already installed (unchanged)",
}


def type_label(integration: Integration) -> str:
    type_id = str(integration.resource_type.get("id", ""))
    name = str(integration.resource_type.get("name", ""))
    return f"{type_id} ({name})" if name and name != type_id else type_id


COLUMNS: tuple[Column[Integration], ...] = (
    Column("name", "name", 20, lambda i, w: cell(i.name, w)),
    Column("version", "version", 9, lambda i, w: cell(i.version, w)),
    Column("type", "resource type", 24, lambda i, w: cell(type_label(i), w), flex=1),
    Column("tools", "tools", 5, lambda i, w: cell(len(i.tools), w, right=True)),
    Column("builtin", "builtin", 7, lambda i, w: cell("yes" if i.builtin else "", w)),
)


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


class IntegrationsScreen(ListScreen[Integration]):
    """The installed integrations, and uploading a manifest."""

    SCREEN_TITLE = "Integrations"
    CSS_PATH = "resources.tcss"
    LIST_ID = "integrations"
    NOUN = "integration"
    QUERY = QuerySyntax(text_help="name, type, description")
    EMPTY_TEXT = "no integrations: u uploads a manifest"
    WRITE_ACTIONS: ClassVar[dict[str, str]] = {"upload": "resources:write"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "upload", "Upload manifest", id="integrations.upload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last_path = ""

    def compose_extra(self) -> ComposeResult:
        with VerticalScroll(id="integration-detail"):
            yield Static("", id="integration-summary")

    def columns(self) -> Sequence[Column[Integration]]:
        return COLUMNS

    def sort_orders(self) -> Sequence[SortOrder[Integration]]:
        return (SortOrder("name", lambda i: i.name),)

    def key_of(self, item: Integration) -> str:
        return item.name

    def search_fields(self, item: Integration) -> Iterable[str]:
        return (item.name, type_label(item), item.description)

    async def fetch(self, client: AsyncClient) -> AsyncIterator[list[Integration]]:
        yield await client.integrations.list().to_list()

    def on_data_change(self, change: DataChange) -> None:
        if change.kind == "integration" and not self.is_current:
            self.load()

    def render_rows(self, focus: str | None = None) -> None:
        super().render_rows(focus)
        self.show_detail()

    def highlighted(self, item: Integration | None) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        integration = self.current_item()
        self.query_one("#integration-summary", Static).update(
            render_integration(integration) if integration else ""
        )

    # --- actions ------------------------------------------------------------

    def action_upload(self) -> None:
        if refuse(self, "upload", "uploading a manifest"):
            return
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
        self.items[result.name] = result
        self.render_rows(focus=result.name)
        self.monstrum.data_changed.publish(DataChange("integration", result.name, result))
