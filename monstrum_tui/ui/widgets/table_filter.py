"""The ``/`` filter line above a list: typing narrows it, ``esc`` clears and closes it."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class TableFilter(Input):
    """Hidden until opened; closing hands focus back to the list it filters (``target``)."""

    BINDING_GROUP_TITLE = "Filter"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close filter", id="table_filter.close")
    ]

    def __init__(self, *, target: str = "DataTable", **kwargs: Any) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self.target = target

    def open(self) -> None:
        self.add_class("-shown")
        self.focus()

    def _back_to_list(self) -> None:
        self.screen.query_one(self.target).focus()

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("-shown")
        self._back_to_list()

    def submitted(self) -> None:
        """Enter: keep the filter (hidden if empty) and go back to the list."""
        if not self.value.strip():
            self.remove_class("-shown")
        self._back_to_list()
