"""SVG snapshots of the screen states this dashboard added, at 80x24 and 120x36.

The server is real (a fresh one per test), what the screens show is fixed: tasks, task
stats, tool verdicts and server facts built here and handed to the screens the way their
workers would, the clocks pinned, the server's address masked.
(``pytest --snapshot-update`` accepts a change.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from monstrum_tui.client.models import (
    AuditChainState,
    Bot,
    ServerDatabase,
    ServerInfo,
    ServerLimits,
    ServerQueue,
    TaskStats,
    TaskSummary,
    Throughput,
    Tool,
    ToolAccess,
    VerificationRecord,
)
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.query import parse_query
from monstrum_tui.ui.screens.bot_form import BotFormScreen
from monstrum_tui.ui.screens.platform_state import ServerInfoLoaded, ServerScreen
from monstrum_tui.ui.screens.task_launch import TaskLaunchScreen, ToolsLoaded
from monstrum_tui.ui.screens.tasks import TASK_QUERY, StatsLoaded, TasksScreen
from tests.serverproc import ServerProcess
from tests.test_ui_tasks_snapshots import BOTS, NOW, T0, fixed_tasks
from tests.ui_pilot import wait_until

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SERVER_LABEL = "http://127.0.0.1:8400"


@pytest.fixture(scope="module")
def snap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One fresh server for the module: no bot, no task (nothing here makes any)."""
    proc = ServerProcess(data_dir=tmp_path_factory.mktemp("snaps") / "data",
                         extra_args=["--rate-limit", "0"]).start()
    yield proc
    proc.stop()


@pytest.fixture
def fixed(snap_server, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # local times on the Server screen
    time.tzset()
    monkeypatch.setattr(TasksScreen, "POLL_SECONDS", None)
    monkeypatch.setattr(TasksScreen, "clock", staticmethod(lambda: NOW))
    monkeypatch.setattr(TasksScreen, "fetch_stats", lambda self, ids: None)
    monkeypatch.setattr(ServerScreen, "REFRESH", None)
    monkeypatch.setattr(ServerScreen, "clock", staticmethod(lambda: NOW))
    monkeypatch.setattr(ServerScreen, "load_info", lambda self: None)
    monkeypatch.setattr(ServerScreen, "address", property(lambda self: SERVER_LABEL))
    monkeypatch.setattr(TaskLaunchScreen, "load_tools", lambda self: None)
    monkeypatch.setattr(MonstrumApp, "server_label", property(lambda self: SERVER_LABEL))
    yield snap_server
    monkeypatch.delenv("TZ")
    time.tzset()


def make_app(srv, screen: str = "tasks") -> MonstrumApp:
    return MonstrumApp(api_base=srv.url, api_key=srv.admin_key, watch_terminal=False,
                       initial_screen=screen)


def fixed_stats() -> TaskStats:
    calls = [0, 0, 1, 3, 2, 0, 4, 6, 5, 8, 7, 9, 4, 6, 3, 5]
    denials = [0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 0, 3, 0, 1, 0, 1]
    summaries = [
        TaskSummary(task_id="task_00000000000000001", errors=0, last_event_type="complete",
                    last_event_at=T0),
        TaskSummary(task_id="task_00000000000000002", errors=1, last_event_type="error",
                    last_event_at=T0),
        TaskSummary(task_id="task_00000000000000003", errors=0, last_event_type="error",
                    last_event_at=T0),
        TaskSummary(task_id="task_00000000000000004", errors=0, last_event_type="complete",
                    last_event_at=T0),
        TaskSummary(task_id="task_00000000000000005", errors=0, last_event_type="denied",
                    last_event_tool="read_file", last_event_at=T0),
        TaskSummary(task_id="task_00000000000000006", errors=0),
    ]
    return TaskStats(
        generated_at=NOW,
        counts={"queued": 1, "running": 1, "completed": 2, "failed": 1, "cancelled": 1},
        recent_seconds=3600,
        recent={"queued": 0, "running": 0, "completed": 2, "failed": 1, "cancelled": 1},
        throughput=Throughput(start=NOW - timedelta(seconds=80), bucket_seconds=5,
                              calls=calls, denials=denials, errors=[0] * 16),
        tasks=summaries,
    )


async def tasks_overview(pilot: Pilot) -> TasksScreen:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen)
                     and not app.screen.is_loading)
    screen = app.screen
    screen.bot_names.update(BOTS)
    inputs = {"completed": 'call read_file {"path": "CHANGELOG.md"}',
              "failed": 'call run_command {"command": "rm"}'}
    screen.apply_tasks([t.model_copy(update={"input": inputs.get(t.status, "say hello")})
                        for t in fixed_tasks()])
    screen.post_message(StatsLoaded(fixed_stats()))
    await pilot.pause(0.2)
    return screen


