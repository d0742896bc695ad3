"""A task pane repaints only what changed, and what the terminal is left showing is still
exactly what the log draws: after a burst, a jump scroll, a move of the cursor, a search.

A model terminal stands in for the real one: it starts from the log's full drawing and,
after each frame, takes from the log only the regions the log asked to repaint, and of
each only the cells from the left edge to the region's end (what Textual sends of a
refreshed region). Any row the log changed without asking for enough of it shows up as a
difference between the model and the log's own drawing.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Label

from monstrum_tui.ui.row_diff import changed_cells
from monstrum_tui.ui.widgets.event_log import EventLog
from monstrum_tui.ui.widgets.keyed_table import KeyedTable
from monstrum_tui.ui.widgets.task_pane import TaskPane
from tests.test_ui_tasks import UnboundedPane, event
from tests.ui_pilot import screen_text, wait_until

Cells = list[tuple[str, Style | None]]


def cells(strip: Strip) -> Cells:
    return [(char, segment.style) for segment in strip for char in segment.text]


class ModelTerminal:
    """The log's rows as a terminal shows them, given only the repaints the log asks for."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.rows = self.drawn()
        self.asked: list[Region | None] = []
        refresh = log.refresh

        def recorded(*regions: Region, **kwargs: Any) -> Any:
            self.asked.extend(regions or [None])  # None: the whole widget
            return refresh(*regions, **kwargs)

        log.refresh = recorded  # type: ignore[method-assign]

    def drawn(self) -> list[Cells]:
        return [cells(self.log.render_line(y))
                for y in range(self.log.scrollable_content_region.height)]

    async def frame(self, pilot: Pilot[None]) -> None:
        """Let a frame go out, then apply what it repainted."""
        await pilot.pause()
        now = self.drawn()
        asked, self.asked = self.asked, []
        for region in asked:
            if region is None:
                self.rows = [list(row) for row in now]
                continue
            for y in range(region.y, min(len(now), region.bottom)):
                end = region.right
                self.rows[y] = now[y][:end] + self.rows[y][end:]


async def feed_lines(pilot: Pilot[None], pane: TaskPane, total: int) -> None:
    """Feed a started event and messages ``line 2`` .. ``line {total}``; wait for all."""
    pane.feed([event(1, "started")] + [
        event(s, "message", text=f"line {s}", turn=s) for s in range(2, total + 1)])
    await wait_until(pilot, lambda: pane.event_log.entries.total_events == total)


async def test_the_terminal_shows_what_the_log_draws_after_bursts_jumps_and_moves() -> None:
    app = UnboundedPane()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TaskPane)
        log = pane.event_log
        pane.feed([event(1, "started")])
        await wait_until(pilot, lambda: log.entries.total_events == 1)
        await pilot.pause(0.1)
        model = ModelTerminal(log)
        seq = 2
        # one event a frame, then bursts: the view fills and jump-scrolls many times
        for size in [1] * 25 + [7, 30, 3, 1, 1, 60, 2]:
            pane.feed([event(s, "message", text=f"line {s} " + "x" * (s % 37), turn=s)
                       for s in range(seq, seq + size)])
            seq += size
            await model.frame(pilot)
            assert model.rows == model.drawn()
        newest = seq - 1
        # the pane flushes on its own clock: on a loaded machine the last burst may not
        # have been drawn by the frame above
        await wait_until(pilot, lambda: log.entries.total_events == newest)
        await model.frame(pilot)
        assert model.rows == model.drawn()
        assert log.following
        assert f"line {newest} " in screen_text(app)  # the newest event is on screen
        # moving up selects (and pauses), a search marks matches, end follows again
        for keys in (["up"], ["up", "up", "up"], ["pageup"], ["end"]):
            log.focus()
            for key in keys:
                await pilot.press(key)
            await model.frame(pilot)
            assert model.rows == model.drawn()
        log.set_search("line 1")
        await model.frame(pilot)
        assert model.rows == model.drawn()
        assert f"line {newest} " in screen_text(app)
        # the tail of a row the terminal already shows is never sent again
        asked = []
        for more in range(seq, seq + 3):
            pane.feed([event(more, "message", text=f"line {more}", turn=more)])
            await pilot.pause()
            asked += model.asked
            await model.frame(pilot)
        assert asked and all(r is not None and r.width < log.size.width for r in asked)


