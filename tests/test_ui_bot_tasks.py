"""The bot detail view lists the bot's recent tasks (DESIGN §8), read in a worker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from monstrum_tui.client.models import Task
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.bot_detail import BotDetailScreen, recent_task_cells
from monstrum_tui.ui.screens.bots import BotsScreen
from monstrum_tui.ui.screens.tasks import TasksScreen
from tests.ui_pilot import screen_text, wait_until


@pytest.fixture
def made(client) -> Iterator[list]:
    """Bots a test makes, deleted after it, so the shared server's Bots table stays short."""
    bots: list = []
    yield bots
    for bot in bots:
        client.bots.delete(bot_id=bot.id)


def _open_detail(app: MonstrumApp, bot_id: str):
    table = app.screen.query_one("#bots-table")
    table.move_cursor(row=table.get_row_index(bot_id))


async def test_detail_lists_the_bots_own_tasks_newest_first(server, client, made) -> None:
    prefix = f"ui{uuid.uuid4().hex[:6]}"
    bot = client.bots.create(name=f"{prefix}-runner", model="scripted")
    other = client.bots.create(name=f"{prefix}-other", model="scripted")
    made.extend([bot, other])
    first = client.tasks.run(bot_id=bot.id, input="say first")
    second = client.tasks.run(bot_id=bot.id, input="say second\nmore")
    theirs = client.tasks.run(bot_id=other.id, input="say theirs")
    app = MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        table = app.screen.query_one("#bots-table")
        await wait_until(pilot, lambda: bot.id in [str(r.key.value) for r in table.ordered_rows])
        _open_detail(app, bot.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BotDetailScreen))
        await wait_until(pilot, lambda: "Recent tasks (2)" in screen_text(app))
        text = screen_text(app)
        assert text.index(second.id) < text.index(first.id)  # newest first
        assert theirs.id not in text
        assert "completed" in text and "say second" in text and "more" not in text
        # a task run while the view is open shows once the view is current again
        third = client.tasks.run(bot_id=bot.id, input="say third")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: not isinstance(app.screen, BotDetailScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BotDetailScreen))
        await wait_until(pilot, lambda: third.id in screen_text(app))


async def test_a_key_that_cannot_read_tasks_is_told_so(server, client, made) -> None:
    bot = client.bots.create(name=f"ui{uuid.uuid4().hex[:6]}-ro")
    made.append(bot)
    key = client.api_keys.create(name="bots-only", scopes=["bots:read"])
    app = MonstrumApp(api_base=server.url, api_key=key.secret, watch_terminal=False)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one("#bots-table")
        await wait_until(pilot, lambda: bot.id in [str(r.key.value) for r in table.ordered_rows])
        _open_detail(app, bot.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "lacks tasks:read" in screen_text(app))


def test_recent_task_cells() -> None:
    now = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    task = Task(
        id="task_1", bot_id="bot_1", status="failed", input="[bold]deploy[/bold] " + "x" * 80,
        tool_calls=3, denials=1, created_at=now,
    )
    cells = [c.plain for c in recent_task_cells(task, 30)]
    assert cells[:2] == ["failed", "task_1"] and cells[3:5] == ["3", "1"]
    assert cells[5].startswith("[bold]deploy[/bold]")  # user text is never markup
    assert len(cells[5]) == 30 and cells[5].endswith("…")  # the input is cut, visibly


async def test_enter_on_a_recent_task_opens_it_in_a_pane(server, client, made) -> None:
    bot = client.bots.create(name=f"ui{uuid.uuid4().hex[:6]}-opener", model="scripted")
    made.append(bot)
    task = client.tasks.run(bot_id=bot.id, input="say opened from the bot")
    app = MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#bots-table")
        await wait_until(pilot, lambda: bot.id in [str(r.key.value) for r in table.ordered_rows])
        _open_detail(app, bot.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BotDetailScreen))
        await wait_until(pilot, lambda: task.id in screen_text(app))
        await pilot.press("t", "enter")  # t: the recent tasks; enter: the one under the cursor
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.pane_of(task.id) is not None)
        pane = screen.pane_of(task.id)
        await wait_until(pilot, lambda: pane.status == "completed")
        assert bot.name in str(pane.query_one(".pane-title").content)
