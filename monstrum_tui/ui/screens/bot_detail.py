"""One bot in full: description, operations, each binding's tools and scope constraints, and
its recent tasks (a table: ``enter`` opens one in a live pane)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from ...client.errors import MonstrumError, NotFoundError, PermissionError
from ...client.models import Bot, Task
from ..cells import BOT_STATUS_STYLES, TASK_STATUS_STYLES, cell, count_cell
from ..data_changes import DataChange
from ..messages import OpenTaskRequested
from ..widgets.keyed_table import KeyedTable
from .base import MonstrumScreen
from .bot_actions import BOT_ACTION_BINDINGS, BOT_WRITE_ACTIONS, BotActions


def _when(bot_time: object) -> str:
    return bot_time.astimezone().strftime("%Y-%m-%d %H:%M:%S") if bot_time else "-"  # type: ignore[attr-defined]


def render_bot(bot: Bot) -> Group:
    """The detail view's content, as Rich renderables (user text is never markup)."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("id", bot.id)
    facts.add_row("status", Text(bot.status, style=BOT_STATUS_STYLES.get(bot.status, "")))
    facts.add_row("model", bot.model)
    facts.add_row("created", _when(bot.created_at))
    facts.add_row("updated", _when(bot.updated_at))
    facts.add_row("description", bot.description or Text("(none)", style="dim"))
    facts.add_row(
        "operations",
        ", ".join(bot.allowed_operations) if bot.allowed_operations
        else Text("(none: every tool call is denied)", style="dim"),
    )
    parts: list[object] = [Text(bot.name, style="bold"), facts, Text("")]
    count = len(bot.resource_bindings)
    parts.append(Text(f"Resource bindings ({count})", style="bold underline"))
    if not count:
        parts.append(Text("no bindings: this bot can use no resource", style="dim"))
    for binding in bot.resource_bindings:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        tools = ", ".join(binding.allowed_tools) if binding.allowed_tools else Text(
            "(none)", style="dim"
        )
        grid.add_row("tools", tools)
        if binding.scope_constraints:
            for index, (key, values) in enumerate(binding.scope_constraints.items()):
                grid.add_row("scope" if index == 0 else "", f"{key}: {', '.join(values)}")
        else:
            grid.add_row("scope", Text("(no constraints: scoped tools allow nothing)", style="dim"))
        parts.extend([Text(binding.resource_id, style="cyan"), grid])
    return Group(*parts)  # type: ignore[arg-type]


#: how many of the bot's tasks the detail view lists
RECENT_TASKS = 10
#: (key, label, width) of the recent-tasks table; the input takes what is left
TASK_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("status", "status", 9), ("id", "id", 23), ("when", "created", 11), ("calls", "calls", 5),
    ("denied", "denied", 6),
)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def recent_task_cells(task: Task, input_width: int) -> tuple[Text, ...]:
    when = task.created_at.astimezone().strftime("%m-%d %H:%M") if task.created_at else "-"
    return (
        cell(task.status, 9, style=TASK_STATUS_STYLES.get(task.status, "")),
        cell(task.id, 23),
        cell(when, 11),
        count_cell(task.tool_calls, 5),
        count_cell(task.denials, 6, style_if_any="red"),
        cell(_first_line(task.input), input_width, style="dim"),
    )


