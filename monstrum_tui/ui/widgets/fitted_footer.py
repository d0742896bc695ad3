"""The footer, fitted to the terminal: whole keys only, the most useful ones kept.

Textual's footer lays every shown binding in one row and lets the terminal cut
the last one mid-word ("? H"). Over SSH at 80 columns that hides the one key
that explains the rest. This footer drops whole keys instead, least useful
first: the command-palette hint, then ``:`` Jump, then the screen's own keys
from the last declared backwards. ``?`` Help and ``q`` Quit always stay, and
everything dropped is still listed by ``?``.

It also leaves out write actions the connected key may not take (``write_access``),
and in a dialog the app's keys (``q``, ``1``...): a dialog's footer shows the dialog's
keys, not those of the screen beneath it.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..write_access import missing_scope

#: app actions that never leave the footer: the way to every other key, and the way out
KEPT_ACTIONS = frozenset({"help", "quit"})
#: app actions dropped before the screen's own keys (they work everywhere; `?` lists them)
FIRST_DROPPED_ACTIONS = ("command_palette", "jump")


def key_width(key: FooterKey) -> int:
    """Cells a non-compact footer key takes: `` k `` plus ``description ``."""
    width = cell_len(key.key_display) + 2
    if key.description:
        width += cell_len(key.description) + 1
    if key.has_class("-command-palette"):
        width += 2  # its left border and right padding
    return width


def drop_order(keys: list[FooterKey], app_actions: dict[str, str]) -> list[FooterKey]:
    """The keys in the order they give way; kept keys are not in it.

    ``app_actions`` maps a footer key's key to the app action it runs (app bindings only).
    """
    first = [
        k for name in FIRST_DROPPED_ACTIONS for k in keys
        if app_actions.get(k.key) == name or (
            name == "command_palette" and k.has_class("-command-palette")
        )
    ]
    rest = [
        k for k in reversed(keys)
        if k not in first and app_actions.get(k.key) not in KEPT_ACTIONS
    ]
    return first + rest


def fit_keys(keys: list[FooterKey], width: int, app_actions: dict[str, str]) -> set[int]:
    """Indexes of ``keys`` that fit in ``width`` cells once the least useful are dropped."""
    total = sum(key_width(k) for k in keys)
    dropped: set[int] = set()
    for key in drop_order(keys, app_actions):
        if total <= width:
            break
        total -= key_width(key)
        dropped.add(next(i for i, k in enumerate(keys) if k is key))
    return set(range(len(keys))) - dropped


class FittedFooter(Footer):
    """A ``Footer`` that never cuts a key in half; see the module docstring."""

    #: the width the keys were last fitted to (recompose when it changes)
    _fitted_width = 0

    def compose(self) -> ComposeResult:
        items: list[Widget] = list(super().compose())
        keys = [item for item in items if isinstance(item, FooterKey)]
        width = self.size.width or self.app.size.width
        fixed = sum(1 for item in items if not isinstance(item, FooterKey))
        if not keys or not width or fixed:
            # binding groups (none declared today) are laid out by Textual as they are
            yield from items
            return
        active = self.screen.active_bindings
        app_actions = {
            key: binding.action
            for key, (node, binding, _enabled, _tip) in active.items()
            if node is self.app
        }
        in_dialog = isinstance(self.screen, ModalScreen)

        def wanted(key: FooterKey) -> bool:
            entry = active.get(key.key)
            if entry is None:
                return True
            node, binding = entry[0], entry[1]
            if in_dialog and node is self.app:
                return False
            return missing_scope(self.app, node, binding.action) is None

        keys = [key for key in keys if wanted(key)]
        self._fitted_width = width
        self._composed = self._what_to_compose()
        shown = fit_keys(keys, width, app_actions)
        yield from (key for index, key in enumerate(keys) if index in shown)

    #: the width and keys as last composed (``bindings_changed`` skips a repeat of them)
    _composed: tuple[object, ...] | None = None

    #: a look at the keys is queued (one, however many times the bindings were refreshed
    #: meanwhile: a streaming pane refreshes them often)
    _look_due = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Recompose only when the keys would read differently: screens refresh their
        bindings on every poll, and a recomposed footer is rewritten on the terminal."""
        if self._composed is None or not self.is_attached or screen is not self.screen:
            super().bindings_changed(screen)
        elif not self._look_due:
            self._look_due = True
            self.call_later(self._look_at_keys, screen)  # on the footer's own queue

    def _look_at_keys(self, screen: Screen[object]) -> None:
        self._look_due = False
        if self.is_attached and self._composed != self._what_to_compose():
            super().bindings_changed(screen)

    def _what_to_compose(self) -> tuple[object, ...]:
        return (self.size.width or self.app.size.width, self._keys_shown(self.screen))

    def _keys_shown(self, screen: Screen[object]) -> tuple[object, ...]:
        return tuple(
            (key, binding.action, binding.description, enabled, tooltip,
             missing_scope(self.app, node, binding.action))
            for key, (node, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show
        )

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width:
            self.refresh(recompose=True)