async def test_following_hides_the_scrollbar_and_a_pause_shows_it_without_a_rewrap() -> None:
    app = UnboundedPane()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TaskPane)
        log = pane.event_log
        await feed_lines(pilot, pane, 59)
        await pilot.pause(0.1)
        width = log.scrollable_content_region.width
        assert log.following and log.show_vertical_scrollbar
        assert log.styles.scrollbar_visibility == "hidden"
        assert "line 59" in screen_text(app)
        log.focus()
        await pilot.press("up")
        await pilot.pause(0.1)
        assert not log.following and log.styles.scrollbar_visibility == "visible"
        assert log.scrollable_content_region.width == width  # its column was kept
        await pilot.press("end")
        await pilot.pause(0.1)
        assert log.following and log.styles.scrollbar_visibility == "hidden"
        assert "line 59" in screen_text(app)


async def test_the_status_line_spans_the_pane_and_is_cut_at_its_edge() -> None:
    app = UnboundedPane()
    async with app.run_test(size=(40, 12)) as pilot:
        pane = app.query_one(TaskPane)
        log = pane.event_log
        await feed_lines(pilot, pane, 29)
        status = pane.query_one(".pane-status", Label)
        await wait_until(pilot, lambda: "29 events" in str(status.content))
        await pilot.pause(0.1)
        # the pane's width whatever it says: a shrinking line left stale cells behind
        assert status.size.width == pane.content_region.width
        log.set_search("a search term long enough to be cut at the edge")
        pane.show_state(force=True)
        await pilot.pause(0.1)
        assert status.size.width == pane.content_region.width
        assert "…" in screen_text(app).splitlines()[-1]
        log.set_search("")
        pane.show_state(force=True)
        await pilot.pause(0.1)
        assert status.size.width == pane.content_region.width
        assert screen_text(app).splitlines()[-1].rstrip().endswith("following · 29 events")


def test_changed_cells_counts_from_the_left_to_the_last_difference() -> None:
    plain, bold = Style(), Style(bold=True)
    row = Strip([Segment("ab cd", plain), Segment("   ", plain)])
    assert changed_cells(row, Strip(list(row))) == 0
    assert changed_cells(row, Strip([Segment("ab ce", plain), Segment("   ", plain)])) == 5
    assert changed_cells(row, Strip([Segment("xb cd", plain), Segment("   ", plain)])) == 1
    assert changed_cells(row, Strip([Segment("ab cd", bold), Segment("   ", plain)])) == 5
    assert changed_cells(row, Strip([Segment("ab cd   ", plain)])) == 0  # the same cells
    # a wide character: its cells and the characters part ways, so the whole row
    assert changed_cells(row, Strip([Segment("ab 字 ", plain), Segment("  ", plain)])) == 8
    assert changed_cells(row, Strip([Segment("ab", plain)])) == 8  # another width


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable()


async def test_a_changed_cell_repaints_its_cell_not_the_table(monkeypatch) -> None:
    app = OneTable()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(KeyedTable)
        table.add_column("name", key="name", width=10)
        table.add_column("took", key="took", width=6)
        for n in range(10):
            table.add_row(f"task {n}", f"{n}s", key=f"t{n}")
        await pilot.pause()
        asked: list[tuple[Region, ...]] = []

        def recorded(self: Widget, *regions: Region, **kwargs: Any) -> Any:
            asked.append(regions)  # what reaches Textual's own refresh
            return Widget.refresh(self, *regions, **kwargs)

        monkeypatch.setattr(DataTable, "refresh", recorded, raising=False)
        table.update_cell("t3", "took", "13s")
        await pilot.pause()
        assert asked and all(regions for regions in asked)  # never the whole table
        assert {r.height for regions in asked for r in regions} == {1}
        assert "13s" in screen_text(app)
        assert table.get_cell("t3", "took") == "13s"
