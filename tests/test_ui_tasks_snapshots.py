"""SVG snapshots of the Tasks screen, the launch form and a task pane mid-stream.

The server is real (a fresh one, so the table starts empty), but what the screens show
is fixed: tasks and events with set ids and timestamps, the clock pinned, the stream
worker replaced by feeding the same events through the pane's buffer and flush.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from textual.pilot import Pilot
from textual.widgets import Label

from monstrum_tui.client.models import Task, TaskEvent
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.task_launch import TaskLaunchScreen
from monstrum_tui.ui.screens.tasks import TasksScreen
from monstrum_tui.ui.widgets.task_pane import TaskPane
from tests.ui_pilot import wait_until

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
NOW = T0 + timedelta(seconds=75)
SERVER_LABEL = "http://127.0.0.1:8400"
BOTS = {"bot_000000000000000001": "release-notes", "bot_000000000000000002": "ops-runner"}
LIVE = "task_00000000000000005"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fixed_tasks() -> list[Task]:
    bot1, bot2 = BOTS
    rows = [
        ("task_00000000000000001", bot1, "completed", 3, 0, 0, 1.4),
        ("task_00000000000000002", bot2, "failed", 2, 1, 10, 0.3),
        ("task_00000000000000003", bot2, "cancelled", 1, 0, 20, 6.0),
        ("task_00000000000000004", bot1, "completed", 5, 2, 30, 2.2),
        (LIVE, bot1, "running", 3, 1, 60, None),
        ("task_00000000000000006", bot2, "queued", 0, 0, 74, None),
    ]
    tasks = []
    for task_id, bot, status, calls, denials, start, took in rows:
        tasks.append(Task(
            id=task_id, bot_id=bot, status=status, tool_calls=calls, denials=denials,
            created_at=at(start),
            started_at=at(start + 0.1) if status != "queued" else None,
            finished_at=at(start + 0.1 + took) if took is not None else None,
        ))
    return tasks


def live_events() -> list[TaskEvent]:
    def ev(seq: int, seconds: float, type: str, **fields: object) -> TaskEvent:
        return TaskEvent(seq=seq, task_id=LIVE, type=type, timestamp=at(60.1 + seconds),
                         **fields)

    return [
        ev(1, 0, "started", status="running"),
        ev(2, 0.2, "message", text="Checking the release notes "),
        ev(3, 0.3, "message", text="before the 2.4 tag."),
        ev(4, 0.4, "tool_call", tool_name="list_files", call_id="c1", resource_id="res_fs",
           params={"path": "."}),
        ev(5, 0.41, "result", call_id="c1", duration_ms=3.0,
           data={"path": ".", "entries": [{"name": "README.md", "type": "file"}]}),
        ev(6, 0.9, "tool_call", tool_name="read_file", call_id="c2", resource_id="res_fs",
           params={"path": "README.md"}),
        ev(7, 0.93, "result", call_id="c2", duration_ms=27.0,
           data={"path": "README.md", "size": 42, "content": "# Demo\n"}),
        ev(8, 1.5, "denied", tool_name="read_file", params={"path": "../secret"},
           reason={"allowed": False, "check": "scope", "dimension": "paths",
                   "message": "path ../secret is outside the folders this bot may read"}),
        ev(9, 2.0, "tool_call", tool_name="read_file", call_id="c3", resource_id="res_fs",
           params={"path": "CHANGELOG.md"}),
    ]


@pytest.fixture
def fresh(new_server, monkeypatch):
    monkeypatch.setattr(TasksScreen, "POLL_SECONDS", None)
    monkeypatch.setattr(TasksScreen, "clock", staticmethod(lambda: NOW))
    monkeypatch.setattr(TasksScreen, "fetch_stats", lambda self, ids: None)
    monkeypatch.setattr(TaskLaunchScreen, "load_tools", lambda self: None)  # ids are made up

    def no_stream(self: TaskPane) -> None:
        self._set_link("live")

    monkeypatch.setattr(TaskPane, "follow_stream", no_stream)
    return new_server("--rate-limit", "0")


def make_app(srv) -> MonstrumApp:
    return MonstrumApp(api_base=srv.url, api_key=srv.admin_key, watch_terminal=False,
                       initial_screen="tasks")


async def tasks_shown(pilot: Pilot) -> TasksScreen:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen)
                     and not app.screen.is_loading)
    screen = app.screen
    screen.bot_names.update(BOTS)
    screen.apply_tasks(fixed_tasks())
    app.screen.query_one("#header-server", Label).update(SERVER_LABEL)
    await pilot.pause()
    return screen


def test_snapshot_tasks_screen(fresh, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await tasks_shown(pilot)
        await pilot.press("down")
        await pilot.pause(0.2)

    assert snap_compare(make_app(fresh), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_launch_form(fresh, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await tasks_shown(pilot)
        pilot.app.push_screen(TaskLaunchScreen(
            "bot_000000000000000001", "release-notes",
            input_text='say drafting notes\ncall read_file {"path": "CHANGELOG.md"}',
        ))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TaskLaunchScreen))
        await pilot.press("ctrl+end")

    assert snap_compare(make_app(fresh), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_pane_mid_stream(fresh, snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await tasks_shown(pilot)
        table = screen.table
        table.move_cursor(row=table.get_row_index(LIVE))
        pane = await screen.open_pane(LIVE, split=False)
        assert pane is not None
        pane.feed(live_events())
        await wait_until(pilot, lambda: pane.event_log.entries.total_events == 9)
        # the status line's counts are drawn at most every COUNTS_SECONDS
        status = pane.query_one(".pane-status", Label)
        await wait_until(pilot, lambda: "9 events" in str(status.content))
        await pilot.pause(0.1)

    assert snap_compare(make_app(fresh), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_snapshot_pane_paused_says_so_in_its_title(fresh, snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await tasks_shown(pilot)
        pane = await screen.open_pane(LIVE, split=False)
        assert pane is not None
        pane.feed(live_events())
        await wait_until(pilot, lambda: pane.event_log.entries.total_events == 9)
        await pilot.pause(0.1)
        await pilot.press("up", "up")
        pane.feed([TaskEvent(seq=10, task_id=LIVE, type="result", call_id="c3",
                             timestamp=at(62.5), duration_ms=4.0, data={"size": 120})])
        # the pane flushes on its own clock and redraws its counts at most twice a second:
        # on a loaded machine 0.3 s was not always enough for both
        await wait_until(pilot, lambda: pane.event_log.entries.total_events == 10)
        await pilot.pause(0.6)

    assert snap_compare(make_app(fresh), terminal_size=size, run_before=run_before)
