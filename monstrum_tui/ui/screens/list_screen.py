"""``ListScreen``: the one skeleton under every list (Bots, Tasks, Resources, Integrations...).

A list declares, as data: its columns (``Column``: key, label, width, how a cell is made),
its sort orders, how an item is keyed and matched, the keys of its filter line
(``QuerySyntax``), and how its items are fetched (``fetch``: pages, in a worker). The
skeleton does the rest the same way everywhere: the filter line (``/``, with chips and
completion), sort (``s``/``S``), reload (``ctrl+r``), copy the id (``y``), the
status line, the empty and the error states, keeping the cursor on its row, and
updating only the cells that changed (a poll that changes one status redraws one cell).

Column widths are fixed, so a table never stays stretched by a row that is gone; one
column may be ``flex`` and take what the terminal has left, and a column may ask for a
minimum table width (shown at 120 columns, left out at 80).

To plug a new list in: subclass, set ``LIST_ID``/``NOUN``, implement ``columns``,
``key_of``, ``search_fields`` and ``fetch``; register the screen in ``navigation.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from ...client.async_client import AsyncClient
from ...client.errors import APIConnectionError, MonstrumError, PermissionError
from ..connection import ConnectionStatus
from ..data_changes import DataChange
from ..query import Query, QueryKey, QuerySyntax
from ..widgets.keyed_table import KeyedTable
from ..widgets.query_line import QueryLine
from .base import MonstrumScreen

T = TypeVar("T")

#: cells of padding DataTable puts around each column (``cell_padding`` 1, both sides)
COLUMN_PADDING = 2
#: room kept for the vertical scrollbar
SCROLLBAR = 1


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: ``render(item, width)`` makes its cell (see ``cells.cell``)."""

    key: str
    label: str
    width: int
    render: Callable[[T, int], Any]
    #: a share of the width the other columns leave (0: fixed at ``width``)
    flex: int = 0
    #: left out when the table is narrower than this
    min_table_width: int = 0


@dataclass(frozen=True)
class SortOrder(Generic[T]):
    label: str
    key: Callable[[T], Any]


def fit_columns(columns: Sequence[Column[Any]], width: int) -> list[tuple[Column[Any], int]]:
    """The columns shown at ``width`` cells, each with its width."""
    shown = [c for c in columns if width >= c.min_table_width]
    used = sum(c.width + COLUMN_PADDING for c in shown) + SCROLLBAR
    spare = max(0, width - used)
    shares = sum(c.flex for c in shown)
    out = []
    left = spare
    flexible = [c for c in shown if c.flex]
    for column in shown:
        extra = 0
        if column.flex:
            extra = left if column is flexible[-1] else spare * column.flex // shares
            left -= extra
        out.append((column, column.width + extra))
    return out


def same_cell(a: Any, b: Any) -> bool:
    """Whether two cells draw the same (``Text.__eq__`` ignores the base style)."""
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and a.style == b.style and a.spans == b.spans
    return bool(a == b)


class ItemsLoaded(Message):
    """Items fetched; ``first`` replaces what was shown (unless the list merges loads)."""

    def __init__(self, items: list[Any], *, first: bool, complete: bool) -> None:
        super().__init__()
        self.items = items
        self.first = first
        self.complete = complete


