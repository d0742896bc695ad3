"""A live pane on one task: follows its event stream and shows it in an ``EventLog``.

The stream worker only appends to ``buffer``; a timer flushes the buffer into the log
every ``FLUSH_SECONDS``, so a fast task costs one redraw per tick, not one per event,
and input is never blocked. When the buffer backs up the worker waits (backpressure on
the connection) instead of growing without bound.

The title and status lines follow the stream too, but a change of their counts alone
("1,204 events") is drawn at most every ``COUNTS_SECONDS``: each redraw sends the whole
line, which at a few events a second cost more than the events themselves. A change of
anything else (the status, the link, paused or following) is drawn at the next tick.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label

from ...client.errors import APIConnectionError, MonstrumAPIError, MonstrumError, NotFoundError
from ...client.models import FINISHED_TASK_STATUSES, Approval, Task, TaskEvent
from ...client.sse import StreamStatus
from ..messages import ShowAuditRequested
from ..task_entries import MAX_ENTRIES
from ..visible_text import visible
from ..write_access import refuse
from .event_log import EventLog
from .typed_fields import FieldInput

if TYPE_CHECKING:
    from ..app import MonstrumApp

#: how often buffered events are drawn (20 times a second)
FLUSH_SECONDS = 0.05
#: events folded into the log at a time: a tick folds chunks until ``FLUSH_BUDGET`` is
#: spent and leaves the rest to the next tick, so keys are never queued behind a backlog
FLUSH_CHUNK = 1_000
FLUSH_BUDGET = 0.015
#: the stream worker waits while this many events are buffered and not yet drawn
BUFFER_HIGH = 50_000
#: after the SDK gives up reconnecting, wait this long and attach again (from the last seq)
REATTACH_SECONDS = 2.0
#: a state line whose only change is a count is drawn again at most this often
COUNTS_SECONDS = 0.5

_COUNTS = re.compile(r"[\d,]+")


def only_counts_differ(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """Whether ``new`` says what ``old`` said but for its numbers."""
    return [_COUNTS.sub("#", line) for line in old] == [_COUNTS.sub("#", line) for line in new]


class PaneSearch(FieldInput):
    """The pane's ``/`` search line: ``enter`` keeps the term, ``esc`` clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close search", id="pane.search_close"),
    ]

    def action_close(self) -> None:
        self.value = ""
        pane = self.parent
        if isinstance(pane, TaskPane):
            pane.close_search()


