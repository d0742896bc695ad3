"""SVG snapshots of the shell and the Bots screen (``--snapshot-update`` to accept changes).

Each test seeds a fresh server with fixed bots, then masks what differs per run
(the server's port, bot ids and timestamps) before the screenshot.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Label

import monstrum
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.bot_detail import BotDetailScreen
from tests.ui_pilot import wait_until

FIXED_BOTS = [
    {"name": "deploy-bot", "description": "Deploys to staging", "model": "gpt-4o",
     "allowed_operations": ["deploy.read", "deploy.write"]},
    {"name": "release-notes", "description": "Drafts release notes", "model": "scripted",
     "allowed_operations": ["files.read"]},
    {"name": "triage-assistant", "description": "Summarises incidents", "model": "scripted",
     "status": "paused", "allowed_operations": ["files.read"]},
]
FIXED_TIME = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SERVER_LABEL = "http://127.0.0.1:8400"


@pytest.fixture
def seeded(new_server, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    srv = new_server("--rate-limit", "0")
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        for spec in FIXED_BOTS:
            c.bots.create(**spec)
    yield srv
    monkeypatch.delenv("TZ")
    time.tzset()


def fixed_id(index: int) -> str:
    return f"bot_{index:018d}"


def mask_header(app: MonstrumApp) -> None:
    app.screen.query_one("#header-server", Label).update(SERVER_LABEL)


async def bots_listed(pilot: Pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.query_one(DataTable).row_count == len(FIXED_BOTS))
    table = app.screen.query_one(DataTable)
    keys = {str(k.value) for k in table.columns}
    for index, row in enumerate(table.ordered_rows):
        table.update_cell(row.key, "id", fixed_id(index))
        if "created" in keys:  # shown from 100 columns
            table.update_cell(row.key, "created", FIXED_TIME.strftime("%Y-%m-%d"))
    mask_header(app)
    await pilot.pause()


def make_app(srv) -> MonstrumApp:
    return MonstrumApp(api_base=srv.url, api_key=srv.admin_key, watch_terminal=False)


def test_snapshot_bots_list(seeded, snap_compare) -> None:
    assert snap_compare(make_app(seeded), terminal_size=(80, 24), run_before=bots_listed)


def test_snapshot_bot_detail(seeded, snap_compare) -> None:
    async def open_detail(pilot: Pilot) -> None:
        await bots_listed(pilot)
        await pilot.press("enter")
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen, BotDetailScreen))
        screen = app.screen
        await wait_until(pilot, lambda: not any(
            w.node is screen and w.is_running for w in app.workers
        ))
        bot = screen.bot
        screen.show_bot(bot.model_copy(
            update={"id": fixed_id(0), "created_at": FIXED_TIME, "updated_at": FIXED_TIME}
        ))
        mask_header(app)
        await pilot.pause()

    assert snap_compare(make_app(seeded), terminal_size=(80, 24), run_before=open_detail)


def test_snapshot_too_small(seeded, snap_compare) -> None:
    assert snap_compare(make_app(seeded), terminal_size=(50, 12), run_before=bots_listed)


SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])


@SIZES
def test_snapshot_bots_for_a_read_only_key(seeded, snap_compare, size) -> None:
    """No n/e/d/r in the footer, the READ-ONLY badge in the header."""
    with monstrum.Client(api_key=seeded.admin_key, api_base=seeded.url) as c:
        reader = c.api_keys.create(name="reader", scopes=["bots:read"])
    app = MonstrumApp(api_base=seeded.url, api_key=reader.secret, watch_terminal=False)

    async def run_before(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: pilot.app.connection.usable)
        await bots_listed(pilot)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_bot_detail_with_recent_tasks(seeded, snap_compare, size) -> None:
    from monstrum_tui.client.models import Task

    tasks = [
        Task(id=f"task_{i:018d}", bot_id=fixed_id(0), status=status, tool_calls=calls,
             denials=denied, created_at=FIXED_TIME, input=text)
        for i, (status, calls, denied, text) in enumerate([
            ("running", 2, 0, "say tailing the deploy log"),
            ("failed", 3, 1, 'call run_command {"command": "rm", "args": ["-rf", "x"]}'),
            ("completed", 2, 0, 'call read_file {"path": "CHANGELOG.md"}'),
        ])
    ]

    async def open_detail(pilot: Pilot) -> None:
        await bots_listed(pilot)
        await pilot.press("enter")
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen, BotDetailScreen))
        screen = app.screen
        await wait_until(pilot, lambda: not any(
            w.node is screen and w.is_running for w in app.workers
        ))
        screen.show_bot(screen.bot.model_copy(
            update={"id": fixed_id(0), "created_at": FIXED_TIME, "updated_at": FIXED_TIME}))
        screen.show_tasks(tasks)
        mask_header(app)
        await pilot.pause(0.2)

    assert snap_compare(make_app(seeded), terminal_size=size, run_before=open_detail)
