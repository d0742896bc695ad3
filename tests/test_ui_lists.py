"""The list skeleton every table shares: k9s keys, remapping by id, esc that clears first,
fixed widths, filters that keep holding, read-only keys. Against the real server."""

from __future__ import annotations

import uuid

import pytest
from textual.widgets import DataTable, Label

from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.audit import AuditScreen
from monstrum_tui.ui.screens.bots import COLUMNS as BOT_COLUMNS
from monstrum_tui.ui.screens.bots import BotsScreen
from monstrum_tui.ui.screens.list_screen import fit_columns
from monstrum_tui.ui.screens.resources import ResourcesScreen
from monstrum_tui.ui.screens.tasks import TasksScreen
from tests.ui_pilot import screen_text, wait_until


def make_app(server, key: str | None = None, **kw) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=key or server.admin_key,
                       watch_terminal=False, **kw)


@pytest.fixture
def made(client):
    bots: list = []
    yield bots
    for bot in bots:
        try:
            client.bots.delete(bot_id=bot.id)
        except Exception:
            pass


def table_of(app: MonstrumApp) -> DataTable:
    return app.screen.query_one(".list-table", DataTable)


def status_of(app: MonstrumApp) -> str:
    return str(app.screen.query_one(".list-status", Label).content)


def test_every_status_has_one_style() -> None:
    from typing import get_args

    from monstrum_tui.client.models import TASK_STATUSES, AuditStatus
    from monstrum_tui.ui.cells import AUDIT_STATUS_STYLES, TASK_STATUS_STYLES

    assert set(TASK_STATUSES) <= set(TASK_STATUS_STYLES)  # add a state: give it a style
    assert set(get_args(AuditStatus)) <= set(AUDIT_STATUS_STYLES)


def test_columns_fit_the_width_and_one_takes_what_is_left() -> None:
    at_80 = fit_columns(BOT_COLUMNS, 80)
    assert [c.key for c, _w in at_80] == ["name", "id", "model", "status", "bindings"]
    assert sum(w + 2 for _c, w in at_80) + 1 == 80  # the flexible name fills the row
    at_120 = dict((c.key, w) for c, w in fit_columns(BOT_COLUMNS, 120))
    assert "created" in at_120 and at_120["id"] == 22  # only the flexible one grows


@pytest.mark.parametrize("screen", ["bots", "resources", "tasks"])
async def test_every_table_has_the_k9s_keys(server, client, made, screen, tmp_path) -> None:
    prefix = f"keys{uuid.uuid4().hex[:6]}"
    for i in range(30):
        made.append(client.bots.create(name=f"{prefix}-{i:02d}"))
    if screen == "tasks":
        for bot in made[:30]:
            client.tasks.create(bot_id=bot.id, input="say hi")
    if screen == "resources":
        for i in range(30):
            client.resources.create(type="filesystem", name=f"{prefix}-r{i:02d}",
                                    config={"root": str(tmp_path)})
    app = make_app(server, initial_screen=screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table_of(app).row_count >= 30)
        table = table_of(app)
        last = table.row_count - 1
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == last
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("ctrl+d")
        half = table.cursor_row
        assert half >= 3
        await pilot.press("ctrl+u")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == last
        await pilot.press("home")
        assert table.cursor_row == 0


async def test_table_keys_are_remapped_by_binding_id(server, client, made) -> None:
    prefix = f"remap{uuid.uuid4().hex[:6]}"
    made.extend(client.bots.create(name=f"{prefix}-{i}") for i in range(3))
    app = make_app(server, keymap={"table.down": "ctrl+n", "table.up": "ctrl+o"})
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table_of(app).row_count >= 3)
        table = table_of(app)
        await pilot.press("ctrl+n", "ctrl+n")
        assert table.cursor_row == 2
        await pilot.press("ctrl+o")
        assert table.cursor_row == 1
        await pilot.press("j")  # remapped away: j is no longer down
        assert table.cursor_row == 1


