"""Forms that are safe to type ahead into, on a laggy link or at tmux paste speed.

Keys reach the app one at a time and are handed to the focused widget's own queue; a
field works through its queue later. A binding that moves focus only after the key
has bubbled back up lets the keys behind it land in the old field (``burst<Tab>desc``
all in Name). So:

- ``tab``/``shift+tab``, and ``enter`` in a one-line field, are *priority* bindings: they
  move focus the moment the app sees them, and each later key goes where the focus then is;
- an action that reads the fields (save, apply) first waits until every field has worked
  through the keys already handed to it (``settle``), so nothing typed before it is lost;
- ``enter`` never saves: in a one-line field it moves to the next field (a form that
  applies on enter, the audit filters, says so with ``ENTER_SUBMITS``); saving is ``ctrl+s``.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input, Select

#: how long ``settle`` waits for a field that does not answer (it never blocks for good)
SETTLE_TIMEOUT = 2.0

TYPE_AHEAD_BINDINGS: list[BindingType] = [
    Binding("tab", "next_field", "Next field", id="form.next_field", show=False,
            priority=True),
    Binding("shift+tab", "previous_field", "Previous field", id="form.previous_field",
            show=False, priority=True),
    Binding("enter", "enter_field", "Next field", id="form.enter", show=False, priority=True),
]


def is_one_line_field(widget: Widget | None) -> bool:
    """An Input, or a Select that is not open (enter on an open one picks the option)."""
    if isinstance(widget, Input):
        return True
    if widget is not None:
        select = next((n for n in widget.ancestors_with_self if isinstance(n, Select)), None)
        return select is not None and not select.expanded
    return False


async def settle(widgets: list[Widget]) -> None:
    """Wait until each widget has handled every message already in its queue."""
    waits = []
    for widget in widgets:
        if not widget.is_attached:
            continue
        done = asyncio.Event()
        if widget.call_later(done.set):
            waits.append(done.wait())
    if waits:
        try:
            await asyncio.wait_for(asyncio.gather(*waits), SETTLE_TIMEOUT)
        except asyncio.TimeoutError:
            pass


class TypeAheadFields:
    """Mixin for a screen or container holding a form; see the module docstring.

    ``FIELDS_SELECTOR`` picks the fields ``settle`` waits for. ``ENTER_SUBMITS`` makes
    enter in a one-line field call ``submit_fields`` (after settling) instead of moving on.
    It is a plain class, listed first: Textual follows a widget's first DOM base for CSS,
    so the widget keeps its type names (``Screen``) for selectors.
    """

    screen: Any
    query: Any

    FIELDS_SELECTOR: ClassVar[str] = "Input, TextArea, Select"
    ENTER_SUBMITS: ClassVar[bool] = False

    def _typing_in_here(self) -> Widget | None:
        focused: Widget | None = self.screen.focused
        here: object = self  # a DOM node when mixed in, which the mixin's own type is not
        if focused is None or (here is not self.screen and here not in focused.ancestors):
            return None
        return focused

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_field", "previous_field"):
            return self._typing_in_here() is not None or self is self.screen
        if action == "enter_field":
            return is_one_line_field(self._typing_in_here())
        return True

    async def action_next_field(self) -> None:
        # async, as a form's own tab (which first settles a list of matches) may need to be
        self.screen.focus_next()

    def action_previous_field(self) -> None:
        self.screen.focus_previous()

    async def action_enter_field(self) -> None:
        if self.ENTER_SUBMITS:
            await self.settle_fields()
            await self.submit_fields()
        else:
            self.screen.focus_next()

    async def settle_fields(self) -> None:
        """Wait until every field has taken the keys sent to it so far."""
        await settle(list(self.query(self.FIELDS_SELECTOR).results(Widget)))

    async def submit_fields(self) -> None:
        """Enter in a one-line field, when ``ENTER_SUBMITS``."""
