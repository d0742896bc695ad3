"""The Tasks screen: a live table of recent and running tasks, and live panes on tasks.

The table is refreshed by a polling worker; a row whose task changed gets only its
changed cells updated (``update_cell``), so nothing is redrawn wholesale. ``enter``
attaches the task to the active pane, ``s`` adds it as another pane (up to four: at
80x24 two sit side by side, three or four in a 2x2 grid), ``tab`` moves between them,
``z`` hides the table to give the panes the whole screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.message import Message
from textual.widgets import DataTable, Input, Label

from ...client.errors import APIConnectionError, ConflictError, MonstrumError, NotFoundError
from ...client.models import Task
from ..approval_actions import ask_and_decide
from ..connection import ConnectionStatus
from ..messages import OpenTaskRequested, RunBotRequested
from ..widgets.event_log import EventLog
from ..widgets.keyed_table import KeyedTable
from ..widgets.task_pane import TaskPane
from .base import MonstrumScreen
from .confirm import ConfirmScreen
from .task_launch import TaskLaunchScreen

#: newest tasks fetched per poll (and per ``m`` page of older ones)
PAGE_SIZE = 50
#: rows the table keeps at most; the oldest finished ones go first
MAX_ROWS = 500
MAX_PANES = 4
BOT_WIDTH = 16
FINISHED = frozenset({"completed", "failed", "cancelled"})
STATUS_STYLES = {
    "queued": "dim",
    "running": "bold yellow",
    "waiting_approval": "bold magenta",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "magenta",
}
COLUMNS: tuple[tuple[str, str], ...] = (
    ("bot", "bot"),
    ("status", "status"),
    ("calls", "calls"),
    ("denied", "denied"),
    ("age", "age"),
    ("duration", "duration"),
    ("id", "id"),
)

COLUMN_WIDTHS = {"status": 9, "calls": 5, "denied": 6, "age": 4, "duration": 8}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def format_span(seconds: float) -> str:
    """A short span: ``4s``, ``12m``, ``3h``, ``2d``; durations under a minute get tenths."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    if seconds < 86400:
        return f"{seconds // 3600:.0f}h{(seconds % 3600) // 60:02.0f}m"
    return f"{seconds // 86400:.0f}d"


def format_age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size:.0f}{unit}"
    return f"{seconds:.0f}s"


def task_duration(task: Task, now: datetime) -> str:
    if task.started_at is None:
        return ""
    end = task.finished_at or now
    return format_span((end - task.started_at).total_seconds())


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def task_cells(task: Task, bot_name: str, now: datetime) -> tuple[Any, ...]:
    """One row: bot, status, tool calls, denials, age, duration, id."""
    return (
        Text(clip(bot_name or task.bot_id, BOT_WIDTH)),  # Text: a str cell is markup
        Text(task.status, style=STATUS_STYLES.get(task.status, "")),
        Text(str(task.tool_calls), justify="right"),
        Text(str(task.denials), justify="right", style="red" if task.denials else ""),
        format_age((now - task.created_at).total_seconds()),
        task_duration(task, now),
        task.id,
    )


def task_matches(task: Task, bot_name: str, needle: str) -> bool:
    if not needle:
        return True
    needle = needle.lower()
    return any(needle in field.lower() for field in (task.id, task.bot_id, bot_name, task.status,
                                                       task.input[:500]))


class TasksLoaded(Message):
    """Tasks fetched by the poller (or a page of older ones); ``names`` maps bot ids."""

    def __init__(self, tasks: list[Task], names: dict[str, str], *, older_cursor: str | None,
                 older: bool = False) -> None:
        super().__init__()
        self.tasks = tasks
        self.names = names
        self.older_cursor = older_cursor
        self.older = older


class TasksLoadFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class TaskFilter(Input):
    """The ``/`` filter line of the table; ``esc`` clears and closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close filter", id="tasks.filter_close")
    ]

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("-shown")
        self.screen.query_one("#tasks-table", DataTable).focus()


class TasksScreen(MonstrumScreen):
    """Recent and running tasks, and live panes on some of them."""

    SCREEN_TITLE = "Tasks"
    CSS_PATH = "tasks.tcss"
    #: seconds between table refreshes; None loads once (snapshot tests)
    POLL_SECONDS: ClassVar[float | None] = 2.0
    #: the clock ages and durations are measured with (tests fix it)
    clock: ClassVar[Callable[[], datetime]] = staticmethod(utcnow)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="tasks.filter", key_display="/"),
        Binding("enter", "attach", "Attach", id="tasks.attach"),
        Binding("s", "split", "Split", id="tasks.split"),
        Binding("r", "run_again", "Run again", id="tasks.run"),
        Binding("tab", "cycle_focus(1)", "Next pane", id="tasks.next_pane", show=False),
        Binding("shift+tab", "cycle_focus(-1)", "Previous pane", id="tasks.prev_pane",
                show=False),
        Binding("z", "zoom", "Zoom panes", id="tasks.zoom", show=False),
        Binding("m", "older", "Older tasks", id="tasks.older", show=False),
        Binding("ctrl+r", "reload", "Reload", id="tasks.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.tasks: dict[str, Task] = {}
        self.bot_names: dict[str, str] = {}
        self.row_cells: dict[str, tuple[Any, ...]] = {}
        self.older_cursor: str | None = None
        self.loaded = False
        self.load_error = ""
        self.active_pane: TaskPane | None = None

    def compose_body(self) -> ComposeResult:
        yield TaskFilter(placeholder="filter: bot, status, id, input…", id="tasks-filter",
                         compact=True)
        yield Label("", id="tasks-status", markup=False)
        table = KeyedTable(id="tasks-table", cursor_type="row",
                                          zebra_stripes=True)
        yield table
        yield Container(id="panes")

    def on_mount(self) -> None:
        table = self.query_one("#tasks-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key, width=COLUMN_WIDTHS.get(key))
        table.focus()
        self.watch(self.app, "connection", self.on_connection, init=False)
        self.show_status()
        self.poll_tasks()
        if self.POLL_SECONDS is not None:
            self.set_interval(self.POLL_SECONDS, self._poll_due, name="tasks-poll")

    # --- loading ------------------------------------------------------------

    @work(exclusive=True, group="tasks-poll", exit_on_error=False)
    async def poll_tasks(self) -> None:
        """Fetch the newest tasks and every running one (a timer calls this again)."""
        client = await self.monstrum.wait_for_client()
        try:
            newest = await client.tasks.list(limit=PAGE_SIZE)
            running = await client.tasks.list(status="running", limit=PAGE_SIZE)
            tasks = {t.id: t for t in [*running.data, *newest.data]}
            names = await self._bot_names(client, tasks.values())
            self.post_message(TasksLoaded(list(tasks.values()), names,
                                          older_cursor=newest.next_cursor))
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(TasksLoadFailed(exc.message))
        except MonstrumError as exc:
            self.post_message(TasksLoadFailed(str(exc)))

    def _poll_due(self) -> None:
        if not self.workers_polling():
            self.poll_tasks()

    def workers_polling(self) -> bool:
        return any(w.node is self and w.group == "tasks-poll" and w.is_running
                   for w in self.workers)

    async def _bot_names(self, client: Any, tasks: Any) -> dict[str, str]:
        """Names of the bots of ``tasks`` not yet known (a deleted bot keeps its id)."""
        names: dict[str, str] = {}
        for bot_id in {t.bot_id for t in tasks} - set(self.bot_names):
            try:
                names[bot_id] = (await client.bots.get(bot_id)).name
            except NotFoundError:
                names[bot_id] = bot_id
            except MonstrumError:
                continue
        return names

    @work(exclusive=True, group="tasks-older", exit_on_error=False)
    async def load_older(self) -> None:
        if not self.older_cursor:
            return
        client = await self.monstrum.wait_for_client()
        try:
            page = await client.tasks.list(limit=PAGE_SIZE).page(self.older_cursor)
            names = await self._bot_names(client, page.data)
        except MonstrumError as exc:
            self.post_message(TasksLoadFailed(str(exc)))
            return
        self.post_message(TasksLoaded(page.data, names, older_cursor=page.next_cursor,
                                      older=True))

    @on(TasksLoaded)
    def _loaded(self, message: TasksLoaded) -> None:
        self.bot_names.update(message.names)
        if message.older or not self.loaded:
            self.older_cursor = message.older_cursor
        self.loaded = True
        self.load_error = ""
        self.apply_tasks(message.tasks)

    @on(TasksLoadFailed)
    def _load_failed(self, message: TasksLoadFailed) -> None:
        self.load_error = message.error
        self.show_status()

    def on_connection(self, status: ConnectionStatus) -> None:
        self.show_status()
        self.refresh_bindings()

    # --- the table ----------------------------------------------------------

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#tasks-table", KeyedTable)

    @property
    def filter_text(self) -> str:
        return self.query_one(TaskFilter).value.strip()

    def _shown(self, task: Task) -> bool:
        return task_matches(task, self.bot_names.get(task.bot_id, ""), self.filter_text)

    def apply_tasks(self, tasks: list[Task]) -> None:
        """Merge fetched tasks in: changed cells updated in place, new rows added in order."""
        for task in tasks:
            self.tasks[task.id] = task
        now = self.clock()
        table = self.table
        added = False
        # every shown row: ages and running durations move even when nothing else does
        for task_id, old in list(self.row_cells.items()):
            task = self.tasks[task_id]
            cells = task_cells(task, self.bot_names.get(task.bot_id, ""), now)
            for (key, _), before, after in zip(COLUMNS, old, cells, strict=True):
                if before != after:
                    table.update_cell(task_id, key, after)
            self.row_cells[task_id] = cells
        for task in tasks:
            if task.id not in self.row_cells and self._shown(task):
                cells = task_cells(task, self.bot_names.get(task.bot_id, ""), now)
                table.add_row(*cells, key=task.id)
                self.row_cells[task.id] = cells
                added = True
        self._bound_rows()
        if added:
            self._sort()
        self.show_status()

    def _bound_rows(self) -> None:
        excess = len(self.tasks) - MAX_ROWS
        if excess <= 0:
            return
        old = sorted((t for t in self.tasks.values() if t.status in FINISHED),
                     key=lambda t: t.id)[:excess]
        for task in old:
            del self.tasks[task.id]
            if self.row_cells.pop(task.id, None) is not None:
                self.table.remove_row(task.id)

    def _sort(self) -> None:
        keep = self.cursor_task_id()
        self.table.sort("id", reverse=True)  # ids are time-ordered: newest first
        self.table.move_to_key(keep)

    def rebuild_rows(self) -> None:
        """Refill the table (only when the filter changes)."""
        now = self.clock()
        self.row_cells = {
            task.id: task_cells(task, self.bot_names.get(task.bot_id, ""), now)
            for task in sorted(self.tasks.values(), key=lambda t: t.id, reverse=True)
            if self._shown(task)
        }
        self.table.refill(self.row_cells.items())
        self.show_status()

    def cursor_task_id(self) -> str | None:
        return self.table.cursor_key()

    def show_status(self) -> None:
        total = len(self.tasks)
        running = sum(t.status == "running" for t in self.tasks.values())
        parts = [f"{total} task{'s' if total != 1 else ''}", f"{running} running"]
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}': {self.table.row_count} shown")
        if self.older_cursor:
            parts.append("m: older")
        if self.load_error:
            parts.append(f"load failed: {self.load_error}")
        elif not self.loaded:
            parts.append("loading…" if self.monstrum.connection.usable
                         else "waiting for the platform…")
        label = self.query_one("#tasks-status", Label)
        label.update(" · ".join(parts))
        label.set_class(bool(self.load_error), "-error")
        self.refresh_bindings()  # attach/split/run need a row under the cursor

    @on(DataTable.RowHighlighted, "#tasks-table")
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#tasks-table")
    async def _row_selected(self) -> None:
        await self.action_attach()

    # --- filter -------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one(TaskFilter)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#tasks-filter")
    def _filter_changed(self) -> None:
        self.rebuild_rows()

    @on(Input.Submitted, "#tasks-filter")
    def _filter_submitted(self) -> None:
        if not self.filter_text:
            self.query_one(TaskFilter).remove_class("-shown")
        self.table.focus()

    # --- panes --------------------------------------------------------------

    @property
    def panes(self) -> list[TaskPane]:
        return list(self.query_one("#panes").query_children(TaskPane))

    def pane_of(self, task_id: str) -> TaskPane | None:
        return next((p for p in self.panes if p.task_id == task_id), None)

    async def open_pane(self, task_id: str, *, split: bool) -> TaskPane | None:
        """Watch ``task_id``: in a new pane (``split``) or in place of the active pane."""
        existing = self.pane_of(task_id)
        if existing is not None:
            existing.event_log.focus()
            return existing
        panes = self.panes
        task = self.tasks.get(task_id)
        bot_name = self.bot_names.get(task.bot_id, "") if task else ""
        pane = TaskPane(task_id, bot_name=bot_name, task=task)
        container = self.query_one("#panes")
        replace = None
        if panes and (not split or len(panes) >= MAX_PANES):
            replace = self.active_pane if self.active_pane in panes else panes[-1]
            if split:
                self.notify(f"at most {MAX_PANES} panes: replaced the active one", timeout=3)
        if replace is not None:
            await container.mount(pane, before=replace)
            await replace.remove()
        else:
            await container.mount(pane)
        self.active_pane = pane
        self._layout_panes(pane)
        return pane

    def _layout_panes(self, focus: TaskPane | None = None) -> None:
        count = len(self.panes)
        container = self.query_one("#panes")
        for n in range(5):
            container.set_class(count == n, f"-n{n}")
        self.set_class(count > 0, "-with-panes")
        if count == 0:
            self.remove_class("-zoomed")
            self.table.focus()
        elif focus is not None and focus.is_mounted:
            # after the styles apply: a pane in a hidden container cannot take focus
            self.call_after_refresh(focus.event_log.focus)
        self.refresh_bindings()

    @on(events.DescendantFocus)
    def _focus_moved(self, event: events.DescendantFocus) -> None:
        for node in event.widget.ancestors_with_self:
            if isinstance(node, TaskPane):
                self.active_pane = node
                break

    async def action_attach(self) -> None:
        task_id = self.cursor_task_id()
        if task_id is not None:
            await self.open_pane(task_id, split=False)

    async def action_split(self) -> None:
        task_id = self.cursor_task_id()
        if task_id is not None:
            await self.open_pane(task_id, split=True)

    def action_cycle_focus(self, step: int) -> None:
        """Move focus: table, pane 1, pane 2, ... (the table is skipped while zoomed)."""
        stops: list[Any] = [] if self.has_class("-zoomed") else [self.table]
        stops += [pane.event_log for pane in self.panes]
        if not stops:
            return
        focused = self.focused
        current = next((i for i, w in enumerate(stops)
                        if focused is not None and (focused is w or w in focused.ancestors)),
                       None)
        if current is None and focused is not None:
            pane = next((p for p in self.panes if focused in p.walk_children()), None)
            current = stops.index(pane.event_log) if pane is not None else None
        index = 0 if current is None else (current + step) % len(stops)
        stops[index].focus()

    def action_zoom(self) -> None:
        if not self.panes:
            return
        self.toggle_class("-zoomed")
        if self.has_class("-zoomed") and self.table.has_focus:
            self.panes[0].event_log.focus()

    def action_older(self) -> None:
        self.load_older()

    def action_reload(self) -> None:
        self.poll_tasks()

    @on(TaskPane.CloseRequested)
    async def _close_pane(self, message: TaskPane.CloseRequested) -> None:
        panes = self.panes
        index = panes.index(message.pane) if message.pane in panes else 0
        await message.pane.remove()
        rest = [p for p in panes if p is not message.pane]
        self.active_pane = rest[min(index, len(rest) - 1)] if rest else None
        self._layout_panes(self.active_pane)

    @on(TaskPane.Progress)
    def _pane_progress(self, message: TaskPane.Progress) -> None:
        """A watched task changed: update its row now rather than at the next poll."""
        task = self.tasks.get(message.pane.task_id)
        if task is not None:
            self.apply_tasks([task.model_copy(update=message.changes)])

    @on(EventLog.FollowChanged)
    def _follow_changed(self) -> None:
        self.refresh_bindings()

    # --- running and cancelling ---------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run_again":
            if self.monstrum.connection.read_only:
                return None
            return True if self.cursor_task_id() else None
        if action in ("attach", "split"):
            return True if self.cursor_task_id() else None
        return True

    def launch_form(self, bot_id: str, bot_name: str, **prefill: Any) -> None:
        async def launched(task: object) -> None:
            if isinstance(task, Task):
                self.bot_names.setdefault(task.bot_id, bot_name or task.bot_id)
                self.apply_tasks([task])
                await self.open_pane(task.id, split=True)
                self.notify(f"started {task.id}", timeout=3)

        self.app.push_screen(TaskLaunchScreen(bot_id, bot_name, **prefill), launched)

    def action_run_again(self) -> None:
        task_id = self.cursor_task_id()
        task = self.tasks.get(task_id) if task_id else None
        if task is not None:
            self.launch_form(task.bot_id, self.bot_names.get(task.bot_id, ""),
                             input_text=task.input, metadata=task.metadata)

    @on(RunBotRequested)
    def _run_bot(self, request: RunBotRequested) -> None:
        request.stop()
        self.launch_form(request.bot_id, request.bot_name)

    @on(OpenTaskRequested)
    async def _open_task(self, request: OpenTaskRequested) -> None:
        request.stop()
        await self.open_pane(request.task_id, split=True)

    @on(TaskPane.CancelRequested)
    def _cancel_requested(self, message: TaskPane.CancelRequested) -> None:
        pane = message.pane

        def answered(yes: object) -> None:
            if yes is True:
                self.cancel_task(pane.task_id)

        self.app.push_screen(
            ConfirmScreen(f"Cancel task {pane.task_id}?",
                          "The bot stops at once; calls already made are not undone.",
                          confirm_label="Cancel task"),
            answered,
        )

    @on(TaskPane.DecisionRequested)
    def _decision_requested(self, message: TaskPane.DecisionRequested) -> None:
        ask_and_decide(self, message.approval, approve=message.approve)

    @work(group="task-cancel", exit_on_error=False)
    async def cancel_task(self, task_id: str) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            task = await client.tasks.cancel(task_id)
        except ConflictError as exc:
            self.notify(exc.message, severity="warning", timeout=5)
            return
        except MonstrumError as exc:
            self.notify(f"could not cancel {task_id}: {exc}", severity="error", timeout=8)
            return
        self.apply_tasks([task])
        self.notify(f"cancelled {task_id}", timeout=3)
