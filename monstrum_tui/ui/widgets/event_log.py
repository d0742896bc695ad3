"""The event log of a task pane: a Line API widget that renders only the visible lines.

Events arrive in batches (``add_events``, called by the pane's flush timer), fold into
``EventEntries`` (bounded), and are laid out as line ranges: one line per collapsed
entry, more when expanded. Laying an entry out only counts its lines; its styled text is
built when a row shows it. ``render_line`` maps a screen row to (entry, line) with a
bisect, so drawing costs the same with 10 or 5,000 entries kept.

What the terminal is sent is what changed: the log keeps the strip each row of the view
was last drawn with, and after a batch, a scroll or a move of the cursor asks Textual to
repaint only the rows that now draw differently, each only as far as it differs
(``row_diff``): a new line below the last costs its text, not its trailing blank.
Following jump-scrolls: when the view is full the log scrolls by two thirds of a view
at once (``JUMP_SHARE``), so moving the rows is paid once per that many events, and then
only for the start of each row that differs (a row's time and number, not the words
every event shares); the newest event is always the lowest line.

Everything a model or tool wrote is drawn through ``visible``: an escape, a bidi
override or a zero-width character shows as ``\\uXXXX``, never reaches the terminal raw.

Follow mode keeps the newest line in view until the user scrolls or moves up; while
paused, new events are counted (the pane shows "+N new") and ``end`` resumes.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import datetime
from typing import Any, ClassVar

from rich.cells import chop_cells
from rich.highlighter import JSONHighlighter
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...client.models import TaskEvent
from ..row_diff import changed_cells
from ..task_entries import MAX_ENTRIES, EventEntries, EventEntry
from ..visible_text import visible

#: a JSON block longer than this is cut (the whole of it is still copied with ``y``)
MAX_BLOCK_LINES = 400
#: compact JSON in a summary line is cut here (the line is cropped to the pane anyway)
SUMMARY_CHARS = 240
DETAIL_INDENT = 10
#: entries kept beyond the limit between trims (a trim moves every row, so it waits for
#: a jump scroll, which moves them anyway, or for this many extra entries)
TRIM_SLACK_SHARE = 10

#: how much of the view a jump scroll moves when the view is full while following: a
#: jump repaints the start of every row (the kept rows' text moves, the rest is cleared)
#: once per this many rows of events, so the more it moves the less each event costs
#: (two thirds: the newest line a third of the way down, six rows of text at 120x36)
JUMP_SHARE = 2 / 3

_json_highlighter = JSONHighlighter()


def compact_json(value: Any, limit: int = SUMMARY_CHARS) -> str:
    """One-line JSON with nothing hidden, cut at ``limit`` characters."""
    text = visible(json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": ")))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visible_lines(text: str) -> list[str]:
    """``text``'s lines, each with nothing hidden (a line break stays a break)."""
    return [visible(line) for line in text.split("\n")]


def fold(paragraphs: list[str], width: int) -> list[str]:
    """Lines of at most ``width`` cells (cut anywhere, like a terminal; cheap for ASCII)."""
    out: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= width and paragraph.isascii():
            out.append(paragraph)
        else:
            out.extend(chop_cells(paragraph, width) or [""])
    return out


def format_offset(seconds: float) -> str:
    """Time since the task started, 7 cells wide: ``  +1.2s``, `` +12m05``."""
    if seconds < 0:
        seconds = 0.0
    if seconds < 1000:
        return f"{'+' + format(seconds, '.1f') + 's':>7}"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 1000:
        return f"{'+' + str(minutes) + 'm' + format(secs, '02d'):>7}"
    return f"{'+' + str(minutes // 60) + 'h':>7}"


def format_ms(ms: float | None) -> str:
    """A tool call's duration, 6 cells wide."""
    if ms is None:
        return "     …"
    if ms < 1000:
        return f"{ms:>4.0f}ms"
    if ms < 100_000:
        return f"{ms / 1000:>5.1f}s"
    return f"{ms / 60_000:>5.0f}m"


