"""The Approvals screen: tool calls waiting for a person; approve or reject them."""

from __future__ import annotations

from datetime import datetime, timezone
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
from textual.widgets import DataTable, Label, Static

from ...client.errors import APIConnectionError, MonstrumError
from ...client.errors import PermissionError as ScopeMissing
from ...client.models import Approval
from ..approval_actions import ask_and_decide
from ..connection import ConnectionStatus
from ..data_changes import DataChange
from ..messages import OpenTaskRequested
from ..visible_text import visible, visible_json
from ..widgets.keyed_table import KeyedTable
from .base import MonstrumScreen

#: seconds between looks at the server while the screen is shown
POLL_SECONDS = 2.0
#: approvals kept (pending ones first): the newest this many
PAGE = 200

#: (key, label, width): with the cells' padding they fit 80 columns
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("status", "status", 8),
    ("tool", "tool", 13),
    ("bot", "bot", 11),
    ("origin", "from", 11),
    ("left", "left", 4),
    ("params", "params", 19),
)

STATUS_STYLES = {"pending": "bold yellow", "approved": "green", "rejected": "red",
                 "expired": "dim", "cancelled": "dim"}


class ApprovalsLoaded(Message):
    def __init__(self, approvals: list[Approval]) -> None:
        super().__init__()
        self.approvals = approvals


class ApprovalsLoadFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def time_left(approval: Approval, now: datetime) -> str:
    if approval.status != "pending":
        return ""
    seconds = int((approval.expires_at - now).total_seconds())
    if seconds <= 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def approval_cells(approval: Approval, now: datetime) -> tuple[Any, ...]:
    params = visible_json(approval.params, sort_keys=True)
    origin = approval.task_id or f"({approval.via})"
    return (
        Text(approval.status, style=STATUS_STYLES.get(approval.status, "")),
        escape(clip(approval.tool_name, 13)),
        escape(clip(approval.bot_id, 11)),
        escape(clip(origin, 11)),
        time_left(approval, now),
        escape(clip(params, 19)),
    )


def render_approval(approval: Approval, now: datetime) -> RenderableType:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("call", Text(f"{approval.tool_name} on {approval.resource_id}"))
    facts.add_row("why", Text(visible(approval.reason)))
    origin = f"task {approval.task_id}" if approval.task_id else f"an MCP client ({approval.via})"
    facts.add_row("from", Text(f"bot {approval.bot_id} · {origin}"))
    facts.add_row("params", Text(visible_json(approval.params)))
    if approval.status == "pending":
        facts.add_row("expires", Text(f"in {time_left(approval, now)} unless decided "
                                      "(then rejected)"))
    else:
        who = approval.decided_by_name or approval.decided_by or ""
        said = f": {approval.decision_reason}" if approval.decision_reason else ""
        facts.add_row(approval.status, Text(f"{who}{said}".strip() or "-"))
    head = Text(f"{approval.id} · {approval.status}",
                style=STATUS_STYLES.get(approval.status, "bold"))
    return Group(head, facts)


