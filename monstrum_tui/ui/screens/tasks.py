"""The Tasks screen: an overview, a live table of recent and running tasks, and live panes.

A polling worker refreshes the table (``ListScreen`` updates only the cells that
changed) and the overview from ``GET /v1/task-stats`` (counts by state, tool calls and
denials per second, and for each task its failed calls and last event). ``space``
marks rows, ``x`` cancels the marked tasks (or the one under the cursor), ``y`` copies
the id. ``enter`` attaches the task to the active pane, ``s`` adds it as another pane
(up to four: at 80x24 two sit side by side, three or four in a 2x2 grid), ``tab``
moves between table and panes, ``z`` gives the panes the whole screen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.message import Message
from textual.widgets import DataTable

from ...client.async_client import AsyncClient
from ...client.errors import ConflictError, MonstrumError, NotFoundError
from ...client.models import (
    ACTIVE_TASK_STATUSES,
    FINISHED_TASK_STATUSES,
    TASK_STATUSES,
    Task,
    TaskStats,
    TaskSummary,
)
from ..approval_actions import ask_and_decide
from ..cells import TASK_STATUS_STYLES, cell, count_cell
from ..messages import OpenTaskRequested, RunBotRequested
from ..query import Query, QueryKey, QuerySyntax, parse_duration
from ..widgets.event_log import EventLog
from ..widgets.task_overview import TaskOverview
from ..widgets.task_pane import TaskPane
from ..write_access import refuse
from .confirm import ConfirmScreen
from .list_screen import Column, ItemsLoaded, ListScreen
from .task_launch import TaskLaunchScreen

#: newest tasks fetched per poll (and per ``m`` page of older ones)
PAGE_SIZE = 50
#: rows the table keeps at most; the oldest finished ones go first
MAX_ROWS = 500
MAX_PANES = 4
#: tasks summarised (failed calls, last event) per poll at most
SUMMARIES_PER_POLL = 100
#: what the last-event column calls each event type
EVENT_WORDS = {"tool_call": "call", "result": "result", "denied": "denied", "error": "error",
               "message": "message", "started": "started", "complete": "complete"}

TASK_QUERY = QuerySyntax(
    keys=(
        QueryKey("bot", "the bot's name or id"),
        QueryKey("status", "a task state", choices=TASK_STATUSES),
        QueryKey("since", "created within (15m, 1h, 7d; a bare 1h works too)", duration=True),
    ),
    text_help="bot, status, id, input",
)


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


#: seconds between changes of the age cells: a changed cell redraws the whole table on
#: the terminal (about 3 KB at 120x36), and ages that each moved at their own second did
#: so on nearly every poll of an idle table
AGE_STEP = 30.0


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


def last_event_words(summary: TaskSummary | None) -> str:
    """``denied run_command``, ``complete``: the task's last event, as the server said."""
    if summary is None or summary.last_event_type is None:
        return ""
    word = EVENT_WORDS.get(summary.last_event_type, summary.last_event_type)
    return f"{word} {summary.last_event_tool}" if summary.last_event_tool else word


def first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


