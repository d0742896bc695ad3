"""Helpers for the dashboard's pilot tests: wait for a condition, read the screen as text."""

from __future__ import annotations

import io
from collections.abc import Callable

from rich.console import Console
from textual import events
from textual.app import App
from textual.pilot import Pilot

#: keys whose character is not their name
_CHARS = {"space": " ", "tab": "\t", "enter": "\r", "escape": "\x1b", "backspace": "\x08"}


async def wait_until(pilot: Pilot, condition: Callable[[], bool], *, limit: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds; fail (not hang) after ``limit`` seconds
    (generous: the suite runs on two workers of a 2-core machine, servers included)."""
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


def burst_keys(text: str) -> list[str]:
    """``"ab<tab>c d<enter>"`` as key names: ``a b tab c space d enter``."""
    keys: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "<" and ">" in text[i:]:
            end = text.index(">", i)
            keys.append(text[i + 1:end])
            i = end + 1
            continue
        keys.append("space" if text[i] == " " else text[i])
        i += 1
    return keys


async def burst(pilot: Pilot, text: str) -> None:
    """Send keys all at once, as a paste, tmux or a laggy SSH link delivers them: every key
    is queued before the first is handled (``pilot.press`` waits after each one)."""
    app = pilot.app
    for key in burst_keys(text):
        char = _CHARS.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, char))
    await pilot.pause()
