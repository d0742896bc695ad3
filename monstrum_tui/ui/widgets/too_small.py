"""The message shown instead of a broken layout when the terminal is too small."""

from __future__ import annotations

from textual.widgets import Static

MIN_WIDTH = 60
MIN_HEIGHT = 15


def too_small_message(width: int, height: int) -> str:
    return (
        f"terminal too small: need at least {MIN_WIDTH}x{MIN_HEIGHT}, "
        f"this one is {width}x{height}"
    )


class TooSmall(Static):
    """Hidden unless the app has the ``-too-small`` class (set on resize).

    It reads the size when drawn, so every screen's copy is right, also one that was not
    current when the terminal shrank.
    """

    def render(self) -> str:
        return too_small_message(self.app.size.width, self.app.size.height)
