"""Text fields that take every key in the order it was typed.

Textual runs a widget's own bindings (backspace, the arrows, home, end...) only once the
key has bubbled back up to the app, while the printable keys behind it are handled by the
field at once: ``abc<backspace>d`` sent in one burst, as over a laggy link, gives
``abc``, and ``<end>-x`` types over a selection. These fields run their own editing
bindings in their key handler, in arrival order, so a burst edits as if typed slowly.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

from textual import events
from textual.binding import Binding
from textual.widgets import Input, TextArea


@cache
def own_key_actions(cls: type) -> dict[str, str]:
    """Key -> action of the bindings a widget class declares (base classes first)."""
    actions: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for binding in klass.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding):
                key, action = binding.key, binding.action
            elif isinstance(binding, tuple) and len(binding) >= 2:
                key, action = binding[0], binding[1]
            else:
                continue
            for one in key.split(","):
                actions[one.strip()] = action
    return actions


class InOrderKeys:
    """Mixin (listed first) for a field: its editing keys run as they arrive."""

    #: keys left to bubble as usual (a form's enter, a dialog's escape)
    BUBBLING_KEYS: ClassVar[frozenset[str]] = frozenset({"enter", "escape", "tab",
                                                         "shift+tab"})

    async def _on_key(self, event: events.Key) -> None:
        # as a plain type: mypy would check type[InOrderKeys] against the cache's Hashable
        # with the instances' __hash__, not the class's
        klass: type = type(self)
        action = own_key_actions(klass).get(event.key)
        if action is not None and event.key not in self.BUBBLING_KEYS:
            event.stop()
            event.prevent_default()
            await self.run_action(action)  # type: ignore[attr-defined]
            return
        await super()._on_key(event)  # type: ignore[misc]


class FieldInput(InOrderKeys, Input):
    """An ``Input`` whose editing keys keep their order in a burst."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(*args, **kwargs)


class FieldTextArea(InOrderKeys, TextArea):
    """A ``TextArea`` whose editing keys keep their order in a burst."""