class ApprovalsScreen(MonstrumScreen):
    """Calls that wait for a person, newest first; pending only unless ``f`` shows all."""

    SCREEN_TITLE = "Approvals"
    CSS_PATH = "approvals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "decide(True)", "Approve", id="approvals.approve"),
        Binding("d", "decide(False)", "Reject", id="approvals.reject"),
        Binding("f", "toggle_all", "Pending/all", id="approvals.toggle"),
        Binding("enter", "open_task", "Open task", id="approvals.open_task"),
        Binding("ctrl+r", "reload", "Reload", id="approvals.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.approvals: dict[str, Approval] = {}
        self.show_all = False
        self.is_loading = True
        self.load_error = ""

    def compose_body(self) -> ComposeResult:
        yield Label("", id="approvals-status", classes="list-status", markup=False)
        yield KeyedTable(id="approvals-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="approval-detail"):
            yield Static("", id="approval-summary")

    def on_mount(self) -> None:
        table = self.query_one(KeyedTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.focus()
        self.watch(self.app, "connection", self.on_connection, init=False)
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        self.set_interval(POLL_SECONDS, self._poll, name="approvals-poll")
        self.show_status()
        self.load_approvals()

    def _poll(self) -> None:
        if self.is_current and self.monstrum.connection.usable and not self.loading_now():
            self.load_approvals()

    def loading_now(self) -> bool:
        return any(w.group == "approvals-load" and w.is_running for w in self.workers)

    @work(exclusive=True, group="approvals-load")
    async def load_approvals(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            pager = client.approvals.list(status=None if self.show_all else "pending",
                                          limit=PAGE)
            items = await pager.to_list()
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(ApprovalsLoadFailed(exc.message))
            return
        except ScopeMissing:
            self.post_message(ApprovalsLoadFailed(
                "this API key cannot see approvals (it needs approvals:read)"))
            return
        except MonstrumError as exc:
            self.post_message(ApprovalsLoadFailed(str(exc)))
            return
        self.post_message(ApprovalsLoaded(items))

    @on(ApprovalsLoaded)
    def _loaded(self, message: ApprovalsLoaded) -> None:
        self.approvals = {a.id: a for a in message.approvals}
        self.is_loading = False
        self.load_error = ""
        self.render_table()
        self.show_status()

    @on(ApprovalsLoadFailed)
    def _load_failed(self, message: ApprovalsLoadFailed) -> None:
        self.is_loading = False
        self.load_error = message.error
        self.show_status()

    def on_connection(self, status: ConnectionStatus) -> None:
        self.show_status()
        if status.usable and (self.load_error or self.is_loading) and not self.loading_now():
            self.load_approvals()

    def on_data_change(self, change: DataChange) -> None:
        if change.kind == "approval" and isinstance(change.value, Approval):
            self.approvals[change.id] = change.value
            self.render_table()
            self.show_status()

    # --- the table ----------------------------------------------------------

    def ordered(self) -> list[Approval]:
        """Pending first (soonest to expire first), then the rest, newest first."""
        pending = sorted((a for a in self.approvals.values() if a.status == "pending"),
                         key=lambda a: a.expires_at)
        rest = sorted((a for a in self.approvals.values() if a.status != "pending"),
                      key=lambda a: a.id, reverse=True)
        return pending + ([] if not self.show_all else rest)

    def render_table(self) -> None:
        now = datetime.now(timezone.utc)
        self.query_one(KeyedTable).refill((a.id, approval_cells(a, now)) for a in self.ordered())
        self.show_detail()

    def current(self) -> Approval | None:
        key = self.query_one(KeyedTable).cursor_key()
        return self.approvals.get(key) if key else None

    def show_detail(self) -> None:
        approval = self.current()
        self.query_one("#approval-summary", Static).update(
            render_approval(approval, datetime.now(timezone.utc)) if approval else
            Text("No call is waiting for approval." if not self.show_all else "No approvals.",
                 style="dim")
        )

    def show_status(self) -> None:
        pending = sum(a.status == "pending" for a in self.approvals.values())
        parts = [f"{pending} waiting" if pending != 1 else "1 waiting"]
        parts.append("all approvals" if self.show_all else "pending only (f: all)")
        if self.load_error:
            parts.append(f"load failed: {self.load_error}")
        elif self.is_loading:
            parts.append("loading…" if self.monstrum.connection.usable else
                         "waiting for the platform…")
        label = self.query_one("#approvals-status", Label)
        label.update(" · ".join(parts))
        label.set_class(bool(self.load_error), "-error")
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.show_detail()
        self.refresh_bindings()

    # --- actions ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        current = self.current() if self.is_mounted else None
        if action == "decide":
            if self.monstrum.connection.read_only:
                return None
            return True if current is not None and current.status == "pending" else None
        if action == "open_task":
            return True if current is not None and current.task_id else None
        return True

    def action_decide(self, approve: bool) -> None:
        approval = self.current()
        if approval is not None and approval.status == "pending":
            ask_and_decide(self, approval, approve=approve)

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.render_table()
        self.show_status()
        self.load_approvals()

    def action_open_task(self) -> None:
        approval = self.current()
        if approval is not None and approval.task_id:
            self.post_message(OpenTaskRequested(approval.task_id))

    def action_reload(self) -> None:
        self.load_approvals()