class ItemsLoadFailed(Message):
    """Loading stopped; ``error`` says why in words a user can act on."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ListScreen(MonstrumScreen, Generic[T]):
    """A list of ``T``; see the module docstring for what a subclass declares."""

    #: the prefix of the widgets' ids: ``#bots-table``, ``#bots-status``, ``#bots-filter``
    LIST_ID: ClassVar[str] = "items"
    NOUN: ClassVar[str] = "item"
    PLURAL: ClassVar[str] = ""
    QUERY: ClassVar[QuerySyntax] = QuerySyntax()
    #: filter as you type (lists held in memory); False: apply on enter
    LIVE_FILTER: ClassVar[bool] = True
    #: data changes (``DataChange.kind``) that make the list load again
    RELOAD_ON: ClassVar[frozenset[str]] = frozenset()
    #: said when the list is empty (and no filter is in force)
    EMPTY_TEXT: ClassVar[str] = "nothing here yet"
    #: loads add to the items instead of replacing them (a polled list)
    MERGE_LOADS: ClassVar[bool] = False
    #: a row's cells depend only on its item (and the column widths): an item object
    #: already rendered is not rendered again (a list loading page by page renders each
    #: page's items once, not every earlier page's again); False for lists whose cells
    #: also show the time or other state
    CELLS_FOLLOW_ITEM: ClassVar[bool] = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="list.filter", key_display="/"),
        Binding("s", "cycle_sort", "Sort", id="list.sort", show=False),
        Binding("S", "reverse_sort", "Reverse sort", id="list.sort_reverse", show=False),
        Binding("y", "copy_id", "Copy id", id="list.copy_id", show=False),
        Binding("ctrl+r", "reload", "Reload", id="list.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, T] = {}
        self.row_cells: dict[str, tuple[Any, ...]] = {}
        #: with ``CELLS_FOLLOW_ITEM``: each key's item object and the cells made of it
        self._item_cells: dict[str, tuple[T, tuple[Any, ...]]] = {}
        self.sort_index = 0
        self.sort_reverse = False
        self.is_loading = True
        #: a load has finished once (a polled list then stops saying "loading…")
        self.loaded_once = False
        self.load_error = ""
        self._layout: list[tuple[str, int]] = []
        self._shown_status: tuple[str, str, bool] | None = None

    # --- what a list declares ---------------------------------------------------

    def columns(self) -> Sequence[Column[T]]:
        raise NotImplementedError

    def sort_orders(self) -> Sequence[SortOrder[T]]:
        return ()

    def key_of(self, item: T) -> str:
        raise NotImplementedError

    def search_fields(self, item: T) -> Iterable[str]:
        """The texts free words of the filter are looked for in."""
        return ()

    def matches_term(self, item: T, key: str, value: str) -> bool:
        """Whether ``item`` passes the filter term ``key:value``."""
        return True

    def fetch(self, client: AsyncClient) -> AsyncIterator[list[T]]:
        """The items, a page at a time."""
        raise NotImplementedError

    def values_of(self, key: QueryKey) -> Sequence[tuple[str, str]]:
        """Completions for a filter key: (value to insert, label)."""
        return ()

    def copy_text(self, item: T) -> str:
        return self.key_of(item)

    def refused_text(self, exc: PermissionError) -> str:
        """What the list says when the server refuses the key (a 403)."""
        return f"this key may not list {self.plural} (it lacks {exc.required_scope})"

    def compose_extra(self) -> ComposeResult:
        """Widgets under the table (a detail pane, task panes)."""
        yield from ()

    def compose_above(self) -> ComposeResult:
        """Widgets between the status line and the table (an overview)."""
        yield from ()

    # --- the widgets ------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield QueryLine(self.QUERY, live=self.LIVE_FILTER, values_of=self.values_of,
                        id=f"{self.LIST_ID}-filter", classes="list-filter")
        yield Label("", id=f"{self.LIST_ID}-status", classes="list-status", markup=False)
        yield from self.compose_above()
        yield KeyedTable(id=f"{self.LIST_ID}-table", cursor_type="row", zebra_stripes=True,
                         classes="list-table")
        yield Static("", id=f"{self.LIST_ID}-empty", classes="list-empty", markup=False)
        yield from self.compose_extra()

    @property
    def table(self) -> KeyedTable:
        return self.query_one(f"#{self.LIST_ID}-table", KeyedTable)

    @property
    def filter_line(self) -> QueryLine:
        return self.query_one(f"#{self.LIST_ID}-filter", QueryLine)

    @property
    def filter_query(self) -> Query:
        return self.filter_line.in_force

    @property
    def plural(self) -> str:
        return self.PLURAL or f"{self.NOUN}s"

    def on_mount(self) -> None:
        self.table.focus()
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        self.watch(self.app, "connection", self._connection_changed, init=False)
        self.apply_layout()
        self.show_status()
        self.load()

    # --- loading ----------------------------------------------------------------

    @work(exclusive=True, group="list-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch the items page by page, posting each page as it arrives."""
        self.is_loading = True
        self.show_status()
        client = await self.monstrum.wait_for_client()
        first = True
        try:
            async for page in self.fetch(client):
                self.post_message(ItemsLoaded(page, first=first, complete=False))
                first = False
            self.post_message(ItemsLoaded([], first=first, complete=True))
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(ItemsLoadFailed(exc.message))
        except PermissionError as exc:
            self.post_message(ItemsLoadFailed(self.refused_text(exc)))
        except MonstrumError as exc:
            self.post_message(ItemsLoadFailed(str(exc)))

    def loading_now(self) -> bool:
        return any(w.node is self and w.group == "list-load" and w.is_running
                   for w in self.workers)

    @on(ItemsLoaded)
    def _loaded(self, message: ItemsLoaded) -> None:
        if message.first and not self.MERGE_LOADS:
            self.items = {}
        for item in message.items:
            self.items[self.key_of(item)] = item
        self.load_error = ""
        if message.complete:
            self.is_loading = False
            self.loaded_once = True
            self.loaded()
        self.render_rows()

    def loaded(self) -> None:
        """A load finished (all its pages arrived)."""

    @on(ItemsLoadFailed)
    def _load_failed(self, message: ItemsLoadFailed) -> None:
        self.is_loading = False
        self.load_error = message.error
        self.show_status()

    def _connection_changed(self, status: ConnectionStatus) -> None:
        self.show_status()
        # load again once the platform is back if the last load did not finish
        if status.usable and (self.load_error or self.is_loading) and not self.loading_now():
            self.load()

    def on_data_change(self, change: DataChange) -> None:
        if change.kind in self.RELOAD_ON:
            self.load()

    # --- the rows ---------------------------------------------------------------

    def matches(self, item: T, query: Query) -> bool:
        for key, value in query.terms.items():
            if not self.matches_term(item, key, value):
                return False
        if query.words:
            fields = [field.casefold() for field in self.search_fields(item) if field]
            for word in query.words:
                needle = word.casefold()
                if not any(needle in field for field in fields):
                    return False
        return True

    def visible_items(self) -> list[T]:
        query = self.filter_query
        shown = [item for item in self.items.values() if self.matches(item, query)]
        orders = self.sort_orders()
        if orders:
            shown.sort(key=orders[self.sort_index % len(orders)].key, reverse=self.sort_reverse)
        return shown

    def cells_of(self, item: T) -> tuple[Any, ...]:
        by_key = {c.key: c for c in self.columns()}
        return tuple(by_key[key].render(item, width) for key, width in self._layout)

    def _row_of(self, item: T) -> tuple[str, tuple[Any, ...]]:
        key = self.key_of(item)
        if not self.CELLS_FOLLOW_ITEM:
            return key, self.cells_of(item)
        known = self._item_cells.get(key)
        if known is not None and known[0] is item:
            return key, known[1]
        cells = self.cells_of(item)
        self._item_cells[key] = (item, cells)
        return key, cells

    def render_rows(self, focus: str | None = None) -> None:
        """Show the visible items: changed cells updated in place, rows added or refilled."""
        table = self.table
        rows = [self._row_of(item) for item in self.visible_items()]
        if len(self._item_cells) > len(self.items):  # forget items no longer listed
            self._item_cells = {k: v for k, v in self._item_cells.items() if k in self.items}
        keys = [key for key, _ in rows]
        current = table.row_keys()
        if current and keys[:len(current)] == current:
            for key, cells in rows[:len(current)]:
                before = self.row_cells.get(key)
                if before is cells:  # the very cells shown (CELLS_FOLLOW_ITEM)
                    continue
                for (column, _w), old, new in zip(self._layout, before or (), cells,
                                                  strict=False):
                    if not same_cell(old, new):
                        table.update_cell(key, column, new)
            for key, cells in rows[len(current):]:
                table.add_row(*cells, key=key)
            table.move_to_key(focus)
        else:
            table.refill(rows, focus=focus)
        self.row_cells = dict(rows)
        self.show_status()

    def apply_layout(self) -> None:
        """(Re)make the columns for the table's width (or if the table has none); refill
        if they changed.

        Every column gets its width here, before any row: a column sized by its content
        is measured only when the table next idles, and a row painted before that stays
        cached at the header's width (issue 11's first-run glitch).
        """
        width = self.table.size.width or self.app.size.width
        layout = [(c.key, w) for c, w in fit_columns(self.columns(), width)]
        table = self.table
        if layout == self._layout and table.columns:
            return
        self._layout = layout
        keep = table.cursor_key()
        table.clear(columns=True)
        labels = {c.key: c.label for c in self.columns()}
        for key, column_width in layout:
            table.add_column(labels[key], key=key, width=column_width)
        self.row_cells = {}
        self._item_cells = {}
        if self.items:
            self.render_rows(focus=keep)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.apply_layout)

    def cursor_key(self) -> str | None:
        return self.table.cursor_key()

    def current_item(self) -> T | None:
        key = self.cursor_key()
        return self.items.get(key) if key is not None else None

    # --- the status line, the empty and error states ----------------------------

    def status_parts(self) -> list[str]:
        """What the status line says before the load state (a subclass adds counts)."""
        total = len(self.items)
        parts = [f"{total} {self.NOUN if total == 1 else self.plural}"]
        if not self.filter_query.is_empty:
            parts.append(f"{self.table.row_count} shown")
        orders = self.sort_orders()
        if orders and (self.sort_index or self.sort_reverse):
            order = orders[self.sort_index % len(orders)]
            parts.append(f"sort: {order.label} {'↓' if self.sort_reverse else '↑'}")
        return parts

    def empty_text(self) -> str:
        if self.load_error:
            return f"could not load the {self.plural}: {self.load_error} · ctrl+r tries again"
        if self.is_loading and not self.items:
            return ("loading…" if self.monstrum.connection.usable
                    else "waiting for the platform…")
        if not self.items:
            return self.EMPTY_TEXT
        if not self.table.row_count:
            return f"no {self.plural} match this filter · esc clears it"
        return ""

    def show_status(self) -> None:
        parts = self.status_parts()
        if self.load_error:
            # the whole reason is under the table when it is empty; here, with rows, too
            parts.append(f"load failed: {self.load_error}" if self.items else "load failed")
        elif self.is_loading and not (self.MERGE_LOADS and self.loaded_once):
            # a polled list loads every few seconds: saying so each time would only flicker
            parts.append("loading…" if self.monstrum.connection.usable
                         else "waiting for the platform…")
        # updated only when they read differently: a poll that changes nothing writes
        # nothing to the terminal
        shown = (" · ".join(parts), self.empty_text(), bool(self.load_error))
        if shown != self._shown_status:
            self._shown_status = shown
            status, empty, failed = shown
            label = self.query_one(f"#{self.LIST_ID}-status", Label)
            label.update(status)
            label.set_class(failed, "-error")
            notice = self.query_one(f"#{self.LIST_ID}-empty", Static)
            notice.update(Text(empty, style="red" if failed else ""))
            self.set_class(bool(empty), "-list-empty")
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.table:
            self.refresh_bindings()
            self.highlighted(self.current_item())

    def highlighted(self, item: T | None) -> None:
        """The row under the cursor changed."""

    # --- filter, sort, copy, reload ---------------------------------------------

    def action_filter(self) -> None:
        self.filter_line.open()

    @on(QueryLine.Changed)
    def _filter_changed(self, message: QueryLine.Changed) -> None:
        if message.line is self.filter_line:
            message.stop()
            self.filter_changed(message.query)

    def filter_changed(self, query: Query) -> None:
        """A new filter is in force."""
        self.render_rows()

    @on(QueryLine.Closed)
    def _filter_closed(self, message: QueryLine.Closed) -> None:
        if message.line is self.filter_line:
            message.stop()
            self.table.focus()

    def clear_state(self) -> bool:
        return self.filter_line.clear_state()

    def action_cycle_sort(self) -> None:
        orders = self.sort_orders()
        if orders:
            self.sort_index = (self.sort_index + 1) % len(orders)
            self.render_rows()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.render_rows()

    def action_reload(self) -> None:
        self.load()

    def action_copy_id(self) -> None:
        item = self.current_item()
        if item is not None:
            text = self.copy_text(item)
            self.app.copy_to_clipboard(text)
            self.notify(f"copied {text}", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_id" and self.current_item() is None:
            return None
        if action in ("cycle_sort", "reverse_sort") and not self.sort_orders():
            return None
        return True
