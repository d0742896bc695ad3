"""``KeyedTable``: a row table keyed by object id that keeps the user's place on refill."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from textual.widgets import DataTable


class KeyedTable(DataTable[Any]):
    """A DataTable whose rows are keyed by an object's id (a bot id, a resource id...).

    Screens refill it on every reload or filter change; ``refill`` puts the cursor back
    on the same key, so the user does not lose their place.
    """

    #: the help overlay's section title for the table's own keys (not the class name)
    BINDING_GROUP_TITLE = "Table"

    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if there is one."""
        if self.row_count == 0:
            return None
        try:
            row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # the cursor is past the rows while the table refills
            return None
        return str(row_key.value) if row_key.value is not None else None

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