class EventLog(ScrollView, can_focus=True):
    """A task's events, newest at the bottom; ``up``/``down`` select, ``enter`` expands."""

    BINDING_GROUP_TITLE = "Task pane"
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-log--time",
        "event-log--started",
        "event-log--message",
        "event-log--call",
        "event-log--ok",
        "event-log--denied",
        "event-log--error",
        "event-log--end",
        "event-log--label",
        "event-log--dropped",
        "event-log--cursor",
        "event-log--match",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "select(-1)", "Previous event", id="pane.up", show=False),
        Binding("down,j", "select(1)", "Next event", id="pane.down", show=False),
        Binding("pageup", "select_page(-1)", "Page up", id="pane.page_up", show=False),
        Binding("pagedown", "select_page(1)", "Page down", id="pane.page_down", show=False),
        Binding("home,g", "first", "First event", id="pane.first", show=False),
        Binding("end,G", "follow", "Follow", id="pane.follow"),
        Binding("enter,space", "toggle", "Expand", id="pane.expand"),
    ]

    class FollowChanged(Message):
        """Following started or stopped, or the count of unseen events changed."""

        def __init__(self, log: EventLog) -> None:
            super().__init__()
            self.log = log

        @property
        def control(self) -> EventLog:
            return self.log

    def __init__(
        self, *, limit: int = MAX_ENTRIES, name: str | None = None, id: str | None = None,
        classes: str | None = None,
    ) -> None:
        # "-following" from the start (see ``following``)
        super().__init__(name=name, id=id, classes=f"{classes or ''} -following".strip())
        self.entries = EventEntries(limit)
        self._following = True
        #: events that arrived while paused (the "+N new" marker)
        self.unseen = 0
        #: serial of the selected entry; None means "the last one"
        self.selected: int | None = None
        self.search_term = ""
        self.t0: datetime | None = None
        self._starts: list[int] = []
        self._end = 0
        #: while following, the virtual height is at least this: the room below the last
        #: line that a jump scroll opened, which the next events fill without a scroll
        self._padded_end = 0
        self._width = 0
        self._lines_cache: LRUCache[tuple[int, int, int, bool], list[Text]] = LRUCache(512)
        self._strip_cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._styles: dict[str, Style] = {}
        #: per row of the view, the strip the terminal was last given (or will be, with the
        #: repaint asked for it): what a changed row is compared with
        self._shown_rows: dict[int, Strip] = {}
        #: set while ``add_events`` scrolls: it repaints once, after
        self._repaint_held = False

    @property
    def following(self) -> bool:
        """Whether the newest line is kept in view (the ``-following`` class says so too)."""
        return self._following

    @following.setter
    def following(self, value: bool) -> None:
        self._following = value
        # the stylesheet hides the scrollbar while following: pinned to the end, its thumb
        # says nothing, and it moved at every jump scroll, repainting its whole column
        self.set_class(value, "-following")

    # --- styles -------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._lines_cache.clear()
        self._strip_cache.clear()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(f"event-log--{name}", partial=True)
            if style.bgcolor is not None:
                # the partial style has the CSS background without its alpha (a full-strength
                # accent under red text); the full style has it blended onto the pane
                blended = self.get_component_rich_style(f"event-log--{name}").bgcolor
                style += Style(bgcolor=blended)
            self._styles[name] = style
        return style

    # --- feeding ------------------------------------------------------------

    def add_events(self, batch: list[TaskEvent]) -> None:
        """Fold a batch of events in, drop what exceeds the bound, and redraw what changed."""
        if not batch:
            return
        entries = self.entries
        if self.t0 is None:
            self.t0 = batch[0].timestamp
        width = self._layout_width()
        relayout_from: int | None = None
        for event in batch:
            entry, new = entries.add(event)
            if new:
                self._starts.append(self._end)
                self._end += self._height(entry, width)
                continue
            index = entry.serial - entries.first_serial
            if entry.expanded and (relayout_from is None or index < relayout_from):
                relayout_from = index
        if relayout_from is not None:
            self._relayout(relayout_from, width)
        view = max(1, self.scrollable_content_region.height)
        overflows = self.following and self.line_count > max(self._padded_end, view)
        excess = len(entries) - entries.limit
        dropped = shift = 0
        if excess > 0 and (overflows or excess > entries.limit // TRIM_SLACK_SHARE):
            old_top = self._top()
            dropped = entries.trim()
            del self._starts[:dropped]
            shift = self._top() - old_top
            self._padded_end = max(0, self._padded_end - shift)
        if self.following and self.line_count > max(self._padded_end, view):
            # the view is full: scroll by JUMP_SHARE of a view at once, the rows below
            # the newest line blank for the next events
            self._padded_end = self.line_count + max(1, int(view * JUMP_SHARE))
        self._update_virtual_size()
        self._repaint_held = True  # the repaint below covers the scroll
        try:
            if self.following:
                if self.scroll_y != self.max_scroll_y:
                    self._scroll_end()
            else:
                self.unseen += len(batch)
                if dropped and self.scroll_y > 0:
                    self._scroll_y_to(max(0, self.scroll_y - shift))
                self.post_message(self.FollowChanged(self))
        finally:
            self._repaint_held = False
        self.repaint_changed_rows()

    def repaint_changed_rows(self) -> None:
        """Ask Textual to repaint each row whose drawing changed since the terminal was
        last given it, and only as far as it changed (see ``row_diff``).

        A scroll moves every row, but after a jump most of a row is what the row the
        terminal shows already says (the same columns, the same words) and a blank row
        stays blank: the terminal is sent the differing start of each row, not the view.
        """
        # the rows are drawn the widget's width: under the scrollbar's column too, which
        # shows while the scrollbar is hidden (following)
        width = self.size.width
        for y in range(self.scrollable_content_region.height):
            new = self._row_strip(y)
            old = self._shown_rows.get(y)
            cells = width if old is None else changed_cells(old, new)
            self._shown_rows[y] = new
            if cells:
                self.refresh(Region(0, y, min(width, cells), 1))

    # --- layout -------------------------------------------------------------

    def _layout_width(self) -> int:
        if not self._width:
            self._width = max(20, self.scrollable_content_region.width or self.size.width or 80)
        return self._width

    def _top(self) -> int:
        """The absolute line where the first kept entry starts."""
        return self._starts[0] if self._starts else self._end

    @property
    def marker_lines(self) -> int:
        return 1 if self.entries.dropped_events else 0

    @property
    def line_count(self) -> int:
        return self.marker_lines + self._end - self._top()

    def _height(self, entry: EventEntry, width: int) -> int:
        if not entry.expanded:
            return 1
        if entry.kind == "message":
            # counted, not drawn: a streamed model turn is laid out once per chunk
            text = entry.text
            if len(text) <= width - DETAIL_INDENT and text.isascii() and text.isprintable():
                return 1  # one short line (the common case), nothing to escape or cut
            return len(self._wrap_parts(self._message_text(entry), width))
        return len(self.entry_lines(entry, width))

    def _relayout(self, start: int, width: int) -> None:
        """Recompute line starts from entry ``start`` on (after an entry changed height)."""
        entries = self.entries.entries
        if start >= len(entries):
            return
        position = self._starts[start]
        for index in range(start, len(entries)):
            self._starts[index] = position
            position += self._height(entries[index], width)
        self._end = position

    def _update_virtual_size(self) -> None:
        size = Size(self._layout_width(), max(self.line_count, self._padded_end))
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size
            return
        # Setting ``virtual_size`` asks for a layout of the whole screen; a log that only
        # grows does not change its own box, so update the scrollbar alone and lay out
        # only when the scrollbar appears or goes (Textual 8.2.8's own update path).
        had_scrollbar = self.show_vertical_scrollbar
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)
        if self.show_vertical_scrollbar != had_scrollbar:
            self.refresh(layout=True)
            # the scrollbar takes (or gives back) a column: wrap again to the new width,
            # or the last character of every wrapped line hides under it
            self.call_after_refresh(self._sync_width)

    def _sync_width(self) -> None:
        """Wrap every entry to the width the text really has."""
        width = max(20, self.scrollable_content_region.width)
        if width != self._width:
            self._width = width
            self._strip_cache.clear()
            if self._starts:
                self._relayout(0, width)
            self._update_virtual_size()
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._padded_end = 0
        self._sync_width()
        self._update_virtual_size()
        if self.following:
            self.call_after_refresh(self._scroll_end)

    def locate(self, y: int) -> tuple[EventEntry | None, int]:
        """The entry drawn on virtual line ``y`` and the line within it (None: marker/blank)."""
        y -= self.marker_lines
        if y < 0 or not self._starts:
            return None, 0
        absolute = self._top() + y
        if absolute >= self._end:
            return None, 0
        index = bisect_right(self._starts, absolute) - 1
        return self.entries.entries[index], absolute - self._starts[index]

    def entry_range(self, entry: EventEntry) -> tuple[int, int]:
        """The virtual lines [first, last] the entry occupies."""
        index = entry.serial - self.entries.first_serial
        first = self._starts[index] - self._top() + self.marker_lines
        end = self._starts[index + 1] if index + 1 < len(self._starts) else self._end
        return first, first + (end - self._starts[index]) - 1

    # --- drawing ------------------------------------------------------------

    def entry_lines(self, entry: EventEntry, width: int) -> list[Text]:
        """The lines of an entry at ``width`` (cached per entry version)."""
        key = (entry.serial, entry.version, width, entry.expanded)
        lines = self._lines_cache.get(key)
        if lines is None:
            if entry.kind == "message" and entry.expanded:
                # the text wraps under its first line, which follows the time
                lines = self._wrapped(self._message_text(entry), width, self._style("message"))
                lines[0] = self._time(entry.event).append("“ ", self._style("message")) + (
                    lines[0][DETAIL_INDENT:])
            else:
                lines = [self._summary(entry)]
                if entry.expanded:
                    lines.extend(self._details(entry, width))
            self._lines_cache[key] = lines
        return lines

    def _time(self, event: TaskEvent) -> Text:
        offset = (event.timestamp - self.t0).total_seconds() if self.t0 else 0.0
        return Text(format_offset(offset) + " ", style=self._style("time"))

    def _summary(self, entry: EventEntry) -> Text:
        event = entry.event
        line = self._time(event)
        if entry.kind == "started":
            line.append("▶ started", self._style("started"))
        elif entry.kind == "message":
            first = entry.text.strip("\n").split("\n", 1)[0]
            line.append("“ ", self._style("message"))
            line.append(visible(first), self._style("message"))
        elif entry.kind == "call":
            result = entry.result
            if result is None:
                line.append("→", self._style("call"))
            elif result.type == "error":
                line.append("✗", self._style("error"))
            else:
                line.append("✓", self._style("ok"))
            line.append(" " + format_ms(result.duration_ms if result else None) + " ")
            line.append(visible(event.tool_name or "?"), self._style("call") + Style(bold=True))
            line.append(" " + compact_json(event.params or {}))
            if result is not None and result.type == "error":
                line.append(" → " + visible(result.error or "failed"), self._style("error"))
            elif result is not None:
                line.append(" → ", self._style("label"))
                line.append(compact_json(result.data))
        elif entry.kind == "denied":
            reason = event.reason or {}
            style = self._style("denied")
            line.append(f"⊘ denied {visible(event.tool_name or '?')}: ", style + Style(bold=True))
            line.append(visible(str(reason.get("message") or reason.get("check") or "denied")),
                        style)
            line.append(" " + compact_json(event.params or {}), style)
        elif entry.kind == "approval":
            self._approval_summary(line, event)
        elif entry.kind == "error":
            label = f"! error {visible(event.tool_name)}: " if event.tool_name else "! error: "
            line.append(label + visible(event.error or ""), self._style("error"))
        else:  # the task's end
            style = self._style("error") if entry.failed else self._style("end")
            counts = f" ({self.entries.tool_calls} tool calls, {self.entries.denials} denied)"
            line.append(f"■ {visible(event.status or '')}", style + Style(bold=True))
            line.append(counts if event.status == "completed"
                        else f": {visible(event.error or '')}", style)
        if not entry.expanded and self._expandable(entry):
            line.append(" ▸", self._style("label"))
        return line

    def _approval_summary(self, line: Text, event: TaskEvent) -> None:
        approval = event.approval
        tool = visible(event.tool_name or "?")
        if approval is None or approval.status == "pending":
            line.append(f"◆ waiting for approval: {tool} ", self._style("call") + Style(bold=True))
            line.append(compact_json(event.params or {}))
            if approval is not None:
                line.append(f" · {visible(approval.reason or '')}", self._style("label"))
            return
        who = visible(approval.decided_by_name or approval.decided_by or "")
        said = f": {visible(approval.decision_reason)}" if approval.decision_reason else ""
        style = self._style("ok") if approval.status == "approved" else self._style("denied")
        by = f" by {who}" if who and approval.status in ("approved", "rejected") else ""
        line.append(f"◇ {approval.status}{by} {tool}{said}", style)

    @staticmethod
    def _expandable(entry: EventEntry) -> bool:
        return entry.kind in ("call", "denied", "message", "approval") or (
            entry.kind == "end" and bool(entry.event.output or entry.event.error)
        )

    def _block(self, label: str, value: Any) -> list[Text]:
        text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
        raw = text.split("\n")
        lines = [Text(" " * DETAIL_INDENT + label, style=self._style("label"))]
        for part in raw[:MAX_BLOCK_LINES]:
            lines.append(_json_highlighter(Text(" " * (DETAIL_INDENT + 2) + visible(part))))
        if len(raw) > MAX_BLOCK_LINES:
            lines.append(Text(
                " " * (DETAIL_INDENT + 2) + f"… {len(raw) - MAX_BLOCK_LINES} more lines "
                "(copy the event to see all)", style=self._style("label")))
        return lines

    @staticmethod
    def _message_text(entry: EventEntry) -> str:
        return entry.text.strip("\n") or " "

    @staticmethod
    def _wrap_parts(text: str, width: int) -> list[str]:
        """``text`` with nothing hidden, cut to the width under the indent."""
        lines = visible_lines(text.rstrip())
        return fold(lines, max(10, width - DETAIL_INDENT))[:MAX_BLOCK_LINES]

    def _wrapped(self, text: str, width: int, style: Style | None = None) -> list[Text]:
        pad = " " * DETAIL_INDENT
        return [Text(pad + part, style=style or "") for part in self._wrap_parts(text, width)]

    def _details(self, entry: EventEntry, width: int) -> list[Text]:
        event = entry.event
        if entry.kind == "call":
            lines = self._block("params", event.params or {})
            if entry.result is not None and entry.result.type == "error":
                lines += self._wrapped(entry.result.error or "", width, self._style("error"))
            elif entry.result is not None:
                lines += self._block(
                    f"result ({format_ms(entry.result.duration_ms).strip()})", entry.result.data
                )
            else:
                lines.append(Text(" " * DETAIL_INDENT + "waiting for the result…",
                                  style=self._style("label")))
            return lines
        if entry.kind == "denied":
            return self._block("reason", event.reason or {}) + self._block(
                "params", event.params or {}
            )
        if entry.kind == "approval" and event.approval is not None:
            return self._block("approval", event.approval.model_dump(
                mode="json", exclude_none=True, exclude={"params"}))
        if entry.kind == "end" and event.output:
            return self._wrapped(event.output, width)
        if entry.kind == "end" and event.error and len(event.error) > width - 20:
            # the summary line is cut at the pane's edge: the whole reason, wrapped
            return self._wrapped(event.error, width, self._style("error"))
        return []

    def render_line(self, y: int) -> Strip:
        strip = self._row_strip(y)
        # what Textual draws of row y is the last strip given for it (it keeps the others)
        self._shown_rows[y] = strip
        return strip

    def _row_strip(self, y: int) -> Strip:
        """What row ``y`` of the view shows now."""
        width = self.size.width
        base = self.rich_style
        virtual_y = round(self.scroll_y) + y
        if self.marker_lines and virtual_y == 0:
            text = Text(f"… {self.entries.dropped_events:,} earlier events dropped",
                        style=self._style("dropped"))
            return self._to_strip(text, width, base)
        entry, index = self.locate(virtual_y)
        if entry is None:
            return Strip.blank(width, base)
        # while following nothing is highlighted: a cursor on the newest line would move
        # with every event and repaint two rows each time (keys still act on the newest)
        selected = self.selected is not None and entry.serial == self.selected_serial()
        key = (entry.serial, entry.version, entry.expanded, index, width, selected,
               self.search_term)
        strip = self._strip_cache.get(key)
        if strip is None:
            lines = self.entry_lines(entry, self._layout_width())
            text = lines[index].copy() if index < len(lines) else Text("")
            if self.search_term:
                text.highlight_words([self.search_term], self._style("match"),
                                     case_sensitive=False)
            if selected:
                if text.cell_len < width:
                    text.append(" " * (width - text.cell_len))
                text.stylize(self._style("cursor"))
            strip = self._to_strip(text, width, base)
            self._strip_cache[key] = strip
        return strip

    def _to_strip(self, text: Text, width: int, base: Style) -> Strip:
        text.no_wrap = True
        text.end = ""
        segments = [
            Segment(seg.text, base + seg.style if seg.style else base, seg.control)
            for seg in text.render(self.app.console)
        ]
        # one escape sequence per run of one style, not per piece of text
        return Strip(segments).crop_extend(0, width, base).simplify()

    # --- selection, follow, search ------------------------------------------

    def selected_serial(self) -> int | None:
        if not self.entries.entries:
            return None
        if self.selected is None:
            return self.entries.entries[-1].serial if self.following else None
        if self.selected < self.entries.first_serial:
            return self.entries.first_serial
        return self.selected

    def selected_entry(self) -> EventEntry | None:
        serial = self.selected_serial()
        if serial is None and self.entries.entries:
            serial = self.entries.entries[-1].serial
        return self.entries.by_serial(serial) if serial is not None else None

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's own watcher repaints the whole view on a scroll; the rows that
        # changed are enough
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = new_value
        if round(old_value) != round(new_value) and not self._repaint_held:
            self.repaint_changed_rows()
        # a scroll up that leaves the bottom is the user's; a clamp after a resize is not
        if self.following and new_value < old_value - 0.5 and new_value < self.max_scroll_y:
            self.following = False
            self.post_message(self.FollowChanged(self))
        elif new_value >= self.max_scroll_y and not self.following and self.selected is None:
            self.resume_follow()

    def _scroll_y_to(self, y: float) -> None:
        # force: right after the content grows the scrollbar may not be laid out yet
        self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def _scroll_end(self) -> None:
        self._scroll_y_to(self.max_scroll_y)

    def resume_follow(self) -> None:
        """Stick to the bottom again and forget the unseen count."""
        self.following = True
        self.unseen = 0
        self.selected = None
        self._padded_end = 0  # the newest line at the bottom again
        self._update_virtual_size()
        self._scroll_end()
        self.repaint_changed_rows()
        self.post_message(self.FollowChanged(self))

    def pause_follow(self) -> None:
        if self.following:
            self.following = False
            self.post_message(self.FollowChanged(self))

    def select(self, entry: EventEntry) -> None:
        """Select ``entry``, scroll it into view and stop following."""
        self.pause_follow()
        self.selected = entry.serial
        first, last = self.entry_range(entry)
        height = self.scrollable_content_region.height
        if first < self.scroll_y:
            self._scroll_y_to(first)
        elif last >= self.scroll_y + height:
            self._scroll_y_to(min(first, last - height + 1))
        self.repaint_changed_rows()

    def action_select(self, step: int) -> None:
        entries = self.entries
        if not entries.entries:
            return
        current = self.selected_entry()
        serial = (current.serial if current else entries.first_serial) + step
        last = entries.entries[-1].serial
        if step > 0 and serial > last:
            if not self.following:
                self.resume_follow()
            return
        target = entries.by_serial(max(entries.first_serial, min(serial, last)))
        if target is not None:
            self.select(target)

    def action_select_page(self, direction: int) -> None:
        self.action_select(direction * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        if self.entries.entries:
            self.select(self.entries.entries[0])

    def action_follow(self) -> None:
        self.resume_follow()

    # Textual's DOMNode has a generic action_toggle(attribute_name); this widget's "toggle"
    # (the binding's action, part of its API) expands an entry instead
    def action_toggle(self) -> None:  # type: ignore[override]
        entry = self.selected_entry()
        if entry is None:
            return
        if self.following and self.selected is None:
            self.selected = entry.serial
            self.pause_follow()
        entry.expanded = not entry.expanded
        index = entry.serial - self.entries.first_serial
        self._relayout(index, self._layout_width())
        self._update_virtual_size()
        self.select(entry)

    def set_search(self, term: str) -> None:
        self.search_term = term.strip()
        self.repaint_changed_rows()

    def matches(self) -> int:
        term = self.search_term.lower()
        if not term:
            return 0
        return sum(term in entry.search_text() for entry in self.entries.entries)

    def find(self, direction: int) -> bool:
        """Select the next (1) or previous (-1) entry matching the search; False if none."""
        term = self.search_term.lower()
        entries = self.entries.entries
        if not term or not entries:
            return False
        current = self.selected_entry()
        start = (current.serial - self.entries.first_serial) if current else len(entries) - 1
        count = len(entries)
        for step in range(1, count + 1):
            index = (start + direction * step) % count
            if term in entries[index].search_text():
                self.select(entries[index])
                return True
        return False
