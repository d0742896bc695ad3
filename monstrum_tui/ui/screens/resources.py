"""The Resources screen: every resource in a table; filter, and open one's tool browser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from ...client.async_client import AsyncClient
from ...client.models import Resource
from ..cells import cell
from ..messages import ShowAuditRequested
from ..query import QueryKey, QuerySyntax
from ..write_access import refuse
from .list_screen import Column, ListScreen, SortOrder
from .resource_detail import ToolBrowserScreen
from .resource_form import ResourceFormScreen

COLUMNS: tuple[Column[Resource], ...] = (
    Column("name", "name", 22, lambda r, w: cell(r.name, w), flex=1),
    Column("id", "id", 24, lambda r, w: cell(r.id, w)),
    Column("type", "type", 12, lambda r, w: cell(r.type, w)),
    Column("tools", "tools", 5, lambda r, w: cell(len(r.tools), w, right=True)),
    Column("bots", "bots", 4, lambda r, w: cell(len(r.bound_bots), w, right=True)),
)

RESOURCE_QUERY = QuerySyntax(
    keys=(QueryKey("type", "the resource type (an integration)"),),
    text_help="name, id, type",
)


class ResourcesScreen(ListScreen[Resource]):
    """The list of resources (configured instances of integrations)."""

    SCREEN_TITLE = "Resources"
    CSS_PATH = "resources.tcss"
    LIST_ID = "resources"
    NOUN = "resource"
    QUERY = RESOURCE_QUERY
    EMPTY_TEXT = "no resources yet: n creates one"
    WRITE_ACTIONS: ClassVar[dict[str, str]] = {
        "create_resource": "resources:write", "edit_resource": "resources:write",
    }
    # bindings live on bots, and a type's tools on its integration: either changes the counts
    RELOAD_ON = frozenset({"bot", "resource", "integration"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_resource", "Tools", id="resources.open"),
        Binding("n", "create_resource", "New", id="resources.create"),
        Binding("e", "edit_resource", "Edit", id="resources.edit"),
        Binding("i", "integrations", "Integrations", id="resources.integrations"),
        Binding("A", "resource_audit", "Audit", id="resources.audit", show=False),
    ]

    def columns(self) -> Sequence[Column[Resource]]:
        return COLUMNS

    def sort_orders(self) -> Sequence[SortOrder[Resource]]:
        return (SortOrder("name", lambda r: (r.name.lower(), r.id)),
                SortOrder("type", lambda r: (r.type, r.name.lower())))

    def key_of(self, item: Resource) -> str:
        return item.id

    def search_fields(self, item: Resource) -> Iterable[str]:
        return (item.name, item.id, item.type, item.type_name or "")

    def matches_term(self, item: Resource, key: str, value: str) -> bool:
        return key != "type" or value.casefold() in (item.type.casefold(),
                                                     (item.type_name or "").casefold())

    def values_of(self, key: QueryKey) -> Sequence[tuple[str, str]]:
        types = sorted({r.type for r in self.items.values()})
        return [(t, t) for t in types] if key.name == "type" else ()

    async def fetch(self, client: AsyncClient) -> AsyncIterator[list[Resource]]:
        async for page in client.resources.list().pages():
            yield page.data

    def status_parts(self) -> list[str]:
        parts = super().status_parts()
        if not self.is_loading and not self.load_error:
            parts.append("enter: tools · n: new · e: edit · i: integrations")
        return parts

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_resource", "resource_audit", "edit_resource") and (
            self.current_item() is None
        ):
            return None
        return super().check_action(action, parameters)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table is self.table:
            self.action_open_resource()

    def action_open_resource(self) -> None:
        resource = self.current_item()
        if resource is not None:
            self.app.push_screen(ToolBrowserScreen(resource))

    def action_create_resource(self) -> None:
        if not refuse(self, "create_resource", "creating a resource"):
            self.app.push_screen(ResourceFormScreen(None), self._resource_saved)

    def action_edit_resource(self) -> None:
        resource = self.current_item()
        if resource is not None and not refuse(self, "edit_resource", "editing a resource"):
            self.app.push_screen(ResourceFormScreen(resource), self._resource_saved)

    def _resource_saved(self, resource: object) -> None:
        if isinstance(resource, Resource):
            self.notify(f"saved {resource.name} ({resource.id})", timeout=3)

    def action_integrations(self) -> None:
        self.monstrum.go("integrations")

    def action_resource_audit(self) -> None:
        resource = self.current_item()
        if resource is not None:
            self.post_message(ShowAuditRequested(resource_id=resource.id))
