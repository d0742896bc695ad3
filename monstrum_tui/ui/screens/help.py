"""The ``?`` overlay: every binding of the screen underneath, from its own BINDINGS."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from ...client.config import config_path
from ..binding_catalog import BindingInfo
from .base import MonstrumModal


def shown_path(path: Path) -> str:
    """A path with the home directory written as ``~``."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def help_table(rows: list[BindingInfo]) -> Table:
    table = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("action")
    table.add_column(Text("id (for [keymap])"), style="dim", no_wrap=True)
    section = None
    for row in rows:
        if row.section != section:
            if section is not None:
                table.add_row("", "", "")
            table.add_row(Text(row.section, style="bold underline"), "", "")
            section = row.section
        table.add_row(row.keys, row.description, row.binding_id)
    return table


class HelpScreen(MonstrumModal):
    """Lists the bindings it is given; any of ``esc``, ``?``, ``q`` closes it."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help", id="help.close"),
    ]

    def __init__(self, title: str, rows: list[BindingInfo]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label(f"Keys: {self.title_text}", id="help-title", markup=False)
            with VerticalScroll(id="help-body"):
                yield Static(help_table(self.rows), id="help-table")
            yield Label(
                f"remap keys by id under [keymap] in {shown_path(config_path())} · esc closes",
                id="help-footer",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
