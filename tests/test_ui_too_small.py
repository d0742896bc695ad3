"""The too-small notice shows on every screen, not only the one current when the terminal shrank."""

from __future__ import annotations

from monstrum_tui.ui.app import MonstrumApp
from tests.ui_pilot import screen_text, wait_until


async def test_every_screen_says_the_terminal_is_too_small(server) -> None:
    app = MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.go("resources")  # a screen other than the first
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ResourcesScreen")
        await pilot.resize_terminal(50, 12)
        await wait_until(pilot, lambda: "this one is 50x12" in " ".join(screen_text(app).split()))
        await pilot.resize_terminal(55, 13)
        await wait_until(pilot, lambda: "this one is 55x13" in " ".join(screen_text(app).split()))
        app.go("tasks")  # first shown while the terminal is small
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TasksScreen")
        await wait_until(pilot, lambda: "this one is 55x13" in " ".join(screen_text(app).split()))
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: "too small" not in screen_text(app))
