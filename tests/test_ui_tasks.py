"""The Tasks screen and live task panes, driven with Textual's pilot against the real server."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.color import Color
from textual.app import App, ComposeResult
from textual.widgets import DataTable, TextArea

from monstrum_tui.client.models import Task, TaskEvent
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.messages import OpenTaskRequested
from monstrum_tui.ui.screens.confirm import ConfirmScreen
from monstrum_tui.ui.screens.task_launch import MetadataProblem, TaskLaunchScreen, parse_metadata
from monstrum_tui.ui.screens.tasks import TasksScreen
from monstrum_tui.ui.task_entries import EventEntries
from monstrum_tui.ui.widgets.event_log import EventLog
from monstrum_tui.ui.widgets.task_pane import TaskPane
from tests.tcp_proxy import CuttableProxy
from tests.ui_pilot import screen_text, wait_until

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def make_app(url: str, key: str) -> MonstrumApp:
    return MonstrumApp(api_base=url, api_key=key, watch_terminal=False)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("alpha\n")
    (root / "secret.txt").write_text("top secret\n")
    return root


@pytest.fixture
def fs_bot(client, files):
    """A bot that may read docs/* of a filesystem resource (and nothing else)."""
    name = f"tui{uuid.uuid4().hex[:6]}"
    res = client.resources.create(type="filesystem", name=name, config={"root": str(files)})
    return client.bots.create(
        name=name, allowed_operations=["files.read"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["list_files", "read_file"],
                            "scope_constraints": {"paths": ["docs/*", "."]}}],
    )


def panes(app: MonstrumApp) -> list[TaskPane]:
    return list(app.screen.query(TaskPane))


def pane_of(app: MonstrumApp, task_id: str) -> TaskPane | None:
    return next((p for p in panes(app) if p.task_id == task_id), None)


def event(seq: int, type: str, **fields) -> TaskEvent:
    return TaskEvent(seq=seq, task_id="task_x", type=type,
                     timestamp=T0 + timedelta(seconds=seq / 10), **fields)


async def open_task(pilot, app: MonstrumApp, task_id: str) -> TaskPane:
    await wait_until(pilot, lambda: app.connection.usable)
    app.post_message(OpenTaskRequested(task_id))
    await wait_until(pilot, lambda: pane_of(app, task_id) is not None)
    return pane_of(app, task_id)


def line_color(log: EventLog, needle: str) -> Color | None:
    """The foreground colour of the visible line containing ``needle``."""
    for y in range(log.size.height):
        strip = log.render_line(y)
        if needle in strip.text:
            for segment in strip:
                if needle.split()[0] in segment.text and segment.style is not None:
                    return segment.style.color
    return None


# --- the entries model and the form's parsing (no server) ---------------------


def test_entries_pair_calls_join_text_and_stay_bounded() -> None:
    entries = EventEntries(limit=3)
    entries.add(event(1, "started"))
    entries.add(event(2, "message", text="hel"))
    entries.add(event(3, "message", text="lo"))
    call, new = entries.add(event(4, "tool_call", tool_name="read_file", call_id="c1",
                                  params={"path": "a"}))
    assert new and call.result is None
    same, new = entries.add(event(5, "result", call_id="c1", data={"ok": 1}, duration_ms=3.0))
    assert same is call and not new and call.result.seq == 5
    assert [e.kind for e in entries.entries] == ["started", "message", "call"]
    assert entries.entries[1].text == "hello" and entries.entries[1].events == 2
    entries.add(event(6, "denied", tool_name="read_file", reason={"message": "no"}))
    assert entries.trim() == 1
    assert entries.dropped_events == 1 and len(entries) == 3
    for seq in range(7, 2007):
        entries.add(event(seq, "tool_call", tool_name="t", call_id=f"c{seq}"))
        entries.trim()
    assert len(entries) == 3 and entries.dropped_events == 2006 - 3
    assert entries.tool_calls == 2002 and entries.denials == 1 and entries.gaps == 0
    copied = entries.entries[-1].as_json()
    assert copied["seq"] == 2006 and copied["tool_name"] == "t"


def test_text_of_one_turn_joins_and_a_new_turn_starts_a_new_message() -> None:
    entries = EventEntries()
    entries.add(event(1, "message", text="Let me ", turn=1))
    entries.add(event(2, "message", text="look.", turn=1))
    entries.add(event(3, "message", text="second line", turn=2))  # a new say line
    entries.add(event(4, "tool_call", tool_name="t", call_id="c1", params={}))
    entries.add(event(5, "message", text="after the call", turn=2))  # same turn, after a call
    entries.add(event(6, "result", call_id="c1", data=1))  # pairs with the call entry
    entries.add(event(7, "message", text=" and more", turn=2))
    texts = [(e.kind, e.text) for e in entries.entries]
    assert texts == [("message", "Let me look."), ("message", "second line"), ("call", ""),
                     ("message", "after the call and more")]
    assert entries.entries[0].as_json()["last_seq"] == 2


def test_metadata_problems_are_named() -> None:
    assert parse_metadata("") == {}
    assert parse_metadata('{"a": 1}') == {"a": 1}
    with pytest.raises(MetadataProblem, match="line 1, column 9"):
        parse_metadata('{"a": 1,}')
    with pytest.raises(MetadataProblem, match=r"JSON object .* not a list"):
        parse_metadata("[1, 2]")


class PaneOnly(App[None]):
    """One pane with no stream (events are fed through its buffer, as the worker does)."""

    CSS_PATH = str(Path(__file__).resolve().parent.parent / "monstrum_tui" / "ui" / "screens"
                   / "tasks.tcss")

    def compose(self) -> ComposeResult:
        yield TaskPane("task_x", stream=False, limit=5)


class UnboundedPane(PaneOnly):
    """``PaneOnly`` with the pane's default bound (for tests feeding many events)."""

    def compose(self) -> ComposeResult:
        yield TaskPane("task_x", stream=False)


async def test_a_bounded_pane_says_how_many_events_it_dropped() -> None:
    app = PaneOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TaskPane)
        pane.feed([event(1, "started")] + [
            event(seq, "tool_call", tool_name="list_files", call_id=f"c{seq}", params={})
            for seq in range(2, 21)
        ])
        await wait_until(pilot, lambda: pane.event_log.entries.total_events == 20)
        # a change of the counts alone is drawn at most every COUNTS_SECONDS
        await wait_until(pilot, lambda: "following · 20 events" in screen_text(app))
        assert len(pane.event_log.entries) == 5
        assert "… 15 earlier events dropped" in screen_text(app)


class QueuedPaneOnly(PaneOnly):
    def compose(self) -> ComposeResult:
        queued = Task(id="task_x", bot_id="bot_x", status="queued", created_at=T0)
        yield TaskPane("task_x", task=queued, stream=False)


async def test_a_pane_opened_on_a_queued_task_says_running_once_it_starts() -> None:
    app = QueuedPaneOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TaskPane)
        assert pane.status == "queued"
        pane.feed([event(1, "started", status="running"), event(2, "message", text="hi", turn=1)])
        await wait_until(pilot, lambda: pane.status == "running")
        await pilot.pause(0.1)
        assert "task_x · running · 0 calls" in screen_text(app)


# --- against the real server --------------------------------------------------


async def test_r_on_a_bot_launches_a_task_into_a_live_pane(server, client, fs_bot) -> None:
    app = make_app(server.url, server.admin_key)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#bots-table", DataTable)
        await wait_until(pilot, lambda: fs_bot.id in table.rows)
        table.move_cursor(row=table.get_row_index(fs_bot.id))
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TaskLaunchScreen))
        form = app.screen
        form.query_one("#launch-input", TextArea).text = (
            'call read_file {"path": "docs/a.txt"}\ncall read_file {"path": "secret.txt"}'
        )
        form.query_one("#launch-metadata", TextArea).text = '{"ticket": "OPS-1",}'
        await pilot.press("ctrl+s")
        error = form.query_one("#error-metadata")
        await wait_until(pilot, lambda: "not valid JSON" in str(error.content))
        assert "line 1, column 20" in str(error.content)
        assert isinstance(app.screen, TaskLaunchScreen)  # nothing was sent
        form.query_one("#launch-metadata", TextArea).text = '{"ticket": "OPS-1"}'
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen) and panes(app))
        pane = panes(app)[0]
        await wait_until(pilot, lambda: pane.status == "completed")
        task = client.tasks.get(task_id=pane.task_id)
        assert task.bot_id == fs_bot.id and task.metadata == {"ticket": "OPS-1"}
        assert (task.tool_calls, task.denials) == (2, 1)
        text = screen_text(app)
        assert "read_file" in text and "denied" in text and "completed" in text
        assert isinstance(app.focused, EventLog)
        # the table has the task's row, with its counts
        tasks_table = app.screen.query_one("#tasks-table", DataTable)
        await wait_until(pilot, lambda: pane.task_id in tasks_table.rows)
        def cell_of(key: str) -> str:
            return str(tasks_table.get_cell(pane.task_id, key))

        await wait_until(pilot, lambda: cell_of("status") == "completed")
        assert (cell_of("calls"), cell_of("denied")) == ("2", "1")


async def test_pane_mid_stream_shows_results_and_denials_in_red(server, client, fs_bot) -> None:
    task = client.tasks.create(bot_id=fs_bot.id, input="\n".join([
        "say looking at the docs",
        'call read_file {"path": "docs/a.txt"}',
        'call read_file {"path": "secret.txt"}',
        "wait 30",
    ]))
    app = make_app(server.url, server.admin_key)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            pane = await open_task(pilot, app, task.id)
            log = pane.event_log
            await wait_until(pilot, lambda: log.entries.denials == 1)
            await pilot.pause(0.1)
            assert pane.status == "running" and pane.link == "live"
            call = next(e for e in log.entries.entries if e.kind == "call")
            assert call.result is not None and call.result.type == "result"
            assert call.result.duration_ms is not None
            text = screen_text(app)
            assert "looking at the docs" in text
            assert '✓' in text and 'read_file' in text and '→ {"path": "docs/a.txt"' in text
            assert "denied read_file: path secret.txt is outside" in text
            denied = line_color(log, "denied read_file")
            ok = line_color(log, "looking at")
            assert denied is not None and denied != ok
            assert denied.triplet is not None and denied.triplet.red > 150
            assert denied.triplet.green < 120  # red, whatever the theme
            # expand the call: its params and its result appear as JSON
            await pilot.press("up")  # from the last entry (the denial) to the call
            assert log.selected_entry() is call and not log.following
            await pilot.press("enter")
            text = screen_text(app)
            assert "params" in text and '"path": "docs/a.txt"' in text and "result (" in text
            # x asks first; n keeps the task running
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("n")
            assert client.tasks.get(task_id=task.id).status == "running"
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_until(pilot, lambda: pane.status == "cancelled")
            assert client.tasks.get(task_id=task.id).status == "cancelled"
            await wait_until(pilot, lambda: "cancelled" in screen_text(app))
    finally:
        if client.tasks.get(task_id=task.id).status == "running":
            client.tasks.cancel(task_id=task.id)


async def test_follow_pauses_on_scroll_up_counts_new_events_and_end_resumes(
    server, client, fs_bot
) -> None:
    first = ['call list_files {"path": "."}'] * 40
    later = ['call read_file {"path": "docs/a.txt"}'] * 10
    app = make_app(server.url, server.admin_key)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        task = client.tasks.create(bot_id=fs_bot.id,
                                   input="\n".join([*first, "wait 5", *later]))
        pane = await open_task(pilot, app, task.id)
        log = pane.event_log
        await wait_until(pilot, lambda: log.entries.tool_calls >= 40)
        await pilot.pause(0.1)
        assert log.following and log.scroll_y == log.max_scroll_y > 0
        await pilot.press("up", "up", "up")
        assert not log.following
        paused_at = log.scroll_y
        await wait_until(pilot, lambda: log.unseen > 0)
        status = str(pane.query_one(".pane-status").content)
        assert status.startswith("paused · +") and "new" in status
        assert log.scroll_y == paused_at  # the view stays where the user put it
        await wait_until(pilot, lambda: pane.status == "completed")
        await pilot.pause(0.1)
        assert f"+{log.unseen}" in str(pane.query_one(".pane-status").content)
        await pilot.press("end")
        assert log.following and log.unseen == 0
        await pilot.pause(0.1)
        assert log.scroll_y == log.max_scroll_y
        assert str(pane.query_one(".pane-status").content).startswith("following")
        assert "completed" in screen_text(app)


async def test_search_next_previous_and_copy(server, client, fs_bot) -> None:
    lines = ['call read_file {"path": "docs/a.txt"}'] * 3
    lines.insert(1, 'call read_file {"path": "secret.txt"}')
    lines.append('call read_file {"path": "secret.txt", "max_bytes": 5}')
    task = client.tasks.run(bot_id=fs_bot.id, input="\n".join(lines))
    app = make_app(server.url, server.admin_key)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_task(pilot, app, task.id)
        log = pane.event_log
        await wait_until(pilot, lambda: pane.status == "completed")
        await pilot.press("slash", *"secret.txt", "enter")
        assert isinstance(app.focused, EventLog)
        denials = [e for e in log.entries.entries if e.kind == "denied"]
        assert len(denials) == 2
        # from the bottom, the first search goes up to the nearest match: the last denial
        assert log.selected_entry() is denials[1]
        assert "/secret.txt: 3 matches" in str(pane.query_one(".pane-status").content)
        await pilot.press("N")
        assert log.selected_entry() is denials[0]
        await pilot.press("n")
        assert log.selected_entry() is denials[1]
        await pilot.press("y")
        copied = json.loads(app.clipboard)
        assert copied["type"] == "denied" and copied["seq"] == denials[1].event.seq
        assert copied["params"] == {"path": "secret.txt", "max_bytes": 5}
        assert copied["reason"]["check"] == "scope"
        # A: the audit log of this task
        await pilot.press("A")
        await wait_until(pilot, lambda: app.current_mode == "audit")


async def test_split_panes_side_by_side_at_80x24(server, client, fs_bot) -> None:
    one = client.tasks.run(bot_id=fs_bot.id, input='call list_files {}')
    two = client.tasks.run(bot_id=fs_bot.id, input='call read_file {"path": "docs/a.txt"}')
    app = make_app(server.url, server.admin_key)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        table = screen.query_one("#tasks-table", DataTable)
        await wait_until(pilot, lambda: {one.id, two.id} <= set(table.rows))
        await pilot.press("slash", *two.id[-8:])  # the filter narrows the table
        await wait_until(pilot, lambda: list(table.rows) == [two.id])
        await pilot.press("escape")
        await wait_until(pilot, lambda: {one.id, two.id} <= set(table.rows))
        assert app.focused is table
        table.move_cursor(row=table.get_row_index(one.id))
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(panes(app)) == 1)
        await pilot.press("tab")  # back to the table (the pane took focus)
        assert app.focused is table
        table.move_cursor(row=table.get_row_index(two.id))
        await pilot.press("s")
        await wait_until(pilot, lambda: len(panes(app)) == 2)
        first, second = panes(app)
        await wait_until(pilot, lambda: first.status == second.status == "completed")
        await pilot.pause(0.1)
        # side by side: same row, half the width each
        assert first.region.y == second.region.y
        assert first.region.right <= second.region.x
        assert first.region.width >= 38 and second.region.width >= 38
        assert app.focused is second.event_log
        await pilot.press("tab")
        assert app.focused is table
        await pilot.press("tab")
        assert app.focused is first.event_log
        await pilot.press("w")
        await wait_until(pilot, lambda: len(panes(app)) == 1)
        assert panes(app)[0] is second and app.focused is second.event_log
        await pilot.press("w")
        await wait_until(pilot, lambda: not panes(app))
        assert app.focused is table


async def test_lost_connection_shows_and_resumes_with_no_gap(server, client, fs_bot) -> None:
    proxy = CuttableProxy(server.port).start()
    # ~6 s of events: the cut must land while the task still runs, even on a busy machine
    task = client.tasks.create(bot_id=fs_bot.id, input="\n".join(
        'call list_files {"path": "."}\nwait 0.1' for _ in range(60)))
    app = make_app(proxy.url, server.admin_key)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            pane = await open_task(pilot, app, task.id)
            log = pane.event_log
            await wait_until(pilot, lambda: log.entries.total_events >= 10)
            proxy.cut()
            await wait_until(pilot, lambda: "reconnecting" in pane.link_history)
            await wait_until(pilot, lambda: pane.status == "completed", limit=40)
            stored = list(client.tasks.events(task_id=task.id))
            assert log.entries.total_events == len(stored) and log.entries.gaps == 0
            assert log.entries.last_seq == stored[-1].seq
            # the status can land a moment before the stream's end is recorded
            await wait_until(pilot, lambda: pane.link_history[-1] == "ended")
            assert pane.link_history[-3:] == ["reconnecting", "live", "ended"]
    finally:
        proxy.stop()


async def test_a_pane_survives_the_embedded_platform_dying(tmp_path, monkeypatch) -> None:
    """The app restarts its embedded platform with a new client; the pane re-attaches."""
    monkeypatch.setenv("MONSTRUM_DATA_DIR", str(tmp_path / "embedded"))
    app = MonstrumApp(watch_terminal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable, limit=60)
        client = await app.wait_for_client()
        bot = await client.bots.create(name="dies-mid-task")
        task = await client.tasks.create(bot_id=bot.id, input="\n".join(
            f"say line {i}\nwait 0.2" for i in range(100)))
        pane = await open_task(pilot, app, task.id)
        await wait_until(pilot, lambda: pane.event_log.entries.total_events >= 3)
        first = app.embedded.process
        first.kill()
        # the platform started again takes the task over and goes on where it stopped
        await wait_until(pilot, lambda: pane.status == "completed", limit=90)
        assert app.embedded.process is not first and app.client is not client
        await wait_until(pilot, lambda: pane.link_history[-1] == "ended")
        entries = pane.event_log.entries
        assert entries.gaps == 0 and entries.end is not None
        assert entries.total_events == entries.last_seq
        assert pane.link_history[-2:] == ["live", "ended"]  # re-attached, then the end
        assert {"reconnecting", "lost"} & set(pane.link_history[:-2])
