"""What every screen shares: header, connection banner, footer, too-small notice; ``esc``
that undoes one thing before it goes back; write actions that say why a key may not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from ..widgets.connection_banner import ConnectionBanner
from ..widgets.fitted_footer import FittedFooter
from ..widgets.status_header import StatusHeader
from ..widgets.too_small import TooSmall

if TYPE_CHECKING:
    from ..app import MonstrumApp


def clear_focused_state(screen: Screen[Any]) -> bool:
    """Ask the focused widget and its containers, innermost first, to clear one thing
    (a search, a selection); True once one did."""
    focused = screen.focused
    if focused is None:
        return False
    for node in focused.ancestors_with_self:
        if node is screen:
            break
        clear = getattr(node, "clear_state", None)
        if callable(clear) and clear():
            return True
    return False


class MonstrumScreen(Screen[None]):
    """A top-level screen: subclasses implement ``compose_body``.

    ``esc`` clears first (the focused widget's search, then the screen's filter:
    ``clear_state``) and only then goes back, as in k9s.
    """

    #: shown in the terminal title and the help overlay
    SCREEN_TITLE = ""
    #: write actions and the scope each needs (see ``write_access``)
    WRITE_ACTIONS: ClassVar[dict[str, str]] = {}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_or_back", "Clear filter, else back", id="screen.back",
                show=False),
    ]

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

    def clear_state(self) -> bool:
        """Clear the screen's own filter or selection; True if there was one."""
        return False

    async def action_clear_or_back(self) -> None:
        if clear_focused_state(self) or self.clear_state():
            return
        await self.monstrum.action_back()


#: below this many rows a dialog has class ``-short`` (its CSS can give up spacing)
SHORT_HEIGHT = 22


class MonstrumModal(ModalScreen[object]):
    """A modal dialog with a footer of its own keys, that also says when the terminal is
    too small."""

    WRITE_ACTIONS: ClassVar[dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        self.set_class(self.app.size.height < SHORT_HEIGHT, "-short")
        yield from self.compose_dialog()
        yield FittedFooter(classes="modal-footer")
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
