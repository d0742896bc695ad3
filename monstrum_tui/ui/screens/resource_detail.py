"""One resource's tool browser: its tools on the left, the highlighted one in full on the right.

For a tool it shows the description, operation, executor, input schema, the
scope dimensions that constrain it, and which bound bots may call it with the
scope constraints they bring, and why the others may not: the server's verdicts
(``ResourceBindingInfo.access``), never worked out here. The
first entry of the list, "resource", shows the resource itself: config,
which credential fields are set (never values), and every bound bot. ``w`` asks the
server what it would decide for a bot calling the tool with given params (``what_if``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ...client.async_client import AsyncClient
from ...client.errors import APIConnectionError, MonstrumError, NotFoundError
from ...client.models import Integration, Resource, ResourceBindingInfo, Tool, ToolAccess
from ..data_changes import DataChange
from ..query import QuerySyntax
from ..widgets.query_line import QueryLine
from ..widgets.schema_view import SchemaView, shown_value
from .base import MonstrumScreen
from .what_if import WhatIfScreen

#: the list entry that shows the resource itself rather than a tool
ABOUT_ID = "__resource__"
#: narrower than this, the list goes above the detail instead of beside it
SIDE_BY_SIDE_MIN_WIDTH = 80


@dataclass(frozen=True)
class BotAccess:
    """One bound bot and the server's verdict on one tool (``ToolAccess``)."""

    binding: ResourceBindingInfo
    verdict: ToolAccess | None

    @property
    def bot_name(self) -> str:
        return self.binding.bot_name or self.binding.bot_id

    @property
    def may_call(self) -> bool:
        return self.verdict is not None and self.verdict.may_call

    @property
    def reason(self) -> str:
        if self.verdict is None:
            return "the server sent no verdict for this tool"
        return self.verdict.reason


def tool_access(tool: Tool, bindings: list[ResourceBindingInfo]) -> list[BotAccess]:
    """Each bound bot with the server's verdict on ``tool``: those that may call it first."""
    out = [
        BotAccess(b, next((a for a in b.access if a.tool_name == tool.name), None))
        for b in bindings
    ]
    out.sort(key=lambda a: (not a.may_call, a.bot_name.lower(), a.binding.bot_id))
    return out


def _facts() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    return grid


def _row(grid: Table, label: str, value: RenderableType) -> None:
    """A label and its value; plain strings are user text, never markup."""
    grid.add_row(Text(label), Text(value) if isinstance(value, str) else value)


def _dim(text: str) -> Text:
    return Text(text, style="dim")


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def render_tool_head(tool: Tool) -> RenderableType:
    """Name, description, operation and executor."""
    facts = _facts()
    _row(facts, "operation", Text(tool.operation, style="magenta"))
    _row(facts, "executor", tool.executor or _dim('none: calls fail with "no executor"'))
    parts: list[RenderableType] = [Text(tool.name, style="bold")]
    if tool.description:
        parts.append(Text(tool.description))
    parts += [facts, Text(""), _heading("Input")]
    return Group(*parts)


def render_dimensions(tool: Tool) -> RenderableType:
    """The scope dimensions that apply to the tool's params: key, paths, match mode, denial."""
    count = len(tool.scope_dimensions)
    parts: list[RenderableType] = [_heading(f"Scope dimensions ({count})")]
    if not count:
        parts.append(_dim("none: any params that fit the schema are in scope"))
        return Group(*parts)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="cyan bold", no_wrap=True)
    grid.add_column()
    for dim in tool.scope_dimensions:
        where = Text()
        where.append("params ", style="bold")
        where.append(", ".join(dim.param_paths))
        where.append(" · match ", style="bold")
        where.append(dim.match_mode)
        grid.add_row(Text(dim.key), where)
        denial = Text()
        denial.append("denial ", style="bold")
        denial.append(dim.error_template)
        grid.add_row(Text(""), denial)
        if dim.description:
            grid.add_row(Text(""), _dim(dim.description))
    parts.append(grid)
    return Group(*parts)


