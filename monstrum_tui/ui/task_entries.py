"""A task's events as the entries a pane shows: calls paired with their results, the
streamed text of one model turn joined, and at most ``limit`` entries kept (the oldest are
dropped and counted).

Pure data, no widgets: the event log renders it, tests and the bench feed it directly.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from ..client.models import TaskEvent

#: entries a pane keeps; older ones are dropped (and counted) so memory stays flat
MAX_ENTRIES = 5_000

EntryKind = Literal["started", "message", "call", "denied", "error", "end", "approval"]


@dataclass(eq=False)
class EventEntry:
    """One line (or, expanded, one block) of a pane.

    ``call`` entries hold the ``tool_call`` event and, once it arrives, its ``result`` (or
    the ``error`` with the same ``call_id``). ``message`` entries hold consecutive model
    text chunks of one turn (same ``turn``) joined into ``text``. ``version`` changes
    whenever the entry does, so a renderer can cache by (serial, version).
    """

    serial: int
    kind: EntryKind
    event: TaskEvent
    result: TaskEvent | None = None
    text: str = ""
    events: int = 1
    expanded: bool = False
    version: int = 0
    _search: str | None = field(default=None, repr=False)
    #: the seq of the last chunk joined into a ``message`` entry
    _joined_seq: int | None = field(default=None, repr=False)

    @property
    def turn(self) -> int | None:
        """The model turn of a ``message`` entry (its first event's)."""
        return self.event.turn

    @property
    def last_seq(self) -> int:
        if self.result is not None:
            return self.result.seq
        return self._joined_seq if self._joined_seq is not None else self.event.seq

    @property
    def failed(self) -> bool:
        """A call whose tool failed, an error, a denial or a task that did not complete."""
        if self.kind == "call":
            return self.result is not None and self.result.type == "error"
        if self.kind == "end":
            return self.event.status != "completed"
        return self.kind in ("denied", "error")

    def touch(self) -> None:
        self.version += 1
        self._search = None

    def search_text(self) -> str:
        """Everything a search may match, lower-cased (cached until the entry changes)."""
        if self._search is None:
            self._search = json.dumps(self.as_json(), ensure_ascii=False, default=str).lower()
        return self._search

    def as_json(self) -> dict[str, Any]:
        """The entry as JSON data (what ``copy`` puts on the clipboard)."""
        if self.kind == "message":
            return {
                "type": "message",
                "task_id": self.event.task_id,
                "seq": self.event.seq,
                "last_seq": self.last_seq,
                "timestamp": self.event.timestamp.isoformat(),
                "text": self.text,
            }
        data = self.event.model_dump(mode="json", exclude_none=True)
        if self.result is not None:
            data["result"] = self.result.model_dump(mode="json", exclude_none=True)
        return data


def _kind_of(event: TaskEvent, terminal: bool) -> EntryKind:
    if terminal:
        return "end"
    if event.type == "tool_call":
        return "call"
    if event.type in ("started", "message", "denied", "approval"):
        return event.type
    return "error"


class EventEntries:
    """The entries of one pane, in order, bounded; ``add`` folds each event in."""

    def __init__(self, limit: int = MAX_ENTRIES) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.entries: deque[EventEntry] = deque()
        #: stream events whose entries were dropped to stay within ``limit``
        self.dropped_events = 0
        self.total_events = 0
        self.tool_calls = 0
        self.denials = 0
        self.last_seq: int | None = None
        #: times an event's seq did not follow the previous one (a stream that lost events)
        self.gaps = 0
        self.end: TaskEvent | None = None
        self._next_serial = 0
        self._open_calls: dict[str, EventEntry] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def first_serial(self) -> int:
        return self.entries[0].serial if self.entries else self._next_serial

    def by_serial(self, serial: int) -> EventEntry | None:
        index = serial - self.first_serial
        if 0 <= index < len(self.entries):
            return self.entries[index]
        return None

    def add(self, event: TaskEvent) -> tuple[EventEntry, bool]:
        """Fold one event in; returns the entry it landed in and whether that entry is new."""
        self.total_events += 1
        if self.last_seq is not None and event.seq != self.last_seq + 1:
            self.gaps += 1
        self.last_seq = event.seq
        if event.type == "tool_call":
            self.tool_calls += 1
        elif event.type == "denied":
            self.tool_calls += 1
            self.denials += 1
        terminal = event.is_terminal
        if terminal:
            self.end = event
        kind = _kind_of(event, terminal)
        if kind == "error" and event.type in ("result", "error") and event.call_id:
            call = self._open_calls.pop(event.call_id, None)
            if call is not None:
                call.result = event
                call.events += 1
                call.touch()
                return call, False
        if kind == "message" and self.entries:
            last = self.entries[-1]
            # streamed chunks of one model turn join; a new turn (or say line) is a new entry
            if last.kind == "message" and last.turn == event.turn:
                last.text += event.text or ""
                last._joined_seq = event.seq
                last.events += 1
                last.touch()
                return last, False
        entry = EventEntry(self._next_serial, kind, event)
        self._next_serial += 1
        if kind == "message":
            entry.text = event.text or ""
            entry.expanded = True
        elif kind == "end":
            entry.expanded = True
        elif kind == "call" and event.call_id:
            self._open_calls[event.call_id] = entry
        self.entries.append(entry)
        return entry, True

    def trim(self) -> int:
        """Drop the oldest entries beyond ``limit``; returns how many were dropped."""
        excess = len(self.entries) - self.limit
        for _ in range(max(0, excess)):
            old = self.entries.popleft()
            self.dropped_events += old.events
            if old.kind == "call" and old.result is None and old.event.call_id:
                self._open_calls.pop(old.event.call_id, None)
        return max(0, excess)
