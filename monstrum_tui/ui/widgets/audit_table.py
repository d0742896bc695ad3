"""The audit table: a virtual list drawing only the lines on screen, over an ``AuditWindow``.

A DataTable keeps every row it is given (and adding 10k rows takes seconds), so
this is a ``ScrollView`` whose ``render_line`` builds just the visible lines from
the window's pages; lines are cached by (entry, width, cursor). When the viewport
reaches rows whose page is not in memory it posts ``PagesWanted``; the screen
fetches them in workers and hands them back with ``page_arrived``.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...client.models import AuditEntry
from ..audit_window import AuditWindow, PageRequest
from ..visible_text import visible

#: the time column: with the year from 120 columns, without it on a narrower terminal
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SHORT_TIME_FORMAT = "%m-%d %H:%M:%S"
EMPTY_TEXT = "no entries match these filters"
COLUMN_KEYS = ("time", "bot", "tool", "status", "resource", "reason")
HEADERS = ("time (UTC)", "bot", "tool", "status", "resource", "reason")
#: widths of the fixed columns (time, bot, tool, status, resource) from a content width up
#: (the width inside the scrollbar: 119 on a 120-column terminal)
WIDE = 118
WIDTH_TIERS: tuple[tuple[int, tuple[int, ...]], ...] = (
    (WIDE, (19, 14, 14, 7, 14)),
    (88, (14, 14, 14, 7, 12)),
    (0, (14, 12, 13, 7, 11)),
)


def column_widths(width: int, hidden: frozenset[str] = frozenset()) -> list[int]:
    """Widths of time, bot, tool, status, resource, reason; the reason takes what is left,
    and a column the filters fix (``hidden``: every row says the same) gives it its room."""
    fixed = next(tier for least, tier in WIDTH_TIERS if width >= least)
    widths = [0 if key in hidden else w for key, w in zip(COLUMN_KEYS, fixed, strict=False)]
    used = sum(w + 1 for w in widths if w)  # one space after each fixed column
    return [*widths, max(4, width - used)]


def clip(text: str, width: int) -> str:
    """One line of at most ``width`` cells, with an ellipsis where it was cut."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(0, width - 1)] + "…"


