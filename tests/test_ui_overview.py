"""The on-call day: the Tasks overview and its row keys, alerts, the Server screen, the
three-key audit lookup, and the small things around them. Against the real server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import DataTable

import monstrum
from monstrum_tui.server.demo import DEMO_BOTS
from monstrum_tui.ui.alerts import AlertSettings, parse_alert_settings
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.audit_query import AUDIT_SYNTAX
from monstrum_tui.ui.messages import OpenTaskRequested
from monstrum_tui.ui.query import QueryProblem, parse_query, suggestions
from monstrum_tui.ui.screens.audit import AuditScreen
from monstrum_tui.ui.screens.confirm import ConfirmScreen
from monstrum_tui.ui.screens.platform_state import ServerScreen
from monstrum_tui.ui.screens.tasks import TasksScreen
from monstrum_tui.ui.widgets.event_log import EventLog
from tests.ui_pilot import burst, screen_text, wait_until


def make_app(server, **kw) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False,
                       **kw)


@pytest.fixture
def made(client):
    bots: list = []
    yield bots
    for bot in bots:
        for task in client.tasks.list(bot_id=bot.id):
            if task.status in ("queued", "running"):
                client.tasks.cancel(task_id=task.id)
        client.bots.delete(bot_id=bot.id)


@pytest.fixture
def shell_bot(client, made, tmp_path: Path):
    res = client.resources.create(
        type="shell", name=f"ov-{uuid.uuid4().hex[:6]}",
        config={"allowed_commands": ["echo", "date"], "working_dir": str(tmp_path)})
    bot = client.bots.create(
        name=f"ov{uuid.uuid4().hex[:6]}", allowed_operations=["shell.exec"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["run_command"],
                            "scope_constraints": {"commands": ["echo"]}}])
    made.append(bot)
    return bot


def tasks_table(app: MonstrumApp) -> DataTable:
    return app.screen.query_one("#tasks-table", DataTable)


# --- the query language (pure) ---------------------------------------------------


def test_the_query_line_reads_as_k9s_users_expect() -> None:
    query = parse_query('bot:ops-runner res:"Demo shell" status:den 1h deploy', AUDIT_SYNTAX)
    assert query.terms == {"bot": "ops-runner", "res": "Demo shell", "status": "denied",
                           "since": "1h"}
    assert query.words == ("deploy",)
    assert parse_query(query.to_text(), AUDIT_SYNTAX) == query
    with pytest.raises(QueryProblem, match="frob: is not a key here"):
        parse_query("frob:1", AUDIT_SYNTAX)
    with pytest.raises(QueryProblem, match="one of success, error, denied"):
        parse_query("status:maybe", AUDIT_SYNTAX)
    with pytest.raises(QueryProblem, match="a duration such as"):
        parse_query("since:yesterday", AUDIT_SYNTAX)

    def values(key):
        return {"bot": [("ops-runner", "ops-runner"), ("release-notes", "release-notes")],
                "res": [("res_demo_shell", "Demo shell (harmless commands)")]}.get(key.name, [])

    # one word and tab make a term: the bot named by it, the resource whose name has it
    assert suggestions("ops", AUDIT_SYNTAX, values)[0].token == "bot:ops-runner"
    assert suggestions("sh", AUDIT_SYNTAX, values)[0].token == "res:res_demo_shell"
    assert suggestions("status:d", AUDIT_SYNTAX, values)[0].token == "status:denied"


def test_alert_settings_from_the_config_file() -> None:
    problems: list[str] = []
    assert parse_alert_settings({}, problems) == AlertSettings()
    assert parse_alert_settings({"alerts": False}, problems).kinds == frozenset()
    odd = parse_alert_settings({"alerts": ["failed", "boom"], "bell": "yes"}, problems)
    assert odd.kinds == {"failed"} and not odd.bell
    assert len(problems) == 2 and "boom" in problems[0] and "bell" in problems[1]


# --- the lookup, from anywhere, in at most 12 keys --------------------------------


async def test_the_audit_lookup_takes_twelve_keys(new_server) -> None:
    demo = new_server("--demo")
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable and app.current_mode == "bots")
        table = app.screen.query_one("#bots-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == len(DEMO_BOTS))
        keys = ["4", "slash", "o", "p", "s", "tab", "s", "h", "tab", "1", "h", "enter"]
        assert len(keys) <= 12
        await pilot.press(keys[0])
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.filter_bar.bots)  # the names, for tab
        await pilot.press(*keys[1:])
        await wait_until(pilot, lambda: screen.audit_query.resource_id == "res_demo_shell")
        query = screen.audit_query
        assert query.bot_label == "ops-runner" and query.time_preset == "1h"
        await wait_until(pilot, lambda: screen.table.window.complete)
        entries = [screen.table.window.entry(r) for r in range(screen.table.window.row_count)]
        assert entries and {e.resource_id for e in entries} == {"res_demo_shell"}
        await wait_until(pilot, lambda: "command rm is not allowed" in screen_text(app))
        text = screen_text(app)
        # what was denied and why: the reasons whole in the table at 120 columns
        assert "command rm is not allowed for this bot" in text
        assert "command cat is not allowed for this bot" in text
        assert "bot:ops-runner" in text and "res:Demo shell (harmless commands)" in text
        # an unknown name is said so, and nothing changes
        await pilot.press("slash", "ctrl+u", *"bot:nobody", "enter")
        await wait_until(pilot, lambda: "no bot named 'nobody'" in screen_text(app))
        assert screen.audit_query == query


async def test_a_burst_in_the_query_line_completes_what_was_typed(new_server) -> None:
    demo = new_server("--demo")
    app = make_app(demo, initial_screen="audit")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.filter_bar.bots)
        await pilot.press("slash")
        await burst(pilot, "ops<tab>status:den<tab>deploy<enter>")
        await wait_until(pilot, lambda: screen.audit_query.status == "denied")
        assert screen.audit_query.bot_label == "ops-runner"
        assert screen.audit_query.q == "deploy"


# --- the Tasks screen ---------------------------------------------------------------


async def test_overview_columns_copy_and_ids_cut_visibly(server, client, shell_bot) -> None:
    done = client.tasks.run(bot_id=shell_bot.id, input="\n".join([
        'call run_command {"command": "echo", "args": ["hi"]}',
        'call run_command {"command": "date"}',                 # denied: not in scope
    ]))
    app = make_app(server, initial_screen="tasks")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: done.id in tasks_table(app).rows)
        screen = app.screen
        await wait_until(pilot, lambda: done.id in screen.summaries)
        table = tasks_table(app)

        def cell(key: str) -> str:
            return str(table.get_cell(done.id, key))

        await wait_until(pilot, lambda: cell("denied") == "1")
        assert cell("calls") == "2" and cell("errors") == "0"
        shown_id = cell("id")
        assert shown_id.endswith("…") and done.id.startswith(shown_id[:-1])  # cut, visibly
        overview = str(screen.query_one("#tasks-overview").render())
        assert "queued" in overview and "running" in overview and "failed 1h" in overview
        assert "calls/s" in overview and "denied/s" in overview
        table.move_cursor(row=table.get_row_index(done.id))
        await pilot.press("y")
        assert app.clipboard == done.id
    async with make_app(server, initial_screen="tasks").run_test(size=(120, 36)) as pilot:
        app2 = pilot.app
        await wait_until(pilot, lambda: done.id in tasks_table(app2).rows)
        await wait_until(pilot, lambda: done.id in app2.screen.summaries)
        await wait_until(pilot, lambda: "complete" in str(
            tasks_table(app2).get_cell(done.id, "last")))
        assert "call run_command" in str(tasks_table(app2).get_cell(done.id, "input"))


async def test_mark_two_running_tasks_and_cancel_both(server, client, shell_bot) -> None:
    one = client.tasks.create(bot_id=shell_bot.id, input="say one\nwait 60")
    two = client.tasks.create(bot_id=shell_bot.id, input="say two\nwait 60")
    app = make_app(server, initial_screen="tasks")
    async with app.run_test(size=(80, 24)) as pilot:
        table = tasks_table(app)
        await wait_until(pilot, lambda: {one.id, two.id} <= set(table.rows))
        table.move_cursor(row=table.get_row_index(two.id))
        await pilot.press("space")  # marks, and moves down
        table.move_cursor(row=table.get_row_index(one.id))
        await pilot.press("space")
        assert app.screen.marked == {one.id, two.id}
        assert "●" in str(table.get_cell(one.id, "mark"))
        assert "2 marked" in screen_text(app)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Cancel 2 tasks?" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: all(
            client.tasks.get(task_id=t.id).status == "cancelled" for t in (one, two)))
        await wait_until(pilot, lambda: str(table.get_cell(one.id, "status")) == "cancelled")
        assert not app.screen.marked


async def test_panes_tab_order_pause_and_rows_at_80x24(server, client, shell_bot) -> None:
    task = client.tasks.run(bot_id=shell_bot.id, input="\n".join(
        'call run_command {"command": "echo", "args": ["line"]}' for _ in range(30)))
    other = client.tasks.run(bot_id=shell_bot.id, input="say other")
    app = make_app(server, initial_screen="tasks")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        table = tasks_table(app)
        await wait_until(pilot, lambda: {task.id, other.id} <= set(table.rows))
        table.move_cursor(row=table.get_row_index(task.id))
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.pane_of(task.id) is not None)
        pane = screen.pane_of(task.id)
        await wait_until(pilot, lambda: pane.status == "completed")
        await pilot.pause(0.2)
        assert table.region.height >= 7  # header and six rows, not five
        # shift+tab goes between the table and the panes only
        await wait_until(pilot, lambda: app.focused is pane.event_log)
        await pilot.press("shift+tab")
        assert app.focused is table
        await pilot.press("shift+tab")
        assert app.focused is pane.event_log
        # scrolling up pauses, and the title says so
        await pilot.press("up", "up")
        await wait_until(pilot, lambda: "⏸ paused" in str(pane.query_one(".pane-title").content))
        await pilot.press("end")
        await wait_until(pilot, lambda: "paused" not in str(
            pane.query_one(".pane-title").content))
        # a kept search: esc clears it first, and the screen stays
        await pilot.press("slash", *"line", "enter")
        log = pane.event_log
        assert log.search_term == "line" and isinstance(app.focused, EventLog)
        await pilot.press("escape")
        assert log.search_term == "" and isinstance(app.screen, TasksScreen)


async def test_a_task_opened_from_the_audit_log_names_its_bot(server, client, shell_bot
                                                              ) -> None:
    task = client.tasks.run(bot_id=shell_bot.id, input='call run_command {"command": "echo"}')
    app = make_app(server, initial_screen="bots")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        app.post_message(OpenTaskRequested(task.id))  # no name given: the pane finds it
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.pane_of(task.id) is not None)
        pane = screen.pane_of(task.id)
        await wait_until(pilot, lambda: shell_bot.name in str(
            pane.query_one(".pane-title").content))


# --- alerts ---------------------------------------------------------------------------


async def test_a_failed_task_and_a_denied_call_raise_alerts(server, client, made,
                                                            shell_bot, monkeypatch) -> None:
    monkeypatch.setattr(AlertSettings, "interval", 0.3)
    rings: list[int] = []
    monkeypatch.setattr(MonstrumApp, "bell", lambda self: rings.append(1))
    llm = client.bots.create(name=f"llm{uuid.uuid4().hex[:6]}", model="gpt-4o")
    made.append(llm)
    config = Path.home() / ".monstrum" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[dashboard]\nbell = true\n', encoding="utf-8")
    app = make_app(server, initial_screen="resources")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await pilot.pause(1.0)  # the watcher has taken its first look
        failed = client.tasks.run(bot_id=llm.id, input="hello")
        assert failed.status == "failed"
        await wait_until(pilot, lambda: any(n.title == "task failed"
                                            for n in app._notifications))
        note = next(n for n in app._notifications if n.title == "task failed")
        assert llm.name in note.message and "OPENAI_API_KEY" in note.message
        client.tasks.run(bot_id=shell_bot.id, input='call run_command {"command": "date"}')
        await wait_until(pilot, lambda: any(n.title == "call denied"
                                            for n in app._notifications))
        note = next(n for n in app._notifications if n.title == "call denied")
        assert shell_bot.name in note.message and "command date is not allowed" in note.message
        assert len(rings) >= 2


# --- the Server screen and the header ----------------------------------------------


async def test_server_screen_shows_state_and_who_verified(server, client) -> None:
    app = make_app(server, initial_screen="server")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ServerScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.info is not None)
        await wait_until(pilot, lambda: "Audit chain" in screen_text(app))
        facts = ("version", "uptime", "running tasks", "rate limit", "queued", "sqlite",
                 "Audit chain", "sealed", "verified")
        # the sections fill in as their answers arrive
        await wait_until(pilot, lambda: all(fact in screen_text(app) for fact in facts))
        await pilot.press("v")
        await wait_until(pilot, lambda: screen.info is not None
                         and screen.info.audit.last_verification is not None)
        await wait_until(pilot, lambda: "by admin" in screen_text(app))
        assert "address" in screen_text(app) and server.url in screen_text(app)


async def test_the_local_platform_says_its_socket_and_the_cli_profile(tmp_path, monkeypatch
                                                                      ) -> None:
    monkeypatch.setenv("MONSTRUM_DATA_DIR", str(tmp_path / "embedded"))
    app = MonstrumApp(watch_terminal=False, initial_screen="server")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable, limit=60)
        screen = app.screen
        await wait_until(pilot, lambda: screen.info is not None)
        socket = app.embedded.uds
        await wait_until(pilot, lambda: "[local]" in screen_text(app))
        text = screen_text(app)
        assert "monstrum --profile local whoami" in text
        assert socket.split("/")[-1] in text
        await pilot.press("y")
        assert f'uds = "{socket}"' in app.clipboard and "mst_..." in app.clipboard
        # the demo's history is there on a first start: every screen has something true
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen))
        await wait_until(pilot, lambda: tasks_table(app).row_count >= 5)


async def test_a_uds_profile_shows_its_socket_in_the_header(server, tmp_path) -> None:
    config = Path.home() / ".monstrum" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    socket = tmp_path / "team.sock"
    config.write_text(f'[team]\napi_key = "{server.admin_key}"\nuds = "{socket}"\n',
                      encoding="utf-8")
    app = MonstrumApp(profile="team", watch_terminal=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: f"unix:{socket}" in screen_text(app))
        assert "http://127.0.0.1:8400" not in screen_text(app)


async def test_a_reload_forgets_the_chain_verified_line(server) -> None:
    app = make_app(server, initial_screen="audit")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.table.window.first_loaded)
        await pilot.press("v")
        await wait_until(pilot, lambda: "chain verified" in screen.verify_text)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.table.window.first_loaded)
        assert "chain verified" not in screen_text(app)


def test_client_names_resolve_for_the_dashboard_too(server, client) -> None:
    bot = client.bots.create(name=f"resolver-{uuid.uuid4().hex[:6]}")
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        assert c.bots.resolve(bot.name).id == bot.id
        assert c.bots.resolve(bot.name[-6:], partial=True).id == bot.id  # a unique piece
    client.bots.delete(bot_id=bot.id)


def test_a_long_reason_wraps_whole_in_the_audit_detail() -> None:
    import io
    from datetime import datetime, timezone

    from rich.console import Console

    from monstrum_tui.client.models import AuditEntry
    from monstrum_tui.ui.widgets.audit_detail import render_entry

    reason = ("no resource bound to bot release-notes offers a tool run_command, and its "
              "allowed operations do not include shell.exec either")
    entry = AuditEntry(id="aud_1", timestamp=datetime(2025, 1, 2, tzinfo=timezone.utc),
                       bot_id="bot_1", tool_name="run_command", status="denied", reason=reason)
    console = Console(width=60, record=True, file=io.StringIO(), color_system=None)
    console.print(render_entry(entry))
    text = console.export_text()
    assert " ".join(text.split()).count(" ".join(reason.split())) == 1  # whole, over lines
    assert max(len(line) for line in text.splitlines()) <= 60