async def test_esc_clears_the_filter_first_then_goes_back(server, client, made) -> None:
    prefix = f"esc{uuid.uuid4().hex[:6]}"
    made.append(client.bots.create(name=f"{prefix}-one"))
    app = make_app(server, initial_screen="resources")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        await wait_until(pilot, lambda: table_of(app).row_count >= 1)
        await pilot.press("slash", *prefix, "enter")
        await wait_until(pilot, lambda: table_of(app).row_count == 1)
        assert app.focused is table_of(app)
        await pilot.press("escape")  # the filter goes, the screen stays
        await wait_until(pilot, lambda: "shown" not in status_of(app))
        assert isinstance(app.screen, BotsScreen)
        await pilot.press("escape")  # now back where we came from
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen))


async def test_a_status_filter_keeps_holding_as_tasks_change(server, client, made) -> None:
    bot = client.bots.create(name=f"running{uuid.uuid4().hex[:6]}")
    made.append(bot)
    task = client.tasks.create(bot_id=bot.id, input="say working\nwait 8")
    app = make_app(server, initial_screen="tasks")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen))
            table = table_of(app)
            await pilot.press("slash", *"status:running", "enter")
            await wait_until(pilot, lambda: task.id in table.rows)
            assert all(app.screen.items[k].status == "running" for k in table.row_keys())
            # it completes: a running filter no longer shows it (it kept completed rows)
            await wait_until(pilot, lambda: task.id not in table.rows, limit=30)
            assert app.screen.items[task.id].status == "completed"
    finally:
        if client.tasks.get(task_id=task.id).status == "running":
            client.tasks.cancel(task_id=task.id)


async def test_widths_stay_put_when_a_long_row_goes(server, client, made) -> None:
    long = client.bots.create(name="x" * 90, model="m" * 60)
    made.append(long)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: long.id in table_of(app).rows)
        widths = {str(k.value): c.width for k, c in table_of(app).columns.items()}
        table_of(app).move_cursor(row=table_of(app).get_row_index(long.id))
        await pilot.press("d")
        await pilot.press("y")  # confirm
        await wait_until(pilot, lambda: long.id not in table_of(app).rows)
        made.clear()
        after = {str(k.value): c.width for k, c in table_of(app).columns.items()}
        assert after == widths and sum(after.values()) + 2 * len(after) < 100
        header = next(line for line in screen_text(app).splitlines() if " model " in line)
        assert header.rstrip().endswith("created")  # the last header is whole, not "creat"


async def test_a_read_only_key_sees_no_write_keys_and_a_press_says_why(server, client, made
                                                                       ) -> None:
    made.append(client.bots.create(name=f"ro{uuid.uuid4().hex[:6]}"))
    reader = client.api_keys.create(name="ui-reader-2", scopes=["bots:read", "tasks:read",
                                                                "audit:read"])
    app = make_app(server, key=reader.secret)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable and table_of(app).row_count)
        await pilot.pause(0.3)
        footer = screen_text(app).splitlines()[-1]
        assert "Filter" in footer
        for write in ("New", "Edit", "Delete", "Run task"):
            assert write not in footer, footer
        await pilot.press("n")
        await wait_until(pilot, lambda: any("bots:write" in n.message
                                            for n in app._notifications))
        note = next(n for n in app._notifications if "bots:write" in n.message)
        assert "ui-reader-2" in note.message and note.title == "read-only key"
        assert isinstance(app.screen, BotsScreen)
        await pilot.press("r")
        await wait_until(pilot, lambda: any("tasks:write" in n.message
                                            for n in app._notifications))


async def test_a_on_a_bot_row_opens_its_audit_log(server, client, made) -> None:
    bot = client.bots.create(name=f"audited{uuid.uuid4().hex[:6]}")
    made.append(bot)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: bot.id in table_of(app).rows)
        table_of(app).move_cursor(row=table_of(app).get_row_index(bot.id))
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
        await wait_until(pilot, lambda: app.screen.audit_query.bot_id == bot.id)
        await wait_until(pilot, lambda: f"bot:{bot.name}" in screen_text(app))
