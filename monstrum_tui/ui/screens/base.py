"""What every top-level screen shares: header, connection banner, footer, too-small notice."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen

from ..widgets.connection_banner import ConnectionBanner
from ..widgets.fitted_footer import FittedFooter
from ..widgets.status_header import StatusHeader
from ..widgets.too_small import TooSmall

if TYPE_CHECKING:
    from ..app import MonstrumApp


class MonstrumScreen(Screen[None]):
    """A top-level screen: subclasses implement ``compose_body``."""

    #: shown in the terminal title and the help overlay
    SCREEN_TITLE = ""

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield ConnectionBanner()
        yield from self.compose_body()
        yield FittedFooter()
        yield TooSmall()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def monstrum(self) -> MonstrumApp:
        """The app, typed."""
        return cast("MonstrumApp", self.app)


#: below this many rows a dialog has class ``-short`` (its CSS can give up spacing)
SHORT_HEIGHT = 22


class MonstrumModal(ModalScreen[object]):
    """A modal dialog that also says when the terminal is too small."""

    def compose(self) -> ComposeResult:
        self.set_class(self.app.size.height < SHORT_HEIGHT, "-short")
        yield from self.compose_dialog()
        yield TooSmall()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_HEIGHT, "-short")

    def compose_dialog(self) -> ComposeResult:
        yield from ()

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self._mark_focused_row()

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        self._mark_focused_row()

    def _mark_focused_row(self) -> None:
        """Class ``-focused`` on the ``.form-row`` holding the cursor, so its label can say so
        (CSS ``:focus-within`` is not re-applied to a sibling label when focus moves)."""
        focused = self.focused
        ancestors = focused.ancestors if focused is not None else []
        for row in self.query(".form-row"):
            row.set_class(row in ancestors, "-focused")

    @property
    def monstrum(self) -> MonstrumApp:
        return cast("MonstrumApp", self.app)
