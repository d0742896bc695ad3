"""One bot in full: description, operations, each binding's tools and scope constraints, and
its recent tasks."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...client.errors import MonstrumError, NotFoundError, PermissionError
from ...client.models import Bot, Task
from ..data_changes import DataChange
from .bot_actions import BOT_ACTION_BINDINGS, BotActionsScreen


def _when(bot_time: object) -> str:
    return bot_time.astimezone().strftime("%Y-%m-%d %H:%M:%S") if bot_time else "-"  # type: ignore[attr-defined]


def render_bot(bot: Bot) -> Group:
    """The detail view's content, as Rich renderables (user text is never markup)."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("id", bot.id)
    facts.add_row(
        "status", Text(bot.status, style="green" if bot.status == "active" else "yellow")
    )
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

_STATUS_STYLES = {
    "completed": "green", "failed": "red", "cancelled": "yellow",
    "running": "cyan", "queued": "dim",
}


def _first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def render_recent_tasks(tasks: list[Task] | None, problem: str | None = None) -> Group:
    """The bot's newest tasks (status, id, created, tool calls, input), or why there are none."""
    title = Text(
        "Recent tasks" if tasks is None else f"Recent tasks ({len(tasks)})",
        style="bold underline",
    )
    if problem is not None:
        return Group(title, Text(problem, style="dim"))
    if tasks is None:
        return Group(title, Text("loading…", style="dim"))
    if not tasks:
        return Group(title, Text("no tasks yet: r runs one", style="dim"))
    # status, id, when and calls keep their width; the input takes what is left (80 columns)
    grid = Table.grid(padding=(0, 2), expand=True)
    for _ in range(4):
        grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
    for task in tasks:
        calls = f"{task.tool_calls} call{'' if task.tool_calls == 1 else 's'}"
        if task.denials:
            calls += f", {task.denials} denied"
        when = task.created_at.astimezone().strftime("%m-%d %H:%M") if task.created_at else "-"
        grid.add_row(
            Text(task.status, style=_STATUS_STYLES.get(task.status, "")),
            task.id,
            when,
            calls,
            Text(_first_line(task.input), style="dim"),
        )
    return Group(title, grid)


class BotDetailScreen(BotActionsScreen):
    """The bot's detail; refreshed from the server when opened and after changes."""

    SCREEN_TITLE = "Bot"
    CSS_PATH = "bots.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [*BOT_ACTION_BINDINGS]

    def __init__(self, bot: Bot) -> None:
        super().__init__()
        self.bot: Bot | None = bot
        self.bot_id = bot.id

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="bot-detail"):
            yield Static(render_bot(self.bot) if self.bot else "", id="bot-detail-body")
            yield Static(render_recent_tasks(None), id="bot-detail-tasks")

    def on_mount(self) -> None:
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        self.query_one("#bot-detail").focus()
        self.refresh_bot()

    def on_screen_resume(self) -> None:
        # on opening, and on coming back (from a task this bot ran, say): the list is fresh
        if self.bot is not None:
            self.refresh_tasks()

    def current_bot(self) -> Bot | None:
        return self.bot

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
        tasks: list[Task] | None = None
        try:
            page = await client.tasks.list(bot_id=self.bot_id, limit=RECENT_TASKS)
            tasks = page.data[:RECENT_TASKS]
        except PermissionError as exc:
            problem = f"this key cannot list tasks (it lacks {exc.required_scope})"
        except MonstrumError as exc:
            problem = f"could not load the tasks: {exc}"
        self.query_one("#bot-detail-tasks", Static).update(render_recent_tasks(tasks, problem))

    def show_bot(self, bot: Bot) -> None:
        self.bot = bot
        self.query_one("#bot-detail-body", Static).update(render_bot(bot))
        self.refresh_bindings()

    def on_data_change(self, change: DataChange) -> None:
        if change.kind != "bot" or change.id != self.bot_id:
            return
        if change.deleted:
            self.bot = None
            if self.is_current:
                self.dismiss()
        elif isinstance(change.value, Bot):
            self.show_bot(change.value)
