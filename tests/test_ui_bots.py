"""The Bots screen, driven with Textual's pilot against the real server."""

from __future__ import annotations

import uuid

import pytest
from textual.widgets import DataTable, Input, Label, TextArea

from monstrum_tui.client.models import Bot, ResourceBinding
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.bot_detail import BotDetailScreen, render_bot
from monstrum_tui.ui.screens.bot_form import BotFormScreen, field_of
from monstrum_tui.ui.screens.bots import COLUMNS as BOT_COLUMNS
from monstrum_tui.ui.screens.bots import BotsScreen
from monstrum_tui.ui.screens.confirm import ConfirmScreen
from tests.ui_pilot import screen_text, wait_until


@pytest.fixture
def prefix() -> str:
    """A unique name prefix, so tests sharing the session server see only their bots."""
    return f"ui{uuid.uuid4().hex[:6]}"


def make_app(server) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False)


def table_of(app: MonstrumApp) -> DataTable:
    return app.screen.query_one("#bots-table", DataTable)


def row_ids(app: MonstrumApp) -> list[str]:
    return [str(row.key.value) for row in table_of(app).ordered_rows]


async def test_filter_narrows_the_table(server, client, prefix) -> None:
    alpha = client.bots.create(name=f"{prefix}-alpha", model="scripted")
    beta = client.bots.create(name=f"{prefix}-beta", model="gpt-4o")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: {alpha.id, beta.id} <= set(row_ids(app)))
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*f"{prefix}-al")
        await wait_until(pilot, lambda: row_ids(app) == [alpha.id])
        status = str(app.screen.query_one("#bots-status", Label).content)
        assert " · 1 shown" in status
        # the filter also matches the model column
        await pilot.press(*(["backspace"] * len(f"{prefix}-al")), *"gpt-4o")
        await wait_until(pilot, lambda: beta.id in row_ids(app) and alpha.id not in row_ids(app))
        await pilot.press("escape")
        await wait_until(pilot, lambda: {alpha.id, beta.id} <= set(row_ids(app)))
        assert isinstance(app.focused, DataTable)


async def test_sort_cycles_columns(server, client, prefix) -> None:
    zed = client.bots.create(name=f"{prefix}-zed")
    abe = client.bots.create(name=f"{prefix}-abe")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: {zed.id, abe.id} <= set(row_ids(app)))
        ids = row_ids(app)
        assert ids.index(zed.id) < ids.index(abe.id)  # created order
        await pilot.press("s")  # by name
        ids = row_ids(app)
        assert ids.index(abe.id) < ids.index(zed.id)
        assert "sort: name ↑" in screen_text(app)
        await pilot.press("S")  # reversed
        ids = row_ids(app)
        assert ids.index(zed.id) < ids.index(abe.id)


async def test_open_detail_and_back(server, client, prefix) -> None:
    bot = client.bots.create(
        name=f"{prefix}-detail", description="reads the runbook", allowed_operations=["docs.read"]
    )
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: bot.id in row_ids(app))
        table = table_of(app)
        table.move_cursor(row=table.get_row_index(bot.id))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BotDetailScreen))
        text = screen_text(app)
        assert bot.id in text and "reads the runbook" in text and "docs.read" in text
        assert "Resource bindings (0)" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))


def test_detail_lists_bindings_with_tools_and_scope() -> None:
    from datetime import datetime, timezone

    now = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    bot = Bot(
        id="bot_x", name="deployer", created_at=now, updated_at=now,
        resource_bindings=[
            ResourceBinding(
                resource_id="res_k8s", allowed_tools=["deploy_*"],
                scope_constraints={"clusters": ["staging-*"], "regions": ["us-west-2"]},
            )
        ],
    )
    import io

    from rich.console import Console

    console = Console(width=80, record=True, file=io.StringIO())
    console.print(render_bot(bot))
    text = console.export_text()
    assert "res_k8s" in text and "deploy_*" in text
    assert "clusters: staging-*" in text and "regions: us-west-2" in text


async def test_create_shows_server_validation_error_then_succeeds(server, client, prefix) -> None:
    app = make_app(server)
    name = f"{prefix}-created"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen))
        form = app.screen
        await pilot.press(*name)
        form.query_one("#field-resource_bindings", TextArea).text = (
            "- resource_id: res_does_not_exist\n  allowed_tools: [anything]\n"
        )
        await pilot.press("ctrl+s")
        error = form.query_one("#error-resource_bindings", Label)
        await wait_until(pilot, lambda: "res_does_not_exist" in str(error.content))
        # the server's field path is kept, under the field it belongs to
        assert "[0].resource_id" in str(error.content)
        assert form.query_one("#row-resource_bindings").has_class("-invalid")
        assert isinstance(app.screen, BotFormScreen)
        form.query_one("#field-resource_bindings", TextArea).text = ""
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        created = [b for b in client.bots.list() if b.name == name]
        assert len(created) == 1
        await wait_until(pilot, lambda: created[0].id in row_ids(app))
        # the new bot is under the cursor
        assert app.screen.current_bot().id == created[0].id


