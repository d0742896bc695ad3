"""Helpers for the dashboard's pilot tests: wait for a condition, read the screen as text."""

from __future__ import annotations

import io
from collections.abc import Callable

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot


async def wait_until(pilot: Pilot, condition: Callable[[], bool], *, limit: float = 15.0) -> None:
    """Let the app run until ``condition()`` holds; fail (not hang) after ``limit`` seconds."""
    waited = 0.0
    while not condition():
        if waited >= limit:
            raise AssertionError(f"condition not met after {limit}s:\n{screen_text(pilot.app)}")
        await pilot.pause(0.05)
        waited += 0.05


def screen_text(app: App[object]) -> str:
    """What the terminal shows, as plain text (the same render as a screenshot)."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), force_terminal=True,
        color_system="truecolor", record=True, legacy_windows=False, safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()
