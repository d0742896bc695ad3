"""What every top-level screen shares: header, connection banner, footer, too-small notice."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer

from ..widgets.connection_banner import ConnectionBanner
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
        yield Footer()
        yield TooSmall()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def monstrum(self) -> MonstrumApp:
        """The app, typed."""
        return cast("MonstrumApp", self.app)


class MonstrumModal(ModalScreen[object]):
    """A modal dialog that also says when the terminal is too small."""

    def compose(self) -> ComposeResult:
        yield from self.compose_dialog()
        yield TooSmall()

    def compose_dialog(self) -> ComposeResult:
        yield from ()

    @property
    def monstrum(self) -> MonstrumApp:
        return cast("MonstrumApp", self.app)
