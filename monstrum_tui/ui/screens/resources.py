"""The Resources screen: every resource in a table; filter, and open one's tool browser."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Input, Label

from ...client.errors import APIConnectionError, MonstrumError
from ...client.models import Resource
from ..connection import ConnectionStatus
from ..data_changes import DataChange
from ..widgets.keyed_table import KeyedTable
from ..widgets.table_filter import TableFilter
from .base import MonstrumScreen
from .resource_detail import ToolBrowserScreen

NAME_WIDTH = 22
ID_WIDTH = 24
TYPE_WIDTH = 12

#: (key, label, width): fixed widths keep the layout still while pages arrive (and DataTable
#: keeps rows drawn before it re-measures auto-width columns), and fit 80 columns
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "name", NAME_WIDTH),
    ("id", "id", ID_WIDTH),
    ("type", "type", TYPE_WIDTH),
    ("tools", "tools", 5),
    ("bots", "bots", 4),
)


class ResourcesLoaded(Message):
    """A page of resources arrived; ``first`` replaces what was shown."""

    def __init__(self, resources: list[Resource], *, first: bool, complete: bool) -> None:
        super().__init__()
        self.resources = resources
        self.first = first
        self.complete = complete


class ResourcesLoadFailed(Message):
    """Loading stopped; ``error`` says why."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def resource_cells(resource: Resource) -> tuple[Any, ...]:
    """One table row: name, id, type, tools count, bound bots count."""
    # plain strings, escaped: DataTable reads strings as markup, and it truncates a Text
    # cell in place when drawn narrow, so a Text would stay cut after the columns widen
    return (
        escape(clip(resource.name, NAME_WIDTH)),
        escape(clip(resource.id, ID_WIDTH)),
        escape(clip(resource.type, TYPE_WIDTH)),
        Text(str(len(resource.tools)), justify="right"),  # never wider than its header
        Text(str(len(resource.bound_bots)), justify="right"),
    )


def resource_matches(resource: Resource, needle: str) -> bool:
    """Whether the filter text (case-insensitive) is in the name, id or type."""
    if not needle:
        return True
    needle = needle.lower()
    fields = (resource.name, resource.id, resource.type, resource.type_name or "")
    return any(needle in field.lower() for field in fields)


class ResourcesScreen(MonstrumScreen):
    """The list of resources (configured instances of integrations)."""

    SCREEN_TITLE = "Resources"
    CSS_PATH = "resources.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="resources.filter", key_display="/"),
        Binding("enter", "open_resource", "Tools", id="resources.open"),
        Binding("i", "integrations", "Integrations", id="resources.integrations"),
        Binding("y", "copy_resource_id", "Copy id", id="resources.copy_id", show=False),
        Binding("ctrl+r", "reload", "Reload", id="resources.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.resources: dict[str, Resource] = {}
        self.is_loading = True
        self.load_error = ""

    def compose_body(self) -> ComposeResult:
        yield TableFilter(placeholder="filter: name, id, type…", id="resources-filter")
        yield Label("", id="resources-status", classes="list-status", markup=False)
        table = KeyedTable(
            id="resources-table", cursor_type="row", zebra_stripes=True
        )
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.focus()
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        self.watch(self.app, "connection", self.on_connection, init=False)
        self.show_status()
        self.load_resources()

    # --- loading ------------------------------------------------------------

    @work(exclusive=True, group="resources-load")
    async def load_resources(self) -> None:
        """Fetch every resource, a page at a time, posting each page as it arrives."""
        self.is_loading = True
        self.show_status()
        client = await self.monstrum.wait_for_client()
        first = True
        try:
            async for page in client.resources.list().pages():
                complete = not page.next_cursor or not page.data
                self.post_message(ResourcesLoaded(page.data, first=first, complete=complete))
                first = False
            if first:
                self.post_message(ResourcesLoaded([], first=True, complete=True))
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(ResourcesLoadFailed(exc.message))
        except MonstrumError as exc:
            self.post_message(ResourcesLoadFailed(str(exc)))

    @on(ResourcesLoaded)
    def _loaded(self, message: ResourcesLoaded) -> None:
        if message.first:
            self.resources = {}
        for resource in message.resources:
            self.resources[resource.id] = resource
        self.load_error = ""
        self.is_loading = not message.complete
        self.render_table()
        self.show_status()

    @on(ResourcesLoadFailed)
    def _load_failed(self, message: ResourcesLoadFailed) -> None:
        self.is_loading = False
        self.load_error = message.error
        self.show_status()

    def on_connection(self, status: ConnectionStatus) -> None:
        self.show_status()
        if status.usable and (self.load_error or self.is_loading) and not self.loading_now():
            self.load_resources()

    def loading_now(self) -> bool:
        return any(
            w.node is self and w.group == "resources-load" and w.is_running for w in self.workers
        )

    def on_data_change(self, change: DataChange) -> None:
        # bindings live on bots, and a type's tools on its integration: either changes the counts
        if change.kind in ("bot", "resource", "integration"):
            self.load_resources()

    # --- the table ----------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self.query_one(TableFilter).value.strip()

    def visible_resources(self) -> list[Resource]:
        needle = self.filter_text
        shown = [r for r in self.resources.values() if resource_matches(r, needle)]
        shown.sort(key=lambda r: (r.name.lower(), r.id))
        return shown

    def render_table(self) -> None:
        """Redraw the visible rows, keeping the cursor on the same resource."""
        self.query_one(KeyedTable).refill(
            (r.id, resource_cells(r)) for r in self.visible_resources()
        )

    def cursor_resource_id(self) -> str | None:
        return self.query_one(KeyedTable).cursor_key()

    def current_resource(self) -> Resource | None:
        resource_id = self.cursor_resource_id()
        return self.resources.get(resource_id) if resource_id else None

    def show_status(self) -> None:
        total = len(self.resources)
        shown = self.query_one(DataTable).row_count
        parts = [f"{total} resource{'s' if total != 1 else ''}"]
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}': {shown} shown")
        if self.load_error:
            parts.append(f"load failed: {self.load_error}")
        elif self.is_loading:
            parts.append("loading…" if self.monstrum.connection.usable else
                         "waiting for the platform…")
        else:
            parts.append("enter: tools · i: integrations")
        label = self.query_one("#resources-status", Label)
        label.update(" · ".join(parts))
        label.set_class(bool(self.load_error), "-error")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_resource", "copy_resource_id") and self.current_resource() is None:
            return None
        return True

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open_resource()

    # --- actions ------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(TableFilter).open()

    @on(Input.Changed, "#resources-filter")
    def _filter_changed(self) -> None:
        self.render_table()
        self.show_status()

    @on(Input.Submitted, "#resources-filter")
    def _filter_submitted(self) -> None:
        self.query_one(TableFilter).submitted()

    def action_reload(self) -> None:
        self.load_resources()

    def action_open_resource(self) -> None:
        resource = self.current_resource()
        if resource is not None:
            self.app.push_screen(ToolBrowserScreen(resource))

    def action_integrations(self) -> None:
        self.monstrum.go("integrations")

    def action_copy_resource_id(self) -> None:
        resource = self.current_resource()
        if resource is not None:
            self.app.copy_to_clipboard(resource.id)
            self.notify(f"copied {resource.id}", timeout=2)