class BotDetailScreen(BotActions, MonstrumScreen):
    """The bot's detail; refreshed from the server when opened and after changes."""

    SCREEN_TITLE = "Bot"
    CSS_PATH = "bots.tcss"
    WRITE_ACTIONS: ClassVar[dict[str, str]] = BOT_WRITE_ACTIONS
    BINDINGS: ClassVar[list[BindingType]] = [
        *BOT_ACTION_BINDINGS,
        Binding("y", "copy_bot_id", "Copy id", id="bot.copy_id", show=False),
        Binding("t", "focus_tasks", "Recent tasks", id="bot.tasks", show=False),
    ]

    def __init__(self, bot: Bot) -> None:
        super().__init__()
        self.bot: Bot | None = bot
        self.bot_id = bot.id
        self.tasks: list[Task] = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="bot-detail"):
            yield Static(render_bot(self.bot) if self.bot else "", id="bot-detail-body")
            yield Label("Recent tasks", id="bot-detail-tasks-title", markup=False)
            yield KeyedTable(id="bot-detail-tasks", cursor_type="row", zebra_stripes=True)
            yield Label("loading…", id="bot-detail-tasks-note", markup=False)

    def on_mount(self) -> None:
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        table = self.query_one("#bot-detail-tasks", KeyedTable)
        for key, label, width in TASK_COLUMNS:
            table.add_column(label, key=key, width=width)
        table.add_column("input", key="input", width=self._input_width())
        self.query_one("#bot-detail").focus()
        self.refresh_bot()

    def _input_width(self) -> int:
        used = sum(w + 2 for _k, _l, w in TASK_COLUMNS) + 2 + 4  # padding, scrollbar, margins
        return max(10, self.app.size.width - used)

    def on_screen_resume(self) -> None:
        # on opening, and on coming back (from a task this bot ran, say): the list is fresh
        if self.bot is not None:
            self.refresh_tasks()

    def current_bot(self) -> Bot | None:
        return self.bot

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.bot_action_allowed(action)

    @work(exclusive=True, group="bot-detail")
    async def refresh_bot(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            bot = await client.bots.get(self.bot_id)
        except NotFoundError:
            self.on_data_change(DataChange("bot", self.bot_id, None))
            return
        except MonstrumError as exc:
            self.notify(f"could not refresh the bot: {exc}", severity="warning", timeout=5)
            return
        self.show_bot(bot)

    @work(exclusive=True, group="bot-detail-tasks")
    async def refresh_tasks(self) -> None:
        client = await self.monstrum.wait_for_client()
        problem: str | None = None
        tasks: list[Task] = []
        try:
            page = await client.tasks.list(bot_id=self.bot_id, limit=RECENT_TASKS)
            tasks = page.data[:RECENT_TASKS]
        except PermissionError as exc:
            problem = f"this key cannot list tasks (it lacks {exc.required_scope})"
        except MonstrumError as exc:
            problem = f"could not load the tasks: {exc}"
        self.show_tasks(tasks, problem)

    def show_tasks(self, tasks: list[Task], problem: str | None = None) -> None:
        self.tasks = tasks
        table = self.query_one("#bot-detail-tasks", KeyedTable)
        width = self._input_width()
        table.refill((t.id, recent_task_cells(t, width)) for t in tasks)
        table.display = bool(tasks)
        note = problem or ("no tasks yet: r runs one" if not tasks
                           else "enter opens a task in a live pane · t goes to this list")
        self.query_one("#bot-detail-tasks-note", Label).update(note)
        self.query_one("#bot-detail-tasks-title", Label).update(
            f"Recent tasks ({len(tasks)})" if problem is None else "Recent tasks")

    def show_bot(self, bot: Bot) -> None:
        self.bot = bot
        self.query_one("#bot-detail-body", Static).update(render_bot(bot))
        self.refresh_bindings()

    def action_focus_tasks(self) -> None:
        table = self.query_one("#bot-detail-tasks", KeyedTable)
        if table.row_count:
            table.focus()

    @on(DataTable.RowSelected, "#bot-detail-tasks")
    def _task_chosen(self, event: DataTable.RowSelected) -> None:
        task_id = str(event.row_key.value)
        name = self.bot.name if self.bot else ""
        self.post_message(OpenTaskRequested(task_id, bot_name=name))

    def on_data_change(self, change: DataChange) -> None:
        if change.kind != "bot" or change.id != self.bot_id:
            return
        if change.deleted:
            self.bot = None
            if self.is_current:
                self.dismiss()
        elif isinstance(change.value, Bot):
            self.show_bot(change.value)