@SIZES
def test_snapshot_tasks_overview_with_a_marked_row(fixed, snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await tasks_overview(pilot)
        table = screen.table
        table.move_cursor(row=table.get_row_index("task_00000000000000005"))
        await pilot.press("space")
        await pilot.pause(0.2)

    assert snap_compare(make_app(fixed), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_tasks_filtered_by_a_query(fixed, snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await tasks_overview(pilot)
        # as typed after "/" and applied with enter (the keys are tested elsewhere)
        screen.filter_line.set_query(parse_query("bot:ops-runner status:failed", TASK_QUERY),
                                     announce=True)
        await pilot.pause(0.2)

    assert snap_compare(make_app(fixed), terminal_size=size, run_before=run_before)


def fixed_tools() -> list[ToolAccess]:
    schema = {"type": "object", "properties": {"path": {"type": "string"},
                                               "max_bytes": {"type": "integer"}},
              "required": ["path"]}
    listing = {"type": "object", "properties": {"path": {"type": "string", "default": "."}}}
    tools = []
    for name, op, input_schema, scope in (
        ("list_files", "files.read", listing, {"paths": ["docs/*", "."]}),
        ("read_file", "files.read", schema, {"paths": ["docs/*", "README.md"]}),
    ):
        tool = Tool(name=name, operation=op, input_schema=input_schema, scope_dimensions=[
            {"key": "paths", "param_paths": ["path"], "match_mode": "pattern"}])
        tools.append(ToolAccess(bot_id="bot_000000000000000001", resource_id="res_docs",
                                tool_name=name, call_name=name, operation=op, may_call=True,
                                scope_constraints=scope, tool=tool))
    tools.append(ToolAccess(bot_id="bot_000000000000000001", resource_id="res_docs",
                            tool_name="search_files", call_name="search_files",
                            operation="files.search", may_call=False, check="allowed_tools",
                            reason="search_files is not in the binding's allowed_tools"))
    return tools


@SIZES
def test_snapshot_launch_form_with_the_bots_tools(fixed, snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await tasks_overview(pilot)
        pilot.app.push_screen(TaskLaunchScreen("bot_000000000000000001", "release-notes"))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TaskLaunchScreen))
        form = pilot.app.screen
        bot = Bot(id="bot_000000000000000001", name="release-notes", created_at=T0,
                  updated_at=T0)
        form.post_message(ToolsLoaded(bot, fixed_tools()))
        await pilot.pause(0.2)

    assert snap_compare(make_app(fixed), terminal_size=size, run_before=run_before)


def fixed_info() -> ServerInfo:
    return ServerInfo(
        version="0.1.0", started_at=NOW - timedelta(hours=3, minutes=12),
        uptime_seconds=3 * 3600 + 12 * 60,
        limits=ServerLimits(max_running_tasks=16, max_running_per_bot=4, max_steps=100,
                            task_timeout_s=600, rate_limit_per_s=200,
                            audit_retention_days=90),
        queue=ServerQueue(queued=2, running=5),
        database=ServerDatabase(kind="sqlite", size_bytes=48_234_496),
        audit=AuditChainState(
            entries=128_734, head_id="aud_000000000000000001", head_at=NOW - timedelta(
                seconds=4), sealed=True,
            last_verification=VerificationRecord(at=NOW - timedelta(minutes=7), by="oncall",
                                                 ok=True, checked=10_234)),
    )


@SIZES
def test_snapshot_server_screen(fixed, snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen, ServerScreen)
                         and app.connection.usable)
        app.screen.post_message(ServerInfoLoaded(fixed_info()))
        await pilot.pause(0.2)

    assert snap_compare(make_app(fixed, "server"), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_bot_form_with_its_own_footer(fixed, snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: app.connection.usable)
        app.push_screen(BotFormScreen())
        await wait_until(pilot, lambda: isinstance(app.screen.focused, Input))
        # the binding editor has its resources and the server's preview (not "loading")
        await wait_until(pilot, lambda: app.screen.editor.preview is not None)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.2)

    assert snap_compare(make_app(fixed, "bots"), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_empty_bots_list(fixed, snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: app.connection.usable and not app.screen.is_loading)
        await pilot.pause(0.2)

    assert snap_compare(make_app(fixed, "bots"), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_a_list_the_key_may_not_read(fixed, snap_compare, size) -> None:
    import monstrum

    with monstrum.Client(api_key=fixed.admin_key, api_base=fixed.url) as c:
        reader = c.api_keys.create(name="tasks-only", scopes=["tasks:read"])
    app = MonstrumApp(api_base=fixed.url, api_key=reader.secret, watch_terminal=False,
                      initial_screen="resources")

    async def run_before(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: pilot.app.connection.usable
                         and bool(pilot.app.screen.load_error))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
