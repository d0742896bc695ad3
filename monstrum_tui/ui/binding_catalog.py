"""The bindings in force on a screen, as data: what the help overlay and the palette list.

Read from the same ``BINDINGS`` the footer shows, with the user's keymap
applied, so nothing is written down twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen


@dataclass(frozen=True)
class BindingInfo:
    """One binding: where it applies, its key(s) as shown, what it does, and its id."""

    section: str
    keys: str
    description: str
    binding_id: str
    action: str
    node: DOMNode


def _section_of(node: DOMNode) -> str:
    if isinstance(node, App):
        return "Global"
    if isinstance(node, Screen):
        return getattr(node, "SCREEN_TITLE", "") or type(node).__name__
    return getattr(node, "BINDING_GROUP_TITLE", None) or type(node).__name__


def _namespaces(screen: Screen[object]) -> list[DOMNode]:
    """The screen, the app, then the focused widget and its containers inside the screen."""
    nodes: list[DOMNode] = [screen, screen.app]
    focused = screen.focused
    if focused is not None:
        inner = [n for n in focused.ancestors_with_self if n is not screen and n is not screen.app]
        nodes.extend(n for n in inner if isinstance(n, DOMNode) and n not in nodes)
    return nodes


def binding_catalog(screen: Screen[object], keymap: dict[str, str]) -> list[BindingInfo]:
    """Every described binding on ``screen`` (and the app), keymap applied, in section order."""
    app = screen.app
    seen: set[tuple[int, str]] = set()
    rows: list[BindingInfo] = []
    for node in _namespaces(screen):
        bindings_map = node._bindings.copy()  # the node's BINDINGS, as Textual holds them
        if keymap:
            bindings_map.apply_keymap(keymap)
        grouped: dict[tuple[str, str], list[Binding]] = {}
        for _key, binding in bindings_map:
            if not binding.description:
                continue
            grouped.setdefault((binding.id or binding.action, binding.description), []).append(
                binding
            )
        for (ident, description), bindings in grouped.items():
            marker = (id(node), ident)
            if marker in seen:
                continue
            seen.add(marker)
            keys = ", ".join(dict.fromkeys(app.get_key_display(b) for b in bindings))
            rows.append(
                BindingInfo(
                    section=_section_of(node),
                    keys=keys,
                    description=description,
                    binding_id=bindings[0].id or "",
                    action=bindings[0].action,
                    node=node,
                )
            )
    return rows
