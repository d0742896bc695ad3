"""The command palette's provider: the registered screens, and the current screen's actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .binding_catalog import binding_catalog
from .navigation import SCREENS

if TYPE_CHECKING:
    from .app import MonstrumApp

#: actions not worth offering in the palette (the palette itself, and going back)
_SKIP_ACTIONS = frozenset({"command_palette", "back", "help_quit"})


class DashboardCommands(Provider):
    """``Go to <screen>`` for each registered screen, then every described binding."""

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = cast("MonstrumApp", self.app)
        out: list[tuple[str, Callable[[], object], str]] = [
            (f"Go to {entry.title}", partial(app.go, entry.name),
             f":{entry.name} · {entry.description}")
            for entry in SCREENS
        ]
        for info in binding_catalog(self.screen, app.keymap):
            if info.action in _SKIP_ACTIONS or info.binding_id.startswith("nav."):
                continue
            out.append(
                (
                    f"{info.section}: {info.description}",
                    partial(app.run_action, info.action, info.node),
                    f"key {info.keys}",
                )
            )
        return out

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
