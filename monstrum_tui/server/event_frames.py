"""A task event as the event stream sends it: serialised once, framed once.

An event's JSON (``TaskEvent``, unset fields left out) is made when the event is stored
and kept beside it (``task_events.body``); its SSE frame is made from that text. Live
watchers get the very frames of the process that stored the events, replays the bodies
from the store: no event is dumped again per watcher or per read.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..client.models import FINISHED_TASK_STATUSES, TaskEvent


def event_body(event: TaskEvent) -> str:
    """The event's wire JSON (what a ``data:`` line carries)."""
    return event.model_dump_json(exclude_none=True)


def sse_frame(seq: int, type: str, body: str) -> str:
    """One SSE message: ``id`` = seq, ``event`` = type, ``data`` = the JSON (one line:
    JSON text escapes CR and LF)."""
    return f"id: {seq}\nevent: {type}\ndata: {body}\n\n"


@dataclass(frozen=True, slots=True)
class EventFrame:
    """One stored event, ready to send."""

    seq: int
    #: the task's last event (it carries the final status)
    terminal: bool
    #: the whole SSE message
    text: str

    @classmethod
    def of(cls, event: TaskEvent, body: str | None = None) -> EventFrame:
        """The frame of an event (``body``: its JSON if already made)."""
        if body is None:
            body = event_body(event)
        return cls(event.seq, event.status in FINISHED_TASK_STATUSES,
                   sse_frame(event.seq, event.type, body))
