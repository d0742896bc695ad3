"""The dashboard's screens, registered in one place.

A screen plugs in with one ``ScreenEntry`` line in ``SCREENS``: the shell builds
the jump prompt (``:``), the command palette, the ``nav.*`` key bindings, the
help overlay and the screenshot script from this list.

Entries name their screen class by import path and load it on first use, so the
dashboard imports only the screen it opens with (and ``monstrum-tui``'s argument
parser, which reads the names, imports no screen and no Textual at all).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from textual.screen import Screen

    from .messages import ScreenRequest


@dataclass(frozen=True)
class ScreenEntry:
    """One top-level screen: its name (for ``:name``), title, jump key and class."""

    name: str
    title: str
    key: str
    #: ``module:Class`` under ``monstrum_tui.ui.screens``, imported on first use
    screen_path: str
    description: str = ""
    #: names of the cross-screen requests (``messages.ScreenRequest`` subclasses) this
    #: screen fulfils, e.g. the Tasks screen takes ``RunBotRequested``
    accepts: tuple[str, ...] = ()

    @property
    def binding_id(self) -> str:
        return f"nav.{self.name}"

    @property
    def screen(self) -> type[Screen[None]]:
        """The screen class (imports its module the first time)."""
        module_name, _, class_name = self.screen_path.partition(":")
        module = importlib.import_module(f"{__package__}.screens.{module_name}")
        return cast("type[Screen[None]]", getattr(module, class_name))

    def make(self) -> Screen[None]:
        """A new screen of this entry (what the app's modes call)."""
        return self.screen()


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("bots", "Bots", "1", "bots:BotsScreen",
                "governed bots: list, detail, create, edit"),
    ScreenEntry("resources", "Resources", "2", "resources:ResourcesScreen",
                "resources and their tools: schemas, scope dimensions, which bots may call"),
    ScreenEntry("tasks", "Tasks", "3", "tasks:TasksScreen",
                "running and recent tasks; live event panes",
                accepts=("RunBotRequested", "OpenTaskRequested")),
    ScreenEntry("audit", "Audit", "4", "audit:AuditScreen", "who called what, when, and why "
                "it was allowed or denied", accepts=("ShowAuditRequested",)),
    ScreenEntry("integrations", "Integrations", "5", "integrations:IntegrationsScreen",
                "installed integrations (resource types); upload a manifest"),
    ScreenEntry("approvals", "Approvals", "6", "approvals:ApprovalsScreen",
                "tool calls waiting for a person: approve or reject them"),
    ScreenEntry("server", "Server", "7", "platform_state:ServerScreen",
                "the platform: version, uptime, limits, queue, database, audit chain"),
    ScreenEntry("keys", "API keys", "8", "api_keys:ApiKeysScreen",
                "API keys: list, create (the secret shown once), revoke; admin keys only"),
)


def screen_entry(name: str) -> ScreenEntry | None:
    """The entry called ``name`` (or whose title is ``name``), case-insensitive."""
    wanted = name.strip().lower().lstrip(":")
    for entry in SCREENS:
        if wanted in (entry.name, entry.title.lower()):
            return entry
    return None


def entry_accepting(request: ScreenRequest) -> ScreenEntry | None:
    """The first screen that fulfils this request (or a request it derives from)."""
    names = {cls.__name__ for cls in type(request).__mro__}
    for entry in SCREENS:
        if names.intersection(entry.accepts):
            return entry
    return None