class AuditTable(ScrollView, can_focus=True):
    """Audit entries, newest first, paged in as the viewport moves."""

    BINDING_GROUP_TITLE = "Audit table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", id="audit.cursor_up", show=False),
        Binding("down,j", "cursor(1)", "Down", id="audit.cursor_down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="audit.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="audit.page_down", show=False),
        Binding("ctrl+d", "half_page(1)", "Half a page down", id="audit.half_down", show=False),
        Binding("ctrl+u", "half_page(-1)", "Half a page up", id="audit.half_up", show=False),
        Binding("home,g", "first", "Newest", id="audit.first", show=False),
        # the listing is keyset-paged from the newest: the oldest row is not known
        # without walking there, so each press pages in the next 100 (filter by time
        # to reach old entries directly)
        Binding("end,G", "last", "Oldest loaded (each press loads 100 more)",
                id="audit.last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "audit-table--header",
        "audit-table--cursor",
        "audit-table--time",
        "audit-table--success",
        "audit-table--error",
        "audit-table--denied",
        "audit-table--would_deny",
        "audit-table--pending",
        "audit-table--unknown",
        "audit-table--placeholder",
    }

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)

    class PagesWanted(Message):
        """The viewport reached rows whose pages are not in memory."""

        def __init__(self, requests: list[PageRequest]) -> None:
            super().__init__()
            self.requests = requests

    class Highlighted(Message):
        """The entry under the cursor changed (None: nothing there, or not loaded yet)."""

        def __init__(self, entry: AuditEntry | None) -> None:
            super().__init__()
            self.entry = entry

    def __init__(
        self, window: AuditWindow | None = None, *, name: str | None = None,
        id: str | None = None, classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.window = window or AuditWindow()
        #: bot and resource ids -> names, for display
        self.names: dict[str, str] = {}
        #: columns left out because the filters fix them (``bot`` when one bot is asked for)
        self.hidden: frozenset[str] = frozenset()
        self._lines: LRUCache[tuple[str, int, bool, frozenset[str]], Strip] = LRUCache(256)
        self._highlighted_id: str | None = ""

    # --- the data --------------------------------------------------------------

    def reset(self) -> None:
        """Empty the view for a new query (older page answers are ignored from now on)."""
        self.window.reset()
        self.cursor_row = 0
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh_rows()
        self.ask_for_pages()  # the first page does not depend on the layout: ask now

    def page_arrived(
        self, request: PageRequest, entries: list[AuditEntry], next_cursor: str | None
    ) -> bool:
        """Keep a fetched page (False if the view moved on to another query)."""
        pages = (self.window.page_of(row) for row in self.visible_rows())
        visible = {page for page in pages if page is not None}
        if not self.window.store_page(request, entries, next_cursor, visible=visible):
            return False
        self.refresh_rows()
        return True

    def prepend(self, entries: list[AuditEntry]) -> bool:
        """Live-tail arrivals on top. Keeps the rows in view where they are unless the
        user is at the very top (then the newest show). False: too many, reload."""
        before = len(self.window.head)
        if not self.window.prepend(entries):
            return False
        added = len(self.window.head) - before
        self.virtual_size = Size(self.scrollable_content_region.width, self.window.row_count + 1)
        if added and (self.cursor_row > 0 or self.scroll_offset.y > 0):
            self.set_scroll(None, self.scroll_offset.y + added)
            self.cursor_row += added
        self.refresh_rows()
        return True

    def set_hidden(self, hidden: frozenset[str]) -> None:
        if hidden != self.hidden:
            self.hidden = hidden
            self._lines.clear()
            self.refresh()

    def set_names(self, names: dict[str, str]) -> None:
        self.names = names
        self._lines.clear()
        self.refresh()

    def refresh_rows(self) -> None:
        """The window changed: new size, redraw, fetch what is now missing."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.window.row_count + 1)
        self._lines.clear()
        self.refresh()
        self._clamp_cursor()
        self._announce()
        self.call_after_refresh(self.ask_for_pages)

    def visible_rows(self) -> range:
        top = round(self.scroll_offset.y)
        height = max(1, self.scrollable_content_region.height - 1)
        return range(top, min(top + height, self.window.row_count))

    def ask_for_pages(self) -> None:
        rows = self.visible_rows()
        requests = self.window.wanted(rows.start, max(rows.start, rows.stop - 1))
        if requests:
            self.post_message(self.PagesWanted(requests))

    @property
    def current_entry(self) -> AuditEntry | None:
        return self.window.entry(self.cursor_row)

    # --- drawing ---------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        row = round(self.scroll_offset.y) + y - 1
        if row >= self.window.row_count:
            if row == 0 and self.window.first_loaded:
                style = self.get_component_rich_style("audit-table--placeholder")
                return Strip([Segment(clip(f"  {EMPTY_TEXT}", width), style)], width)
            return Strip.blank(width, self.rich_style)
        entry = self.window.entry(row)
        cursor = row == self.cursor_row and self.window.row_count > 0
        if entry is None:
            style = self.get_component_rich_style("audit-table--placeholder")
            if cursor:
                style += self.get_component_rich_style("audit-table--cursor")
            return Strip([Segment(clip("  …", width), style)], width)
        key = (entry.id, width, cursor, self.hidden)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._row(entry, width, cursor)
            self._lines[key] = strip
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("audit-table--header")
        segments = [
            Segment(clip(title, w) + " ", style)
            for title, w in zip(HEADERS, column_widths(width, self.hidden), strict=True) if w
        ]
        return Strip(segments).adjust_cell_length(width, style)

    def _row(self, entry: AuditEntry, width: int, cursor: bool) -> Strip:
        base = self.rich_style
        cursor_style = self.get_component_rich_style("audit-table--cursor") if cursor else None
        status_class = f"audit-table--{entry.status}"
        status_style = (self.get_component_rich_style(status_class)
                        if status_class in self.COMPONENT_CLASSES else base)
        time_style = self.get_component_rich_style("audit-table--time")
        cells: list[tuple[str, Style]] = [
            (entry.timestamp.strftime(TIME_FORMAT if width >= WIDE else SHORT_TIME_FORMAT),
             time_style),
            (self.names.get(entry.bot_id, entry.bot_id), base),
            (entry.tool_name, base),
            (entry.status, status_style),
            (self.names.get(entry.resource_id or "", entry.resource_id or "—"), base),
            (entry.reason, status_style if entry.status == "denied" else base),
        ]
        segments = []
        for (text, style), w in zip(cells, column_widths(width, self.hidden), strict=True):
            if not w:
                continue
            if cursor_style is not None:
                style = style + cursor_style
            # a model's text: escape what would not draw as itself (ESC, bidi, zero-width)
            segments.append(Segment(clip(visible(text), w) + " ", style))
        pad = base + cursor_style if cursor_style is not None else base
        return Strip(segments).adjust_cell_length(width, pad)

    # --- the cursor ------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.ask_for_pages()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.window.row_count + 1)
        self._lines.clear()
        self.call_after_refresh(self.ask_for_pages)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._lines.clear()
        self.refresh()
        self._announce()

    def _clamp_cursor(self) -> None:
        last = max(0, self.window.row_count - 1)
        if self.cursor_row > last:
            self.cursor_row = last

    def _announce(self) -> None:
        entry = self.current_entry
        ident = entry.id if entry is not None else None
        if ident != self._highlighted_id:
            self._highlighted_id = ident
            self.post_message(self.Highlighted(entry))

    def move_cursor(self, row: int) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        count = self.window.row_count
        row = max(0, min(row, count - 1)) if count else 0
        self.cursor_row = row
        height = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_offset.y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.move_cursor(self.cursor_row + direction * height)

    def action_half_page(self, direction: int) -> None:
        height = max(1, (self.scrollable_content_region.height - 1) // 2)
        self.move_cursor(self.cursor_row + direction * height)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.window.row_count - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y <= 0:
            return
        row = round(self.scroll_offset.y) + event.y - 1
        if row < self.window.row_count:
            self.move_cursor(row)
