"""The dashboard's screens, registered in one place.

A screen plugs in with one ``ScreenEntry`` line in ``SCREENS``: the shell builds
the jump prompt (``:``), the command palette, the ``nav.*`` key bindings, the
help overlay and the screenshot script from this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.screen import Screen

from .messages import OpenTaskRequested, RunBotRequested, ScreenRequest, ShowAuditRequested
from .screens.api_keys import ApiKeysScreen
from .screens.approvals import ApprovalsScreen
from .screens.audit import AuditScreen
from .screens.bots import BotsScreen
from .screens.integrations import IntegrationsScreen
from .screens.platform_state import ServerScreen
from .screens.resources import ResourcesScreen
from .screens.tasks import TasksScreen


@dataclass(frozen=True)
class ScreenEntry:
    """One top-level screen: its name (for ``:name``), title, jump key and class."""

    name: str
    title: str
    key: str
    screen: type[Screen[None]]
    description: str = ""
    #: cross-screen requests this screen fulfils (e.g. the Tasks screen takes RunBotRequested)
    accepts: tuple[type[ScreenRequest], ...] = ()

    @property
    def binding_id(self) -> str:
        return f"nav.{self.name}"


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("bots", "Bots", "1", BotsScreen, "governed bots: list, detail, create, edit"),
    ScreenEntry("resources", "Resources", "2", ResourcesScreen,
                "resources and their tools: schemas, scope dimensions, which bots may call"),
    ScreenEntry("tasks", "Tasks", "3", TasksScreen, "running and recent tasks; live event panes",
                accepts=(RunBotRequested, OpenTaskRequested)),
    ScreenEntry("audit", "Audit", "4", AuditScreen, "who called what, when, and why it was "
                "allowed or denied", accepts=(ShowAuditRequested,)),
    ScreenEntry("integrations", "Integrations", "5", IntegrationsScreen,
                "installed integrations (resource types); upload a manifest"),
    ScreenEntry("approvals", "Approvals", "6", ApprovalsScreen,
                "tool calls waiting for a person: approve or reject them"),
    ScreenEntry("server", "Server", "7", ServerScreen,
                "the platform: version, uptime, limits, queue, database, audit chain"),
    ScreenEntry("keys", "API keys", "8", ApiKeysScreen,
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
    """The first screen that fulfils this request, if any is registered."""
    for entry in SCREENS:
        if isinstance(request, entry.accepts):
            return entry
    return None
