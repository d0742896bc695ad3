"""A task pane's long text wraps inside the visible width, scrollbar or not."""

from __future__ import annotations

import string

from monstrum_tui.ui.widgets.task_pane import TaskPane
from tests.test_ui_tasks import UnboundedPane, event
from tests.ui_pilot import screen_text, wait_until

# 200 distinct-enough characters: a character lost at a wrap shows as a missing letter
ALPHABET = (string.ascii_lowercase + string.ascii_uppercase) * 4


async def test_wrapped_text_loses_no_character_when_the_scrollbar_appears() -> None:
    app = UnboundedPane()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TaskPane)
        # one batch: the long text, then enough events to make the log scroll
        pane.feed(
            [event(1, "started"), event(2, "message", text=ALPHABET, turn=1)]
            + [event(seq, "message", text=f"line {seq}", turn=seq) for seq in range(3, 40)]
        )
        await wait_until(pilot, lambda: pane.event_log.entries.total_events == 39)
        await pilot.pause(0.2)
        assert pane.event_log.show_vertical_scrollbar
        pane.event_log.scroll_home(animate=False)
        await pilot.pause(0.2)
        # the pane's border and scrollbar are block glyphs, the wrap indent is spaces
        chrome = set("█▁▂▃▄▅▆▇▉▊▋▌▍▎▏▐▕ ")
        shown = "".join(ch for ch in screen_text(app) if ch not in chrome and ch != "\n")
        assert ALPHABET in shown
