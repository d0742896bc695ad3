"""Task events are serialised once, when stored (``task_events.body``): the stream sends
those bodies, and events of a database from before revision 0007 (no body) still stream,
serialised from their payload, exactly as the same events with a body."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import monstrum
from monstrum_tui.client.models import EventType, TaskEvent
from monstrum_tui.server.event_frames import EventFrame, SerialisedEvent
from monstrum_tui.server.store import Store
from monstrum_tui.server.store.columns import utcnow
from tests.databases import fresh_postgres_database, on_postgresql


def test_an_event_without_a_stored_body_frames_as_the_same_event_with_one(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'monstrum.db'}")
    try:
        task_id = store.tasks.create("bot_x", "say hi", {}).id
        fields: list[tuple[EventType, dict[str, Any]]] = [
            ("started", {"status": "running"}),
            ("message", {"text": "a \u2028 b\r\nc \"quoted\" status", "turn": 1}),
            ("tool_call", {"tool_name": "t", "params": {"k": [1, None, "v"]}, "call_id": "c1"}),
            ("complete", {"output": "done", "status": "completed"}),
        ]
        events = [TaskEvent(seq=i, task_id=task_id, type=type_, timestamp=utcnow(), **f)
                  for i, (type_, f) in enumerate(fields, 1)]
        store.tasks.append_events([(SerialisedEvent.of(e, f), None)
                                   for e, (_, f) in zip(events, fields, strict=True)])
        with_bodies = store.tasks.frames_after(task_id, 0)
        with store.write() as conn:
            conn.exec_driver_sql("UPDATE task_events SET body = NULL")
        without = store.tasks.frames_after(task_id, 0)
        from_events = [EventFrame.of(e) for e in store.tasks.events_after(task_id, 0)]
    finally:
        store.close()
    assert with_bodies == without == from_events
    assert [f.terminal for f in without] == [False, False, False, True]
    assert [TaskEvent.model_validate_json(f.text.split("data: ", 1)[1]) for f in without] \
        == events


def test_a_database_from_before_event_bodies_still_streams_its_events(new_server) -> None:
    srv = new_server()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        bot = c.bots.create(name="old-events-bot")
        task = c.tasks.create(bot_id=bot.id, input="say one\nsay two")
        first = list(c.tasks.events(task_id=task.id))
    srv.stop()
    # the database as revision 0006 left it: no body column; the next start adds it empty
    db = sqlite3.connect(srv.data_dir / "monstrum.db")
    with db:
        db.execute("ALTER TABLE task_events DROP COLUMN body")
        db.execute("UPDATE alembic_version SET version_num = '0006'")
    db.close()
    srv.start()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        again = list(c.tasks.events(task_id=task.id))
        resumed = list(c.tasks.events(task_id=task.id, after=2))
    db = sqlite3.connect(srv.data_dir / "monstrum.db")
    try:
        bodies = db.execute("SELECT body FROM task_events").fetchall()
    finally:
        db.close()
    assert bodies and all(b == (None,) for b in bodies)  # served from the payloads
    assert [e.type for e in first] == ["started", "message", "message", "complete"]
    assert again == first
    assert resumed == first[2:]


def _store_url(tmp_path: Path) -> str:
    if on_postgresql():
        return fresh_postgres_database()
    return f"sqlite:///{tmp_path / 'monstrum.db'}"


def test_hostile_params_are_stored_and_replayed_as_given(tmp_path: Path) -> None:
    """What a bot writes reaches the payload and the body as the same values: placeholder
    look-alikes, quotes, backslashes, line separators, NUL (escaped in JSON, so also on
    PostgreSQL), huge numbers and nesting, and keys that name the event's own columns."""
    params: dict[str, Any] = {
        "sql": "%s %(task_id)s ? :seq '; DROP TABLE task_events; --",
        "text": 'a "b" \\ c \u2028 d \r\n e \x00 f \U0001f600 é',
        "big": 2**70, "neg": -(2**63) - 1, "float": 1.5e300,
        "nested": {"seq": 999, "task_id": "other", "list": [None, True, {"x": []}]},
    }
    store = Store(_store_url(tmp_path))
    try:
        task_id = store.tasks.create("bot_x", "x", {}).id
        fields: dict[str, Any] = {"tool_name": "t", "call_id": "c1", "params": params}
        event = TaskEvent(seq=1, task_id=task_id, type="tool_call", timestamp=utcnow(),
                          **fields)
        store.tasks.append_events([(SerialisedEvent.of(event, fields), None)])
        [stored] = store.tasks.events_after(task_id, 0)
        [frame] = store.tasks.frames_after(task_id, 0)
    finally:
        store.close()
    assert stored == event
    assert stored.params == params
    assert TaskEvent.model_validate_json(frame.text.split("data: ", 1)[1]) == event
    assert frame.text.count("\n") == 4  # id, event, data, blank: nothing split the data line


def test_attack_nan_params_payload_and_body_agree(tmp_path: Path) -> None:
    """ATTACK: a model's tool call arguments go through json.loads, which accepts NaN and
    Infinity. The payload (pydantic_core.to_json, inf_nan 'constants') then says NaN while
    the body (the model's serializer, inf_nan 'null') says null: the two read paths
    (events_after from the payload, frames_after from the body) disagree, and on
    PostgreSQL the payload is not valid JSON, so the whole batch fails to store."""
    import json
    import math
    params = json.loads('{"a": NaN, "b": Infinity, "c": 1}')
    store = Store(_store_url(tmp_path))
    try:
        task_id = store.tasks.create("bot_x", "x", {}).id
        fields: dict[str, Any] = {"tool_name": "t", "call_id": "c1", "params": params}
        event = TaskEvent(seq=1, task_id=task_id, type="tool_call", timestamp=utcnow(),
                          **fields)
        serialised = SerialisedEvent.of(event, fields)
        json.loads(serialised.payload, parse_constant=lambda c: 1 / 0)  # strict JSON
        store.tasks.append_events([(serialised, None)])
        [stored] = store.tasks.events_after(task_id, 0)
        [frame] = store.tasks.frames_after(task_id, 0)
    finally:
        store.close()
    replayed = TaskEvent.model_validate_json(frame.text.split("data: ", 1)[1])
    assert not any(isinstance(v, float) and math.isnan(v) for v in stored.params.values())
    assert stored.params == replayed.params
