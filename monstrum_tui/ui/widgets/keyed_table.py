"""``KeyedTable``: a row table keyed by object id, with k9s/vi keys, that keeps the user's
place on refill."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

if TYPE_CHECKING:
    from typing_extensions import Self

#: the keys every table has; ids ``table.*`` remap them in every table at once
TABLE_BINDINGS: list[BindingType] = [
    Binding("down,j", "cursor_down", "Down", id="table.down", show=False),
    Binding("up,k", "cursor_up", "Up", id="table.up", show=False),
    Binding("home,g", "first_row", "First row", id="table.first", show=False),
    Binding("end,G", "last_row", "Last row", id="table.last", show=False),
    Binding("ctrl+d", "half_page(1)", "Half a page down", id="table.half_down", show=False),
    Binding("ctrl+u", "half_page(-1)", "Half a page up", id="table.half_up", show=False),
    Binding("pagedown", "page_down", "Page down", id="table.page_down", show=False),
    Binding("pageup", "page_up", "Page up", id="table.page_up", show=False),
]


class KeyedTable(DataTable[Any]):
    """A DataTable whose rows are keyed by an object's id (a bot id, a resource id...).

    Screens refill it on every reload or filter change; ``refill`` puts the cursor back
    on the same key, so the user does not lose their place.
    """

    #: the help overlay's section title for the table's own keys (not the class name)
    BINDING_GROUP_TITLE = "Table"
    BINDINGS: ClassVar[list[BindingType]] = TABLE_BINDINGS

    #: inside ``update_cell``: DataTable's repaint of the whole table is not wanted
    _updating_cell = False

    def update_cell(
        self, row_key: RowKey | str, column_key: ColumnKey | str, value: CellType, *,
        update_width: bool = False,
    ) -> None:
        """Change one cell and repaint that cell alone.

        DataTable repaints the whole table for a changed cell, and the terminal is sent
        every row again (a live list changes a cell or two per poll); the cell's own
        region is enough when its column keeps its width.
        """
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
            return
        self._updating_cell = True
        try:
            super().update_cell(row_key, column_key, value)
        finally:
            self._updating_cell = False
        self.refresh_coordinate(Coordinate(self.get_row_index(row_key),
                                           self.get_column_index(column_key)))

    def render_line(self, y: int) -> Strip:
        # one escape sequence per run of one style: DataTable draws each cell's padding as
        # a piece of its own, and the terminal was sent the whole style again for each
        return super().render_line(y).simplify()

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._updating_cell and not (regions or layout or recompose):
            return self  # update_cell repaints its cell itself
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if there is one."""
        if self.row_count == 0:
            return None
        try:
            row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # the cursor is past the rows while the table refills
            return None
        return str(row_key.value) if row_key.value is not None else None

    def row_keys(self) -> list[str]:
        """The keys of the rows, in the order shown."""
        return [str(row.key.value) for row in self.ordered_rows]

    def move_to_key(self, key: str | None) -> None:
        """Put the cursor on ``key``'s row, if that row is shown."""
        if key is not None and key in self.rows:
            self.move_cursor(row=self.get_row_index(key), animate=False)

    def refill(
        self, rows: Iterable[tuple[str, Sequence[Any]]], *, focus: str | None = None
    ) -> None:
        """Replace every row with ``(key, cells)`` pairs; the cursor stays on its key."""
        keep = focus or self.cursor_key()
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self.move_to_key(keep)

    # --- the keys ---------------------------------------------------------------

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def action_half_page(self, direction: int) -> None:
        if not self.row_count:
            return
        rows = max(1, (self.scrollable_content_region.height - self.header_height) // 2)
        target = max(0, min(self.row_count - 1, self.cursor_row + direction * rows))
        self.move_cursor(row=target, animate=False)