class TaskPane(Vertical):
    """One task's live event log, with its state line and search."""

    BINDING_GROUP_TITLE = "Task pane"
    WRITE_ACTIONS: ClassVar[dict[str, str]] = {"cancel_task": "tasks:write"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="pane.search", key_display="/"),
        Binding("n", "find(1)", "Next match", id="pane.next_match", show=False),
        Binding("N", "find(-1)", "Previous match", id="pane.prev_match", show=False),
        Binding("y,c", "copy", "Copy event", id="pane.copy"),
        Binding("x", "cancel_task", "Cancel task", id="pane.cancel"),
        Binding("a", "decide(True)", "Approve call", id="pane.approve"),
        Binding("d", "decide(False)", "Reject call", id="pane.reject"),
        Binding("A", "show_audit", "Audit", id="pane.audit", show=False),
        Binding("w", "close_pane", "Close pane", id="pane.close"),
    ]

    class CloseRequested(Message):
        """The user asked to close this pane."""

        def __init__(self, pane: TaskPane) -> None:
            super().__init__()
            self.pane = pane

    class CancelRequested(Message):
        """The user asked to cancel the pane's task (the screen confirms first)."""

        def __init__(self, pane: TaskPane) -> None:
            super().__init__()
            self.pane = pane

    class DecisionRequested(Message):
        """The user asked to approve or reject the call the task waits on."""

        def __init__(self, pane: TaskPane, approval: Approval, approve: bool) -> None:
            super().__init__()
            self.pane = pane
            self.approval = approval
            self.approve = approve

    class Loaded(Message):
        """The pane read its task itself (it was opened by id, from the audit log say)."""

        def __init__(self, pane: TaskPane, task: Task) -> None:
            super().__init__()
            self.pane = pane
            self.task = task

    class Progress(Message):
        """The pane's stream changed the task's status or counts (the table follows)."""

        def __init__(self, pane: TaskPane, changes: dict[str, object]) -> None:
            super().__init__()
            self.pane = pane
            self.changes = changes

    def __init__(
        self,
        task_id: str,
        *,
        bot_name: str = "",
        task: Task | None = None,
        stream: bool = True,
        limit: int = MAX_ENTRIES,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="task-pane")
        self.task_id = task_id
        self.bot_name = bot_name
        self.task_info = task
        self.stream = stream
        self.limit = limit
        self.buffer: list[TaskEvent] = []
        #: "connecting", "live", "reconnecting", "lost", "ended", "missing"
        self.link = "connecting"
        self.link_detail = ""
        #: the link states the pane has shown, oldest first (the last 50)
        self.link_history: list[str] = [self.link]
        self._received_seq: int | None = None
        self._drained = asyncio.Event()
        self._dirty = True
        #: the title and status lines as last drawn, and when
        self._shown: tuple[str, ...] = ()
        self._shown_at = 0.0
        self._flush_timer: Timer | None = None
        #: the task's call waiting for a person, as its last approval event said
        self.waiting_approval: Approval | None = None

    def compose(self) -> ComposeResult:
        yield Label("", classes="pane-title", markup=False)
        yield EventLog(limit=self.limit, classes="pane-log")
        yield Label("", classes="pane-status", markup=False)
        yield PaneSearch(placeholder="search events… (enter: keep, n/N: next/previous)",
                         classes="pane-search", compact=True)

    @property
    def event_log(self) -> EventLog:
        return self.query_one(EventLog)

    @property
    def monstrum(self) -> MonstrumApp:
        return cast("MonstrumApp", self.app)

    def on_mount(self) -> None:
        self._flush_timer = self.set_interval(FLUSH_SECONDS, self.flush, name="pane-flush")
        self.show_state()
        if self.stream:
            self.follow_stream()

    # --- the stream ---------------------------------------------------------

    def feed(self, events: list[TaskEvent]) -> None:
        """Queue events for the next flush (what the stream worker does, one at a time)."""
        self.buffer.extend(events)
        if events:
            self._received_seq = events[-1].seq

    def _set_link(self, link: str, detail: str = "") -> None:
        if link != self.link:
            self.link_history.append(link)
            del self.link_history[:-50]
        self.link, self.link_detail = link, detail
        self._dirty = True

    def _on_stream_status(self, status: StreamStatus) -> None:
        if status.state == "connected":
            self._set_link("live")
        else:
            error = f": {status.error}" if status.error else ""
            self._set_link("reconnecting", f"attempt {status.attempt}{error}")

    @work(group="pane-stream", exit_on_error=False)
    async def follow_stream(self) -> None:
        """Follow the task's events until its last one, re-attaching after long outages."""
        client = await self.monstrum.wait_for_client()
        if self.task_info is None:
            try:
                self.task_info = await client.tasks.get(self.task_id)
            except NotFoundError:
                self._set_link("missing", f"no task {self.task_id}")
                return
            except MonstrumError:
                pass  # the stream below says what is wrong
            else:
                self.post_message(self.Loaded(self, self.task_info))
            self._dirty = True
        while True:
            stream = client.tasks.events(
                self.task_id, after=self._received_seq, on_status=self._on_stream_status
            )
            try:
                async for event in stream:
                    self.buffer.append(event)
                    self._received_seq = event.seq
                    if len(self.buffer) >= BUFFER_HIGH:
                        self._drained.clear()
                        await self._drained.wait()
                self._set_link("ended")
                return
            except NotFoundError:
                self._set_link("missing", f"no task {self.task_id}")
                return
            except (APIConnectionError, MonstrumAPIError) as exc:
                self._set_link("lost", f"{getattr(exc, 'message', exc)} · retrying")
                self.monstrum.connection_problem()
            except Exception:
                if client is self.monstrum.client:
                    raise
                # the app closed this client and opens another (its embedded platform
                # restarted): attach again through the new one, from the last seq
                self._set_link("lost", "the platform restarted · re-attaching")
            finally:
                await stream.aclose()
            await asyncio.sleep(REATTACH_SECONDS)
            client = await self.monstrum.wait_for_client()

    def flush(self) -> None:
        """Draw what the stream brought since the last tick (timer callback)."""
        if self.buffer:
            deadline = time.perf_counter() + FLUSH_BUDGET
            done = 0
            while done < len(self.buffer) and (not done or time.perf_counter() < deadline):
                self.event_log.add_events(self.buffer[done:done + FLUSH_CHUNK])
                done += FLUSH_CHUNK
            batch = self.buffer[:done]
            del self.buffer[:done]
            self._dirty = True
            self._note_approvals(batch)
            self._report_progress(batch)
            if len(self.buffer) < BUFFER_HIGH:
                self._drained.set()
        if self._dirty:
            self._dirty = False
            self.show_state()

    def _note_approvals(self, batch: list[TaskEvent]) -> None:
        before = self.waiting_approval
        for event in batch:
            if event.type == "approval" and event.approval is not None:
                pending = event.approval.status == "pending"
                self.waiting_approval = event.approval if pending else None
            elif event.is_terminal:
                self.waiting_approval = None
        if self.waiting_approval is not before:
            self.refresh_bindings()

    def _report_progress(self, batch: list[TaskEvent]) -> None:
        entries = self.event_log.entries
        changes: dict[str, object] = {
            "status": self.status, "tool_calls": entries.tool_calls,
            "denials": entries.denials,
        }
        for event in batch:
            if event.type == "started":
                changes["started_at"] = event.timestamp
                # the task fetched when the pane opened may still say "queued"
                if changes["status"] in ("queued", "…") and event.status:
                    changes["status"] = event.status
            if event.is_terminal:
                changes["finished_at"] = event.timestamp
        if self.task_info is not None:
            known = self.task_info.model_dump()
            changes = {k: v for k, v in changes.items() if known.get(k) != v and v != "…"}
            if changes:
                self.task_info = self.task_info.model_copy(update=changes)
        if changes:
            self.post_message(self.Progress(self, changes))

    # --- what the pane says about itself ------------------------------------

    def set_bot_name(self, name: str) -> None:
        """Name the task's bot in the title (learnt after the pane opened)."""
        self.bot_name = name
        self._dirty = True

    @property
    def status(self) -> str:
        """The task's status as far as the pane knows."""
        end = self.event_log.entries.end if self.is_mounted else None
        if end is not None and end.status:
            return end.status
        if self.task_info is not None:
            return self.task_info.status
        return "…"

    def show_state(self, *, force: bool = False) -> None:
        """Draw the title and status lines (a change of counts alone waits its turn)."""
        if not self.is_mounted:
            return
        log = self.event_log
        entries = log.entries
        link = {"live": "● live", "connecting": "○ connecting", "ended": "ended"}.get(
            self.link, self.link
        )
        if self.link_detail:
            link += f" ({self.link_detail})"
        parts = [self.task_id]
        if self.bot_name:
            parts.append(visible(self.bot_name))
        parts += [self.status, f"{entries.tool_calls} calls", f"{entries.denials} denied", link]
        if not log.following:
            # said in the title too: a scroll up must never pause the pane unnoticed
            parts.append(f"⏸ paused +{log.unseen:,}")
        if log.following:
            state = f"following · {entries.total_events:,} events"
        else:
            state = f"paused · +{log.unseen:,} new · end follows"
        if log.search_term:
            matches = log.matches()
            state += f" · /{visible(log.search_term)}: {matches} match"
            state += "" if matches == 1 else "es"
        lines = (" · ".join(parts), state)
        if lines == self._shown:
            return
        now = time.monotonic()
        if (not force and self._shown and only_counts_differ(self._shown, lines)
                and now - self._shown_at < COUNTS_SECONDS):
            self._dirty = True  # the next tick tries again
            return
        before = self._shown or ("", "")
        self._shown, self._shown_at = lines, now
        # both lines are one row of the pane's width whatever they say: no layout needed
        # (a layout repaints the log's scrollbar too)
        title = self.query_one(".pane-title", Label)
        if lines[0] != before[0]:
            title.update(lines[0], layout=False)
        title.set_class(self.link in ("reconnecting", "lost", "missing"), "-trouble")
        status = self.query_one(".pane-status", Label)
        if state != before[1]:
            status.update(state, layout=False)
        status.set_class(not log.following, "-paused")

    @on(EventLog.FollowChanged)
    def _follow_changed(self) -> None:
        self._dirty = True

    # --- actions ------------------------------------------------------------

    def clear_state(self) -> bool:
        """``esc`` in the pane: drop a kept search first (then the screen goes back)."""
        log = self.event_log
        if log.search_term:
            box = self.query_one(PaneSearch)
            box.value = ""
            self.close_search()
            return True
        return False

    def action_search(self) -> None:
        box = self.query_one(PaneSearch)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, ".pane-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.event_log.set_search(event.value)
        self.show_state(force=True)

    @on(Input.Submitted, ".pane-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        log = self.event_log
        log.set_search(event.value)
        if not log.search_term:
            self.close_search()
            return
        log.focus()
        if not log.find(-1):
            self.notify(f"no event matches {log.search_term!r}", severity="warning", timeout=3)
        self.show_state(force=True)

    def close_search(self) -> None:
        box = self.query_one(PaneSearch)
        box.remove_class("-shown")
        self.event_log.set_search(box.value)
        self.event_log.focus()
        self.show_state(force=True)

    def action_find(self, direction: int) -> None:
        log = self.event_log
        if not log.search_term:
            self.action_search()
            return
        if not log.find(direction):
            self.notify(f"no event matches {log.search_term!r}", severity="warning", timeout=3)
        self._dirty = True

    def action_copy(self) -> None:
        entry = self.event_log.selected_entry()
        if entry is None:
            self.notify("no event to copy yet", timeout=2)
            return
        self.app.copy_to_clipboard(json.dumps(entry.as_json(), ensure_ascii=False, indent=2))
        self.notify(f"copied event {entry.event.seq} as JSON", timeout=2)

    def action_cancel_task(self) -> None:
        if not refuse(self, "cancel_task", "cancelling a task"):
            self.post_message(self.CancelRequested(self))

    def action_decide(self, approve: bool) -> None:
        if self.waiting_approval is not None:
            self.post_message(self.DecisionRequested(self, self.waiting_approval, approve))

    def action_show_audit(self) -> None:
        self.post_message(ShowAuditRequested(task_id=self.task_id))

    def action_close_pane(self) -> None:
        self.post_message(self.CloseRequested(self))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            # hidden, not dimmed, while nothing waits: the footer keeps its room for
            # the keys that do something now
            return self.waiting_approval is not None and not self.monstrum.connection.read_only
        if action == "cancel_task" and self.status in FINISHED_TASK_STATUSES:
            return None
        return True