def _constraint_rows(grid: Table, tool: Tool, binding: ResourceBindingInfo) -> None:
    for dim in tool.scope_dimensions:
        values = binding.scope_constraints.get(dim.key)
        if values is None:
            shown: Text | str = Text(f"not constrained: allows no {dim.key}", style="red")
        elif not values:
            shown = Text("empty: allows nothing", style="red")
        else:
            shown = ", ".join(values)
        _row(grid, dim.key, shown)


def render_access(tool: Tool, bindings: list[ResourceBindingInfo]) -> RenderableType:
    """Which bots may call the tool, with their constraints; then the bound bots that may not."""
    access = tool_access(tool, bindings)
    allowed = [a for a in access if a.may_call]
    refused = [a for a in access if not a.may_call]
    parts: list[RenderableType] = [_heading(f"Bots that may call it ({len(allowed)})")]
    if not allowed:
        parts.append(_dim("none" if bindings else "none: no bot is bound to this resource"))
    for item in allowed:
        grid = _facts()
        _row(grid, "tools", ", ".join(item.binding.allowed_tools))
        _row(grid, "operations", ", ".join(item.binding.allowed_operations))
        if item.verdict is not None and item.verdict.call_name != tool.name:
            _row(grid, "called as", item.verdict.call_name)
        _constraint_rows(grid, tool, item.binding)
        parts += [Text(item.bot_name, style="green bold"), grid]
    if refused:
        parts += [Text(""), _heading(f"Bound, but may not call it ({len(refused)})")]
        for item in refused:
            line = Text()
            line.append(item.bot_name, style="yellow bold")
            line.append(f": {item.reason}")
            parts.append(line)
    return Group(*parts)


def render_resource(resource: Resource, integration: Integration | None) -> RenderableType:
    """The resource itself: type, config, credential fields set, and its bound bots."""
    facts = _facts()
    _row(facts, "id", resource.id)
    type_text = resource.type
    if resource.type_name or resource.integration_version:
        extra = " ".join(x for x in (resource.type_name, resource.integration_version) if x)
        type_text += f" ({extra})"
    _row(facts, "type", type_text)
    _row(facts, "tools", str(len(resource.tools)))
    parts: list[RenderableType] = [Text(resource.name, style="bold"), facts, Text("")]

    parts.append(_heading("Config"))
    if resource.config:
        config = _facts()
        for key in sorted(resource.config):
            _row(config, key, shown_value(resource.config[key]))
        parts.append(config)
    else:
        parts.append(_dim("(none)"))

    parts += [Text(""), _heading("Credentials")]
    declared = [str(f.get("field")) for f in integration.credential_schema] if integration else []
    required = {
        str(f.get("field")) for f in (integration.credential_schema if integration else [])
        if f.get("required")
    }
    names = list(dict.fromkeys([*declared, *resource.credentials_set]))
    if not names:
        parts.append(_dim("none declared"))
    else:
        creds = _facts()
        for name in names:
            if name in resource.credentials_set:
                _row(creds, name, Text("set", style="green"))
            elif name in required:
                _row(creds, name, Text("not set (required)", style="red"))
            else:
                _row(creds, name, _dim("not set"))
        parts += [creds, _dim("values are write-only: the API never returns them")]

    parts += [Text(""), _heading(f"Bound bots ({len(resource.bindings)})")]
    if not resource.bindings:
        parts.append(_dim("none"))
    for binding in sorted(resource.bindings, key=lambda b: (b.bot_name.lower(), b.bot_id)):
        grid = _facts()
        _row(grid, "id", binding.bot_id)
        _row(grid, "status", Text(binding.bot_status,
                                    style="green" if binding.bot_status == "active" else "yellow"))
        _row(grid, "tools", ", ".join(binding.allowed_tools) or _dim("(none)"))
        _row(grid, "operations", ", ".join(binding.allowed_operations) or _dim("(none)"))
        if binding.scope_constraints:
            for index, (key, values) in enumerate(sorted(binding.scope_constraints.items())):
                _row(grid, "scope" if index == 0 else "", f"{key}: {', '.join(values)}")
        else:
            _row(grid, "scope", _dim("(no constraints: scoped tools allow nothing)"))
        parts += [Text(binding.bot_name or binding.bot_id, style="cyan bold"), grid]
    return Group(*parts)


