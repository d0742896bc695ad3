"""The dashboard in a real terminal's limits: 80 columns, short windows, resizing, 16 colours."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from monstrum_tui.ui import screens as screens_package
from monstrum_tui.ui.app import MonstrumApp, theme_for_color_system
from monstrum_tui.ui.navigation import SCREENS
from monstrum_tui.ui.screens.bot_form import BotFormScreen
from monstrum_tui.ui.screens.bots import BotsScreen
from monstrum_tui.ui.screens.task_launch import TaskLaunchScreen
from monstrum_tui.ui.widgets.event_log import EventLog
from monstrum_tui.ui.widgets.fitted_footer import FittedFooter, fit_keys, key_width
from tests.ui_pilot import screen_text, wait_until


def make_app(server, **kw) -> MonstrumApp:
    return MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False, **kw)


def bottom_line(app: App[object]) -> str:
    lines = screen_text(app).splitlines()
    return lines[-1] if lines else ""


def footer_key(key: str, description: str, action: str = "x") -> FooterKey:
    return FooterKey(key, key, description, action)


def test_footer_drops_whole_keys_least_useful_first() -> None:
    keys = [
        footer_key("f", "Filter"), footer_key("d", "Detail"), footer_key("t", "Tail"),
        footer_key("e", "Export"), footer_key("v", "Verify"),
        footer_key(":", "Jump"), footer_key("?", "Help"), footer_key("q", "Quit"),
        FooterKey("ctrl+p", "^p", "Command palette", "command_palette",
                  classes="-command-palette"),
    ]
    app_actions = {":": "jump", "?": "help", "q": "quit", "ctrl+p": "command_palette"}
    everything = sum(key_width(k) for k in keys)
    assert fit_keys(keys, everything, app_actions) == set(range(len(keys)))
    # a little too narrow: the palette hint goes first, nothing else
    assert fit_keys(keys, everything - 1, app_actions) == set(range(8))
    # narrower: then Jump, then the screen's keys from the last; Help and Quit always stay
    shown = fit_keys(keys, 40, app_actions)
    assert [keys[i].description for i in sorted(shown)] == ["Filter", "Detail", "Help", "Quit"]
    assert sum(key_width(keys[i]) for i in shown) <= 40
    assert {6, 7} <= fit_keys(keys, 5, app_actions)


async def test_every_screen_footer_fits_80_columns_and_keeps_help(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable)
        for entry in SCREENS:
            app.go(entry.name)
            await wait_until(pilot, lambda e=entry: isinstance(app.screen, e.screen))
            await wait_until(pilot, lambda: "? Help" in bottom_line(app))
            footer = app.screen.query_one(FittedFooter)
            shown = list(footer.query(FooterKey))
            assert sum(key_width(k) for k in shown) <= 80, entry.name
            last_line = bottom_line(app)
            assert "? Help  q Quit" in last_line, (entry.name, last_line)
            assert last_line.rstrip().endswith(("q Quit", "^p Command palette")), last_line
        app.go("bots")
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        await pilot.pause(0.1)
        await wait_until(pilot, lambda: "r Run task" in bottom_line(app))
        # wider: the palette hint comes back
        await pilot.resize_terminal(120, 36)
        await wait_until(pilot, lambda: "^p Command palette" in screen_text(app))


async def test_focus_survives_the_too_small_notice(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        table = app.screen.focused
        assert table is not None
        await pilot.resize_terminal(50, 12)
        await wait_until(pilot, lambda: "too small" in screen_text(app))
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: app.screen.focused is table)
        # the same inside a dialog: typing goes back into the field that had the cursor
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, BotFormScreen))
        await pilot.resize_terminal(59, 15)
        await wait_until(pilot, lambda: "too small" in screen_text(app))
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: isinstance(app.screen.focused, Input))
        await pilot.press("x", "y")
        assert app.screen.query_one("#field-name", Input).value == "xy"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.focused is table)


async def test_dialogs_keep_their_buttons_at_the_minimum_size(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(60, 15)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        app.push_screen(BotFormScreen())
        await wait_until(pilot, lambda: "Save (ctrl+s)" in screen_text(app))
        await pilot.press("escape")
        app.push_screen(TaskLaunchScreen("bot_x", "x"))
        await wait_until(pilot, lambda: isinstance(app.screen, TaskLaunchScreen))
        await wait_until(pilot, lambda: "Run (ctrl+s)" in screen_text(app))
        assert "Metadata" in screen_text(app)


async def test_form_label_shows_which_field_has_the_cursor(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, BotsScreen))
        app.push_screen(BotFormScreen())
        await wait_until(pilot, lambda: isinstance(app.screen.focused, Input))
        form = app.screen
        await wait_until(pilot, lambda: [r.id for r in form.query(".form-row.-focused")] == [
            "row-name"])
        await pilot.press("tab")
        await wait_until(
            pilot, lambda: [r.id for r in form.query(".form-row.-focused")] == ["row-description"]
        )


class _PaneCSS(App[None]):
    """Just an event log with the Tasks screen's styles, under a given theme."""

    CSS_PATH: ClassVar[str] = str(Path(screens_package.__file__).parent / "tasks.tcss")

    def __init__(self, theme: str) -> None:
        super().__init__()
        self.wanted_theme = theme

    def compose(self) -> ComposeResult:
        yield EventLog()

    def on_mount(self) -> None:
        self.theme = self.wanted_theme


async def test_selected_event_is_reverse_video_in_16_colour_themes() -> None:
    # ansi-dark's accent and success are the same green: a tinted cursor hid green text
    for theme, reverse in (("ansi-dark", True), ("ansi-light", True), ("textual-dark", False)):
        app = _PaneCSS(theme)
        async with app.run_test(size=(40, 10)) as pilot:
            await pilot.pause()
            log = app.query_one(EventLog)
            style = log._style("cursor")
            assert bool(style.reverse) is reverse, theme
            if not reverse:
                # the 30% tint, blended onto the pane: not the full accent under red text
                accent = Color.parse(app.theme_variables["accent"]).rich_color
                assert style.bgcolor is not None and style.bgcolor != accent


def test_sixteen_colour_terminal_gets_the_ansi_theme() -> None:
    assert theme_for_color_system("standard") == "ansi-dark"
    assert theme_for_color_system("truecolor") is None
    assert theme_for_color_system("256") is None