async def test_edit_changes_only_what_changed(server, client, prefix) -> None:
    bot = client.bots.create(name=f"{prefix}-edit", description="before",
                             allowed_operations=["a.read"])
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: bot.id in row_ids(app))
        table = table_of(app)
        table.move_cursor(row=table.get_row_index(bot.id))
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen))
        app.screen.query_one("#field-description", Input).value = "after"
        app.screen.query_one("#field-allowed_operations", Input).value = "a.read, a.write"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        fresh = client.bots.get(bot_id=bot.id)
        assert fresh.description == "after"
        assert fresh.allowed_operations == ["a.read", "a.write"]
        assert fresh.name == bot.name


async def test_delete_asks_first(server, client, prefix) -> None:
    bot = client.bots.create(name=f"{prefix}-doomed")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: bot.id in row_ids(app))
        table = table_of(app)
        table.move_cursor(row=table.get_row_index(bot.id))
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert bot.name in screen_text(app)
        await pilot.press("n")  # changed my mind
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        assert client.bots.get(bot_id=bot.id).id == bot.id
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: bot.id not in row_ids(app))
    assert bot.id not in [b.id for b in client.bots.list()]


async def test_copy_puts_the_id_on_the_clipboard(server, client, prefix, monkeypatch) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    bot = client.bots.create(name=f"{prefix}-copy")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: bot.id in row_ids(app))
        table = table_of(app)
        table.move_cursor(row=table.get_row_index(bot.id))
        await pilot.press("y")
        assert app.clipboard == bot.id


def test_error_paths_map_to_form_fields() -> None:
    assert field_of("resource_bindings[0].resource_id") == "resource_bindings"
    assert field_of("resource_bindings[2].scope_constraints.clusters") == "resource_bindings"
    assert field_of("allowed_operations[1]") == "allowed_operations"
    assert field_of("name") == "name"
    assert field_of("body") == ""


async def test_names_that_look_like_markup_are_shown_as_written(server, client, prefix) -> None:
    odd = client.bots.create(name=f"[red]{prefix}[/", model="[b]m")
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: odd.id in row_ids(app))
        row = table_of(app).get_row(odd.id)
        assert str(row[0]) == f"[red]{prefix}[/"
        assert str(row[2]) == "[b]m"
        # other tests' bots share the server: filter to this one so it is on screen
        await pilot.press("slash", *prefix, "enter")
        await wait_until(pilot, lambda: row_ids(app) == [odd.id])
        await wait_until(pilot, lambda: f"[red]{prefix}[/" in screen_text(app))


async def test_rows_painted_before_the_table_idles_keep_their_widths(
    server, client, prefix
) -> None:
    """The first-run glitch of issue 11: the Bots table painted with every cell cut to
    its header's width ("rele", "bo", "scrip") and stayed so.

    Cause: Textual's DataTable measures auto-width columns only when it next idles, and
    caches a rendered row under a key that holds no column width. When the first rows
    arrived and the screen painted before the table's idle (a race: 4 of 12 quiet first
    launches), the rows were cached at the header widths and reused until the table's
    next change. Columns now have their widths before any row arrives. This test makes
    the race ordering deterministic: rows added, a paint, and only then the idle.
    """
    long_name = f"{prefix}-release-notes-writer"
    bot = client.bots.create(name=long_name, model="scripted")
    app = make_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, BotsScreen)
        await wait_until(pilot, lambda: bot.id in row_ids(app) and not screen.is_loading)
        table = table_of(app)
        # as at start-up: columns just made, and the first rows, then a paint of the
        # table, all before the table handles its idle
        table.clear(columns=True)
        screen.items = {bot.id: bot}
        screen.apply_layout()
        assert table.row_count == 1
        table.render_line(table.header_height)
        await pilot.pause()
        text = screen_text(app)
        rows = [line for line in text.splitlines() if long_name[:4] in line]
        assert rows and long_name in rows[0] and bot.id in rows[0], text
        assert "scripted" in rows[0], text
        for column in BOT_COLUMNS:
            if column.key in table.columns:
                rendered = table.columns[column.key].get_render_width(table)
                assert rendered >= column.width, column
