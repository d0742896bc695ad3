"""A task event as the event stream sends it: serialised once, framed once.

An event's JSON (``TaskEvent``, unset fields left out) is made when the event is stored
and kept beside it (``task_events.body``); its SSE frame is made from that text. Live
watchers get the very frames of the process that stored the events, replays the bodies
from the store: no event is dumped again per watcher or per read.

``TaskEvent`` stays the one home of the event's wire shape; the stored payload (the
fields without a column of their own, as the recorder was given them) is encoded by
pydantic-core too, without the JSON column's stdlib ``json.dumps`` per row.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic_core import to_json

from ..client.models import FINISHED_TASK_STATUSES, TaskEvent

#: the TaskEvent fields kept in their own columns, not in the payload
EVENT_COLUMNS = frozenset({"seq", "task_id", "type", "timestamp"})


def event_body(event: TaskEvent) -> str:
    """The event's wire JSON (what a ``data:`` line carries)."""
    # the model's own serializer, without model_dump_json's per-call argument handling
    return TaskEvent.__pydantic_serializer__.to_json(event, exclude_none=True).decode()


def sse_frame(seq: int, type: str, body: str) -> str:
    """One SSE message: ``id`` = seq, ``event`` = type, ``data`` = the JSON (one line:
    JSON text escapes CR and LF)."""
    return f"id: {seq}\nevent: {type}\ndata: {body}\n\n"


class EventFrame(NamedTuple):
    """One stored event, ready to send (a named tuple: made once per event, on the hot
    path, half the cost of a frozen dataclass)."""

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


class SerialisedEvent(NamedTuple):
    """An event with the texts it is stored as: its payload JSON and its wire JSON."""

    event: TaskEvent
    #: the fields without a column of their own (``task_events.payload``)
    payload: str
    #: the whole event (``task_events.body``, the ``data`` of its frame)
    body: str

    @classmethod
    def of(cls, event: TaskEvent, payload: dict[str, Any]) -> SerialisedEvent:
        """``payload``: the event's fields without a column of their own (none unset)."""
        # encoding the given fields takes a fifth of the time of the model dumping itself
        # less its column fields (the exclude set is converted on every call)
        # NaN and infinities as null, as the body has them (a model's json.loads gives them;
        # NaN is not JSON, and PostgreSQL refuses it)
        return cls(event, to_json(payload, inf_nan_mode="null").decode(), event_body(event))

    def frame(self) -> EventFrame:
        event = self.event
        return EventFrame(event.seq, event.status in FINISHED_TASK_STATUSES,
                          sse_frame(event.seq, event.type, self.body))
