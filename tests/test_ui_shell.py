"""The dashboard shell: size check, help from bindings, keymap, jump, palette, connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import DataTable, Label

from monstrum_tui.client.errors import ConfigurationError
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.clipboard import osc52, tmux_copy_sequence
from monstrum_tui.ui.connection import resolve_target
from monstrum_tui.ui.keymap import parse_dashboard_config
from monstrum_tui.ui.screens.bot_form import BotFormScreen
from monstrum_tui.ui.screens.bots import BotsScreen
from monstrum_tui.ui.screens.help import HelpScreen
from monstrum_tui.ui.screens.jump import JumpScreen
from monstrum_tui.ui.widgets.connection_banner import ConnectionBanner
from tests.ui_pilot import screen_text, wait_until


def make_app(server, **kw) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False, **kw)


def declared(*classes: type) -> list[Binding]:
    return [b for cls in classes for b in cls.BINDINGS if isinstance(b, Binding) and b.id]


async def test_small_terminal_says_so_and_recovers(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "terminal too small: need at least 60x15" in text
        assert "50x12" in text
        assert "Filter" not in text  # no half-drawn footer or table
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: "too small" not in screen_text(app))
        await wait_until(pilot, lambda: "Filter" in screen_text(app))


async def test_help_lists_every_binding(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        listed = {row.binding_id: row for row in help_screen.rows}
        for binding in declared(MonstrumApp, BotsScreen):
            assert binding.id in listed, binding.id
            assert listed[binding.id].description == binding.description
        # the footer and help come from the same bindings: every footer key is in help
        footer_ids = {b.id for b in BotsScreen.BINDINGS if isinstance(b, Binding) and b.show}
        assert footer_ids <= set(listed)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))


async def test_keymap_from_config_file_remaps_footer_help_and_keys(server) -> None:
    config = Path.home() / ".monstrum" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[keymap]\n"bots.create" = "a"\n"no.such" = "x"\n', encoding="utf-8")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await wait_until(pilot, lambda: " a New " in screen_text(app))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {row.binding_id: row for row in app.screen.rows}
        assert rows["bots.create"].keys == "a"
        await pilot.press("escape", "a")
        await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen))
    assert any("no.such" in problem for problem in app.config_problems)


async def test_jump_prompt_and_command_palette(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await pilot.press("colon")
        await wait_until(pilot, lambda: isinstance(app.screen, JumpScreen))
        await pilot.press(*"nowhere", "enter")
        assert "no screen 'nowhere'" in str(app.screen.query_one("#jump-error", Label).content)
        await pilot.press(*(["backspace"] * 7), *"bots", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Bots: New")
        await pilot.pause(0.5)
        assert "Go to Bots" in screen_text(app) or "Bots: New" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen))


async def test_read_only_key_gets_a_badge_and_no_write_actions(server, client) -> None:
    client.bots.create(name="seen-by-reader")
    created = client.api_keys.create(name="ui-reader", scopes=["bots:read"])
    app = MonstrumApp(api_base=server.url, api_key=created.secret, watch_terminal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await wait_until(pilot, lambda: app.screen.query_one(DataTable).row_count > 0)
        assert app.connection.read_only
        await wait_until(pilot, lambda: "READ-ONLY" in screen_text(app))
        await pilot.press("n")
        await pilot.pause(0.2)
        assert isinstance(app.screen, BotsScreen)  # create is disabled for this key


async def test_a_broken_audit_chain_is_a_header_badge_and_a_toast(new_server) -> None:
    """The server refuses every tool call while its audit chain does not hold: the
    dashboard says so at once, in the header, not only when a task fails."""
    import sqlite3

    server = new_server("--demo")
    healthy = make_app(server)
    async with healthy.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: healthy.connection.usable)
        assert healthy.connection.audit_problem is None
        assert "AUDIT BROKEN" not in screen_text(healthy)  # not vacuous: shown only when so
    server.stop()
    conn = sqlite3.connect(server.data_dir / "monstrum.db")
    conn.execute("DELETE FROM audit_log")
    conn.execute("DELETE FROM audit_head")
    conn.commit()
    conn.close()
    server.start()
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        await wait_until(pilot, lambda: "AUDIT BROKEN" in screen_text(app))
        assert app.connection.audit_problem
        await wait_until(pilot, lambda: any(n.title == "Audit broken" for n in app._notifications))


async def test_unreachable_server_shows_banner_then_reconnects(new_server) -> None:
    srv = new_server("--rate-limit", "0")
    app = MonstrumApp(api_base=srv.url, api_key=srv.admin_key, watch_terminal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        srv.stop()
        app.connection_problem()
        await wait_until(pilot, lambda: app.connection.state == "unreachable")
        banner = str(app.screen.query_one(ConnectionBanner).content)
        assert f"cannot reach {srv.url}" in banner and "retrying in" in banner
        assert "unreachable" in screen_text(app)
        srv.start()
        app.connection_problem()
        await wait_until(pilot, lambda: app.connection.usable)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "load failed" not in screen_text(app))
        assert "cannot reach" not in screen_text(app)


async def test_embedded_platform_by_default(tmp_path, monkeypatch) -> None:
    data_dir = tmp_path / "embedded"
    monkeypatch.setenv("MONSTRUM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MONSTRUM_LOCAL_IDLE_EXIT", "0.5")
    app = MonstrumApp(watch_terminal=False)
    assert app.target.embedded
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable, limit=60)
        await wait_until(pilot, lambda: app.screen.query_one(DataTable).row_count >= 3)
        # rows are in the table a frame before they are painted: wait for what a user sees
        await wait_until(pilot, lambda: "release-notes" in screen_text(app))
        assert "profile: local" in screen_text(app)
        process = app.embedded.process
        assert process is not None and process.poll() is None
    # nothing running and nobody attached: it stops by itself (test_local_platform.py)
    assert process.wait(30) is not None
    assert app.embedded is None
    assert not (data_dir / "monstrum.sock").exists()  # and its socket removed


async def test_theme_flag_and_no_color(server, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(server, theme="ansi-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        assert app.theme == "ansi-dark"
        assert app.no_color  # Textual drops colour for NO_COLOR
    assert {"ansi-dark", "ansi-light"} <= set(app.available_themes)


def test_connection_resolution(monkeypatch) -> None:
    assert resolve_target().embedded
    monkeypatch.setenv("MONSTRUM_API_KEY", "mst_env")
    target = resolve_target()
    assert not target.embedded and target.settings.api_key == "mst_env"
    monkeypatch.delenv("MONSTRUM_API_KEY")
    config = Path.home() / ".monstrum" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[default]\napi_key = "mst_file"\napi_base = "http://h:1"\n'
                      '[team]\napi_key = "mst_team"\napi_base = "http://t:2"\n')
    assert resolve_target().settings.api_base == "http://h:1"
    assert resolve_target(profile="team").settings.api_key == "mst_team"
    with pytest.raises(ConfigurationError, match="nope"):
        resolve_target(profile="nope")
    assert resolve_target(api_base="http://x:3", api_key="mst_flag").settings.api_base == (
        "http://x:3"
    )


def test_keymap_parsing_reports_bad_entries() -> None:
    config = parse_dashboard_config(
        {"keymap": {"bots.create": "a", "app.quit": ["q", "ctrl+c"], "bad": 3},
         "dashboard": {"theme": "ansi-light"}}
    )
    assert config.keymap == {"bots.create": "a", "app.quit": "q,ctrl+c"}
    assert config.theme == "ansi-light"
    assert len(config.problems) == 1 and "bad" in config.problems[0]


def test_osc52_is_wrapped_for_tmux() -> None:
    plain = osc52("bot_123")
    assert plain == "\x1b]52;c;Ym90XzEyMw==\x07"
    assert tmux_copy_sequence("bot_123", {}) is None
    wrapped = tmux_copy_sequence("bot_123", {"TMUX": "/tmp/tmux-0/default,1,0"})
    assert wrapped == "\x1bPtmux;\x1b\x1b]52;c;Ym90XzEyMw==\x07\x1b\\"