def resource_title(resource: Resource) -> str:
    tools = len(resource.tools)
    bots = len(resource.bindings) or len(resource.bound_bots)
    return (
        f"{resource.name} · {resource.id} · {resource.type} · "
        f"{tools} tool{'s' if tools != 1 else ''} · {bots} bot{'s' if bots != 1 else ''}"
    )


class ResourceRefreshed(Message):
    """The resource (with its bindings) and its integration, fresh from the server."""

    def __init__(self, resource: Resource, integration: Integration | None) -> None:
        super().__init__()
        self.resource = resource
        self.integration = integration


class ToolBrowserScreen(MonstrumScreen):
    """A resource's tools; ``esc`` goes back to the list."""

    SCREEN_TITLE = "Tools"
    CSS_PATH = "resources.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="tools.filter", key_display="/"),
        Binding("o", "about", "Resource", id="tools.about"),
        Binding("w", "what_if", "What if", id="tools.what_if"),
        Binding("tab", "switch_pane", "Detail/list", id="tools.switch_pane", show=False),
        Binding("y", "copy_tool_name", "Copy name", id="tools.copy_name", show=False),
        Binding("ctrl+r", "reload", "Reload", id="tools.reload", show=False),
    ]

    def __init__(self, resource: Resource) -> None:
        super().__init__()
        self.resource = resource
        self.resource_id = resource.id
        self.integration: Integration | None = None
        self.selected: str | None = resource.tools[0].name if resource.tools else ABOUT_ID

    def compose_body(self) -> ComposeResult:
        yield Label(resource_title(self.resource), id="tools-title", markup=False)
        with Horizontal(id="tools-browser"):
            with Vertical(id="tools-side"):
                yield QueryLine(QuerySyntax(text_help="tools"), id="tools-filter")
                yield OptionList(id="tools-list")
            with VerticalScroll(id="tool-pane"):
                yield Static("", id="tool-head")
                yield SchemaView(None, id="tool-schema")
                yield Static("", id="tool-dimensions")
                yield Static("", id="tool-access")
                yield Static("", id="resource-about")

    def on_mount(self) -> None:
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        self.fill_list()
        self.query_one("#tools-list", OptionList).focus()
        self.show_selected()
        self.refresh_resource()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < SIDE_BY_SIDE_MIN_WIDTH, "-stacked")

    # --- data ---------------------------------------------------------------

    @work(exclusive=True, group="tool-browser")
    async def refresh_resource(self) -> None:
        """Fetch the resource (tools, bindings) and its integration (credential schema)."""
        client = await self.monstrum.wait_for_client()
        try:
            resource = await client.resources.get(self.resource_id)
            integration = await self._integration_of(client, resource.type)
        except NotFoundError:
            self.notify(f"resource {self.resource_id} no longer exists", severity="warning")
            if self.is_current:
                self.dismiss()
            return
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.notify(f"could not refresh: {exc.message}", severity="warning", timeout=5)
            return
        except MonstrumError as exc:
            self.notify(f"could not refresh: {exc}", severity="warning", timeout=5)
            return
        self.post_message(ResourceRefreshed(resource, integration))

    @staticmethod
    async def _integration_of(client: AsyncClient, type_id: str) -> Integration | None:
        async for integration in client.integrations.list():
            if integration.resource_type.get("id") == type_id:
                return integration
        return None

    @on(ResourceRefreshed)
    def _refreshed(self, message: ResourceRefreshed) -> None:
        self.resource = message.resource
        self.integration = message.integration
        self.query_one("#tools-title", Label).update(resource_title(self.resource))
        if self.selected not in {t.name for t in self.resource.tools} | {ABOUT_ID}:
            self.selected = self.resource.tools[0].name if self.resource.tools else ABOUT_ID
        self.fill_list()
        self.show_selected()

    def on_data_change(self, change: DataChange) -> None:
        if change.kind in ("bot", "integration") or (
            change.kind == "resource" and change.id == self.resource_id
        ):
            self.refresh_resource()

    # --- the list and the pane ----------------------------------------------

    @property
    def filter_text(self) -> str:
        return self.query_one(QueryLine).in_force.text.lower()

    def visible_tools(self) -> list[Tool]:
        needle = self.filter_text
        return [
            t for t in self.resource.tools
            if not needle or needle in t.name.lower() or needle in t.operation.lower()
            or needle in t.description.lower()
        ]

    def fill_list(self) -> None:
        """Rebuild the options (the resource entry, then the matching tools)."""
        options = self.query_one("#tools-list", OptionList)
        keep = self.selected
        options.clear_options()
        entries: list[Option] = [Option(Text("≡ resource", style="italic"), id=ABOUT_ID)]
        entries += [Option(Text(t.name), id=t.name) for t in self.visible_tools()]
        options.add_options(entries)
        if keep is not None:
            try:
                options.highlighted = options.get_option_index(keep)
            except Exception:  # filtered out: leave the highlight where the list puts it
                options.highlighted = 1 if options.option_count > 1 else 0

    def current_tool(self) -> Tool | None:
        for tool in self.resource.tools:
            if tool.name == self.selected:
                return tool
        return None

    def show_selected(self) -> None:
        tool = self.current_tool()
        about = tool is None
        for selector in ("#tool-head", "#tool-schema", "#tool-dimensions", "#tool-access"):
            self.query_one(selector).display = not about
        self.query_one("#resource-about").display = about
        if tool is None:
            self.query_one("#resource-about", Static).update(
                render_resource(self.resource, self.integration)
            )
        else:
            self.query_one("#tool-head", Static).update(render_tool_head(tool))
            self.query_one("#tool-schema", SchemaView).schema = tool.input_schema
            self.query_one("#tool-dimensions", Static).update(render_dimensions(tool))
            self.query_one("#tool-access", Static).update(
                render_access(tool, self.resource.bindings)
            )
        self.query_one("#tool-pane", VerticalScroll).scroll_home(animate=False)
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted, "#tools-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id != self.selected:
            self.selected = event.option_id
            self.show_selected()

    @on(OptionList.OptionSelected, "#tools-list")
    def _chosen(self) -> None:
        self.query_one("#tool-pane").focus()

    # --- actions ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_tool_name", "what_if") and self.current_tool() is None:
            return None
        return True

    def action_filter(self) -> None:
        self.query_one(QueryLine).open()

    @on(QueryLine.Changed, "#tools-filter")
    def _filter_changed(self) -> None:
        self.fill_list()

    @on(QueryLine.Closed, "#tools-filter")
    def _filter_closed(self) -> None:
        self.query_one("#tools-list", OptionList).focus()

    def clear_state(self) -> bool:
        return self.query_one(QueryLine).clear_state()

    def action_about(self) -> None:
        options = self.query_one("#tools-list", OptionList)
        options.highlighted = 0
        options.focus()

    def action_switch_pane(self) -> None:
        options = self.query_one("#tools-list", OptionList)
        if options.has_focus:
            self.query_one("#tool-pane").focus()
        else:
            options.focus()

    def action_copy_tool_name(self) -> None:
        tool = self.current_tool()
        if tool is not None:
            self.app.copy_to_clipboard(tool.name)
            self.notify(f"copied {tool.name}", timeout=2)

    def action_reload(self) -> None:
        self.refresh_resource()

    def action_what_if(self) -> None:
        """Ask the server what it would decide for a bot calling this tool (a dry run)."""
        tool = self.current_tool()
        if tool is not None:
            self.app.push_screen(WhatIfScreen(self.resource, tool))