class BotNamesLoaded(Message):
    """Names of bots the poll met for the first time (a deleted bot keeps its id)."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names


class StatsLoaded(Message):
    """The overview and the summaries of some tasks."""

    def __init__(self, stats: TaskStats) -> None:
        super().__init__()
        self.stats = stats


class OlderLoaded(Message):
    def __init__(self, cursor: str | None) -> None:
        super().__init__()
        self.cursor = cursor


class TasksScreen(ListScreen[Task]):
    """Recent and running tasks, their overview, and live panes on some of them."""

    SCREEN_TITLE = "Tasks"
    CSS_PATH = "tasks.tcss"
    LIST_ID = "tasks"
    NOUN = "task"
    QUERY = TASK_QUERY
    MERGE_LOADS = True
    EMPTY_TEXT = "no tasks yet: r on a bot (1 Bots) runs one"
    #: seconds between table refreshes; None loads once (snapshot tests)
    POLL_SECONDS: ClassVar[float | None] = 2.0
    #: the clock ages and durations are measured with (tests fix it)
    clock: ClassVar[staticmethod[[], datetime]] = staticmethod(utcnow)
    WRITE_ACTIONS: ClassVar[dict[str, str]] = {"run_again": "tasks:write",
                                               "cancel_tasks": "tasks:write"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "attach", "Attach", id="tasks.attach"),
        Binding("s", "split", "Split", id="tasks.split"),
        Binding("x", "cancel_tasks", "Cancel", id="tasks.cancel"),
        Binding("space", "mark", "Mark", id="tasks.mark", show=False),
        Binding("r", "run_again", "Run again", id="tasks.run"),
        Binding("tab", "cycle_focus(1)", "Next pane", id="tasks.next_pane", show=False),
        Binding("shift+tab", "cycle_focus(-1)", "Previous pane", id="tasks.prev_pane",
                show=False),
        Binding("z", "zoom", "Zoom panes", id="tasks.zoom", show=False),
        Binding("m", "older", "Older tasks", id="tasks.older", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.bot_names: dict[str, str] = {}
        self.summaries: dict[str, TaskSummary] = {}
        self.stats: TaskStats | None = None
        self.marked: set[str] = set()
        self.older_cursor: str | None = None
        self.active_pane: TaskPane | None = None
        self._age_reference: datetime | None = None
        self._columns = self._make_columns()

    # --- the list ---------------------------------------------------------------

    def _make_columns(self) -> tuple[Column[Task], ...]:
        def now() -> datetime:
            return self.clock()

        return (
            Column("mark", "", 1, lambda t, w: cell("●" if t.id in self.marked else "", w,
                                                    style="bold")),
            Column("bot", "bot", 14,
                   lambda t, w: cell(self.bot_names.get(t.bot_id, t.bot_id), w)),
            Column("status", "status", 9,
                   lambda t, w: cell(t.status, w, style=TASK_STATUS_STYLES.get(t.status, ""))),
            Column("calls", "calls", 5, lambda t, w: count_cell(t.tool_calls, w)),
            Column("errors", "err", 3, lambda t, w: count_cell(
                self.summaries[t.id].errors if t.id in self.summaries else 0, w,
                style_if_any="yellow")),
            Column("denied", "den", 3,
                   lambda t, w: count_cell(t.denials, w, style_if_any="bold red")),
            Column("last", "last event", 18,
                   lambda t, w: cell(last_event_words(self.summaries.get(t.id)), w,
                                     style="red" if self._last_was_bad(t) else ""),
                   min_table_width=100),
            Column("age", "age", 4,
                   lambda t, w: cell(format_age(
                       (self.age_reference() - t.created_at).total_seconds()), w, right=True)),
            Column("duration", "took", 6, lambda t, w: cell(task_duration(t, now()), w,
                                                            right=True)),
            Column("id", "id", 12, lambda t, w: cell(t.id, w), flex=1),
            Column("input", "input", 10, lambda t, w: cell(first_line(t.input), w, style="dim"),
                   flex=3, min_table_width=110),
        )

    def age_reference(self) -> datetime:
        """The time every age cell is measured from: the clock, moved on only once it is
        ``AGE_STEP`` ahead, so the ages of an idle table change together, twice a minute
        (each exact when drawn)."""
        now = self.clock()
        if self._age_reference is None or abs(
                (now - self._age_reference).total_seconds()) >= AGE_STEP:
            self._age_reference = now
        return self._age_reference

    def _last_was_bad(self, task: Task) -> bool:
        summary = self.summaries.get(task.id)
        return summary is not None and summary.last_event_type in ("denied", "error")

    def columns(self) -> Sequence[Column[Task]]:
        return self._columns

    def key_of(self, item: Task) -> str:
        return item.id

    def search_fields(self, item: Task) -> Iterable[str]:
        return (item.id, item.bot_id, self.bot_names.get(item.bot_id, ""), item.status,
                item.input[:500])

    def matches_term(self, item: Task, key: str, value: str) -> bool:
        if key == "status":
            return item.status == value
        if key == "bot":
            wanted = value.casefold()
            name = self.bot_names.get(item.bot_id, "").casefold()
            return wanted in name or wanted == item.bot_id.casefold()
        if key == "since":
            back = parse_duration(value)
            return back is None or item.created_at >= self.clock() - back
        return True

    def values_of(self, key: QueryKey) -> Sequence[tuple[str, str]]:
        if key.name == "bot":
            names = sorted(set(self.bot_names.values()), key=str.casefold)
            return [(n, n) for n in names]
        return ()

    def visible_items(self) -> list[Task]:
        query = self.filter_query
        shown = [t for t in self.items.values() if self.matches(t, query)]
        shown.sort(key=lambda t: t.id, reverse=True)  # ids are time-ordered: newest first
        return shown

    def sort_orders(self) -> Sequence[Any]:
        return ()  # always newest first: a live list that reorders under the cursor misleads

    # --- loading ----------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        if self.POLL_SECONDS is not None:
            self.set_interval(self.POLL_SECONDS, self._poll_due, name="tasks-poll")

    def compose_above(self) -> ComposeResult:
        yield TaskOverview(id="tasks-overview")

    def compose_extra(self) -> ComposeResult:
        yield Container(id="panes")

    def _poll_due(self) -> None:
        if not self.loading_now():
            self.load()

    async def fetch(self, client: AsyncClient) -> AsyncIterator[list[Task]]:
        """The newest tasks and every active one; with a status or bot filter, those too."""
        query = self.filter_query
        pages = [client.tasks.list(limit=PAGE_SIZE)]
        for active in sorted(ACTIVE_TASK_STATUSES):
            pages.append(client.tasks.list(status=active, limit=PAGE_SIZE))
        status = query.get("status")
        bot = self._bot_id_for(query.get("bot"))
        if status or bot:
            pages.append(client.tasks.list(status=status, bot_id=bot, limit=PAGE_SIZE))
        newest = None
        for index, pager in enumerate(pages):
            page = await pager
            if index == 0:
                newest = page
            await self._learn_names(client, page.data)
            yield page.data
        if newest is not None and self.older_cursor is None and not self.items:
            self.post_message(OlderLoaded(newest.next_cursor))

    def _bot_id_for(self, ref: str | None) -> str | None:
        if not ref:
            return None
        exact = [i for i, n in self.bot_names.items() if n.casefold() == ref.casefold()]
        return exact[0] if len(exact) == 1 else (ref if ref.startswith("bot_") else None)

    async def _learn_names(self, client: AsyncClient, tasks: list[Task]) -> None:
        names: dict[str, str] = {}
        for bot_id in {t.bot_id for t in tasks} - set(self.bot_names):
            try:
                names[bot_id] = (await client.bots.get(bot_id)).name
            except NotFoundError:
                names[bot_id] = bot_id
            except MonstrumError:
                continue
        if names:
            self.post_message(BotNamesLoaded(names))

    @on(BotNamesLoaded)
    def _names(self, message: BotNamesLoaded) -> None:
        self.bot_names.update(message.names)

    def loaded(self) -> None:
        self._bound_rows()
        self.fetch_stats(self._wanting_summaries())

    def _wanting_summaries(self) -> list[str]:
        """Tasks whose summary may still change (active ones) or was never read."""
        wanted = [t.id for t in sorted(self.items.values(), key=lambda t: t.id, reverse=True)
                  if t.status in ACTIVE_TASK_STATUSES or t.id not in self.summaries
                  or self.summaries[t.id].last_event_type is None]
        return wanted[:SUMMARIES_PER_POLL]

    @work(exclusive=True, group="tasks-stats", exit_on_error=False)
    async def fetch_stats(self, task_ids: list[str]) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            stats = await client.tasks.stats(task_ids=task_ids)
        except MonstrumError:
            return  # the table still works; the overview keeps its last numbers
        self.post_message(StatsLoaded(stats))

    @on(StatsLoaded)
    def _stats(self, message: StatsLoaded) -> None:
        self.stats = message.stats
        for summary in message.stats.tasks:
            self.summaries[summary.task_id] = summary
        self.query_one(TaskOverview).show(message.stats)
        self.render_rows()

    @on(OlderLoaded)
    def _older_cursor(self, message: OlderLoaded) -> None:
        self.older_cursor = message.cursor
        self.show_status()

    def _bound_rows(self) -> None:
        excess = len(self.items) - MAX_ROWS
        if excess <= 0:
            return
        kept = self.marked | {p.task_id for p in self.panes}
        old = sorted((t for t in self.items.values()
                      if t.status in FINISHED_TASK_STATUSES and t.id not in kept),
                     key=lambda t: t.id)[:excess]
        for task in old:
            del self.items[task.id]
            self.summaries.pop(task.id, None)

    @work(exclusive=True, group="tasks-older", exit_on_error=False)
    async def load_older(self) -> None:
        if not self.older_cursor:
            return
        client = await self.monstrum.wait_for_client()
        try:
            page = await client.tasks.list(limit=PAGE_SIZE).page(self.older_cursor)
            await self._learn_names(client, page.data)
        except MonstrumError as exc:
            self.notify(f"could not load older tasks: {exc}", severity="warning", timeout=5)
            return
        self.post_message(ItemsLoaded(page.data, first=False, complete=True))
        self.post_message(OlderLoaded(page.next_cursor))

    def filter_changed(self, query: Query) -> None:
        super().filter_changed(query)
        if query.get("status") or query.get("bot"):
            self.load()  # fetch what the filter asks for, not only the newest page

    def apply_tasks(self, tasks: list[Task]) -> None:
        """Merge tasks in (from a pane's stream, a launch or a cancel)."""
        for task in tasks:
            self.items[task.id] = task
        self.render_rows()

    # --- the status line --------------------------------------------------------

    def status_parts(self) -> list[str]:
        parts = super().status_parts()
        if self.marked:
            parts.append(f"{len(self.marked)} marked: x cancels them, esc unmarks")
        if self.older_cursor:
            parts.append("m: older")
        return parts

    def clear_state(self) -> bool:
        if self.marked:
            self.marked.clear()
            self.render_rows()
            return True
        return super().clear_state()

    @on(DataTable.RowSelected)
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table is self.table:
            await self.action_attach()

    # --- marks and cancelling ---------------------------------------------------

    def action_mark(self) -> None:
        task = self.current_item()
        if task is None:
            return
        if task.id in self.marked:
            self.marked.discard(task.id)
        elif task.status in ACTIVE_TASK_STATUSES:
            self.marked.add(task.id)
        else:
            self.notify(f"{task.id} is {task.status}: only queued or running tasks can be "
                        "cancelled", severity="warning", timeout=3)
        self.render_rows()
        self.table.action_cursor_down()

    def action_cancel_tasks(self) -> None:
        if refuse(self, "cancel_tasks", "cancelling a task"):
            return
        chosen = sorted(self.marked) if self.marked else [self.cursor_key() or ""]
        tasks = [self.items[i] for i in chosen if i in self.items]
        active = [t for t in tasks if t.status in ACTIVE_TASK_STATUSES]
        if not active:
            if tasks:
                self.notify(f"{tasks[0].id} is {tasks[0].status}: nothing to cancel",
                            severity="warning", timeout=3)
            return
        self.confirm_cancel([t.id for t in active])

    def confirm_cancel(self, task_ids: list[str]) -> None:
        def answered(yes: object) -> None:
            if yes is True:
                self.marked -= set(task_ids)
                for task_id in task_ids:
                    self.cancel_task(task_id)

        if len(task_ids) == 1:
            question = f"Cancel task {task_ids[0]}?"
        else:
            question = f"Cancel {len(task_ids)} tasks?"
        self.app.push_screen(
            ConfirmScreen(question, "The bot stops at once; calls already made are not undone.",
                          confirm_label="Cancel task" if len(task_ids) == 1 else "Cancel all"),
            answered,
        )

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("attach", "split", "run_again", "mark", "cancel_tasks"):
            if action == "cancel_tasks" and self.marked:
                return True
            return True if self.cursor_key() else None
        return super().check_action(action, parameters)

    # --- panes --------------------------------------------------------------

    @property
    def panes(self) -> list[TaskPane]:
        return list(self.query_one("#panes").query_children(TaskPane))

    def pane_of(self, task_id: str) -> TaskPane | None:
        return next((p for p in self.panes if p.task_id == task_id), None)

    async def open_pane(self, task_id: str, *, split: bool, bot_name: str = ""
                        ) -> TaskPane | None:
        """Watch ``task_id``: in a new pane (``split``) or in place of the active pane."""
        existing = self.pane_of(task_id)
        if existing is not None:
            existing.event_log.focus()
            return existing
        panes = self.panes
        task = self.items.get(task_id)
        if task is not None:
            bot_name = self.bot_names.get(task.bot_id, "") or bot_name
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
        task_id = self.cursor_key()
        if task_id is not None:
            await self.open_pane(task_id, split=False)

    async def action_split(self) -> None:
        task_id = self.cursor_key()
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
        self.set_focus(stops[index])

    def action_zoom(self) -> None:
        if not self.panes:
            return
        self.toggle_class("-zoomed")
        if self.has_class("-zoomed") and self.table.has_focus:
            self.panes[0].event_log.focus()

    def action_older(self) -> None:
        self.load_older()

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
        task = self.items.get(message.pane.task_id)
        if task is not None:
            self.apply_tasks([task.model_copy(update=message.changes)])

    @on(TaskPane.Loaded)
    def _pane_loaded(self, message: TaskPane.Loaded) -> None:
        """A pane opened on a task the table did not have: add it, and name its bot."""
        self.apply_tasks([message.task])
        name = self.bot_names.get(message.task.bot_id)
        if name:
            message.pane.set_bot_name(name)
        else:
            self.name_pane_bot(message.pane, message.task.bot_id)

    @work(group="pane-names", exit_on_error=False)
    async def name_pane_bot(self, pane: TaskPane, bot_id: str) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            name = (await client.bots.get(bot_id)).name
        except NotFoundError:
            name = bot_id
        except MonstrumError:
            return
        self.post_message(BotNamesLoaded({bot_id: name}))
        if pane.is_attached:
            pane.set_bot_name(name)

    @on(EventLog.FollowChanged)
    def _follow_changed(self) -> None:
        self.refresh_bindings()

    # --- running ------------------------------------------------------------

    def launch_form(self, bot_id: str, bot_name: str, **prefill: Any) -> None:
        async def launched(task: object) -> None:
            if isinstance(task, Task):
                self.bot_names.setdefault(task.bot_id, bot_name or task.bot_id)
                self.apply_tasks([task])
                await self.open_pane(task.id, split=True)
                self.notify(f"started {task.id}", timeout=3)

        self.app.push_screen(TaskLaunchScreen(bot_id, bot_name, **prefill), launched)

    def action_run_again(self) -> None:
        task = self.current_item()
        if task is not None and not refuse(self, "run_again", "running a task"):
            self.launch_form(task.bot_id, self.bot_names.get(task.bot_id, ""),
                             input_text=task.input, metadata=task.metadata)

    @on(RunBotRequested)
    def _run_bot(self, request: RunBotRequested) -> None:
        request.stop()
        self.launch_form(request.bot_id, request.bot_name)

    @on(OpenTaskRequested)
    async def _open_task(self, request: OpenTaskRequested) -> None:
        request.stop()
        await self.open_pane(request.task_id, split=True, bot_name=request.bot_name)

    @on(TaskPane.CancelRequested)
    def _cancel_requested(self, message: TaskPane.CancelRequested) -> None:
        self.confirm_cancel([message.pane.task_id])

    @on(TaskPane.DecisionRequested)
    def _decision_requested(self, message: TaskPane.DecisionRequested) -> None:
        ask_and_decide(self, message.approval, approve=message.approve)
