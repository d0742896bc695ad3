"""The ``:`` prompt: type a screen's name (``bots``, ``tasks``...) and go there."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from ..widgets.typed_fields import FieldInput
from .base import MonstrumModal

QUIT_WORDS = frozenset({"q", "quit", "exit"})


class JumpScreen(MonstrumModal):
    """Dismisses with the chosen screen name, ``"quit"``, or None when cancelled."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="jump.cancel")
    ]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="jump-dialog"):
            yield Label("", id="jump-error", markup=False)
            with Horizontal(id="jump-line"):
                # the prompt says what the line is for, even in NO_COLOR or 16 colours
                yield Label(":", id="jump-prompt")
                yield FieldInput(
                    placeholder=" | ".join(self.names),
                    suggester=SuggestFromList(self.names, case_sensitive=False),
                    id="jump-input",
                    compact=True,
                )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        wanted = event.value.strip().lstrip(":").lower()
        if wanted in QUIT_WORDS:
            self.dismiss("quit")
            return
        matches = [n for n in self.names if n == wanted] or [
            n for n in self.names if wanted and n.startswith(wanted)
        ]
        if len(matches) == 1:
            self.dismiss(matches[0])
            return
        error = self.query_one("#jump-error", Label)
        error.update(f"no screen '{wanted}'; screens: {', '.join(self.names)}")
        error.add_class("-shown")

    def action_cancel(self) -> None:
        self.dismiss(None)
