"""A task pane draws what a model or tool wrote with nothing hidden and nothing sent raw.

A hostile model may put an escape sequence (cursor moves, colours, a title change), a
right-to-left override, a zero-width space or a C1 control in its text, a tool's name,
a call's params or a result. The pane shows each as a ``\\uXXXX`` escape, as the
approval screens do, and no such character reaches the terminal.
"""

from __future__ import annotations

from monstrum_tui.ui.widgets.event_log import EventLog
from monstrum_tui.ui.widgets.task_pane import TaskPane
from tests.test_ui_tasks import UnboundedPane, event
from tests.ui_pilot import screen_text, wait_until

ESC = "\x1b[2J\x1b]0;owned\x07"  # clear the screen, set the window title
RTL = "\u202e"  # right-to-left override: what follows draws reversed
ZWSP = "\u200b"  # zero-width space: nothing drawn
C1 = "\x9b"  # a one-byte CSI to a terminal that takes 8-bit controls
HIDDEN = (ESC[0], "\x07", RTL, ZWSP, C1)


def hostile_events() -> list:
    return [
        event(1, "started"),
        event(2, "message", text=f"say{ESC} rtl{RTL}txt.exe zero{ZWSP}width c1{C1}end", turn=1),
        event(3, "tool_call", tool_name=f"read{RTL}_file", call_id="c1",
              params={"path": f"docs/{ZWSP}a.txt{C1}", "note": ESC}),
        event(4, "result", call_id="c1", duration_ms=1.0, data={"content": f"x{RTL}y{ESC}"}),
        event(5, "denied", tool_name="write_file", params={"path": RTL},
              reason={"message": f"no{ESC}pe{ZWSP}"}),
        event(6, "complete", status="failed", error=f"boom{ESC}{RTL}"),
    ]


async def test_the_pane_shows_hidden_and_control_characters_as_escapes() -> None:
    app = UnboundedPane()
    async with app.run_test(size=(160, 30)) as pilot:
        pane = app.query_one(TaskPane)
        pane.feed(hostile_events())
        await wait_until(pilot, lambda: pane.event_log.entries.total_events == 6)
        log = pane.event_log
        await wait_until(pilot, lambda: "\\u202e" in screen_text(app))
        text = screen_text(app)
        shown_esc = "\\u001b[2J\\u001b]0;owned\\u0007"
        for shown in (f"say{shown_esc}", "rtl\\u202etxt.exe", "zero\\u200bwidth",
                      "c1\\u009bend", "read\\u202e_file", "docs/\\u200ba.txt\\u009b",
                      f"no{shown_esc}pe\\u200b", f"boom{shown_esc}\\u202e"):
            assert shown in text, shown
        for char in HIDDEN:
            assert char not in text
        # expanded, the call's params and result blocks are escaped too
        call = next(e for e in log.entries.entries if e.kind == "call")
        log.select(call)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "result (" in screen_text(app))
        text = screen_text(app)
        assert '"content": "x\\u202ey\\u001b' in text
        for char in HIDDEN:
            assert char not in text
        # and what goes to the terminal: no line the log draws carries one raw
        for y in range(log.scrollable_content_region.height):
            drawn = "".join(segment.text for segment in log.render_line(y))
            assert not any(char in drawn for char in HIDDEN), drawn


async def test_a_copied_event_keeps_the_text_as_the_model_wrote_it() -> None:
    # the clipboard gets the event's JSON, byte for byte (JSON escapes the controls)
    app = UnboundedPane()
    async with app.run_test(size=(160, 30)) as pilot:
        pane = app.query_one(TaskPane)
        pane.feed(hostile_events()[:2])
        await wait_until(pilot, lambda: pane.event_log.entries.total_events == 2)
        entry = pane.event_log.entries.entries[-1]
        assert entry.as_json()["text"] == hostile_events()[1].text
        assert isinstance(pane.event_log, EventLog)
