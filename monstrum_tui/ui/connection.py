"""Which platform the dashboard talks to, and the state of that connection.

Resolution, first match wins: explicit ``--api-base``/``--api-key`` flags, then
``--profile``, then ``MONSTRUM_API_BASE``/``MONSTRUM_API_KEY``/``MONSTRUM_PROFILE``,
then a config-file profile that holds an ``api_key``. With none of these the
dashboard attaches to the local platform of the data dir on its private Unix socket,
starting it if it is not running; it outlives the dashboard while tasks run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..client.config import ClientSettings, nothing_configured, resolve_settings

if TYPE_CHECKING:  # the UI must not import the server at run time, except lazily below
    from ..server.embedded import EmbeddedPlatform

ConnectionState = Literal[
    "starting", "connecting", "connected", "reconnecting", "unreachable", "unauthorized"
]

EMBEDDED_PROFILE = "local"


@dataclass(frozen=True)
class ConnectionTarget:
    """Where to connect: a configured server (``settings``) or the embedded platform."""

    settings: ClientSettings | None
    profile: str
    data_dir: Path | None = None

    @property
    def embedded(self) -> bool:
        return self.settings is None


@dataclass(frozen=True)
class ConnectionStatus:
    """What the header and banner show about the connection."""

    state: ConnectionState
    server: str = ""
    detail: str = ""
    read_only: bool = False
    key_name: str = ""
    #: the server's word (``/v1/health``) when its audit chain does not hold: it then
    #: refuses every tool call until repaired, which the header must say
    audit_problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.state == "connected"


def resolve_target(
    *,
    profile: str | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    data_dir: Path | None = None,
) -> ConnectionTarget:
    """Decide where to connect; raises ``ConfigurationError`` for a bad or incomplete setup."""
    if nothing_configured(api_key=api_key, api_base=api_base, profile=profile):
        return ConnectionTarget(settings=None, profile=EMBEDDED_PROFILE, data_dir=data_dir)
    settings = resolve_settings(api_key=api_key, api_base=api_base, profile=profile)
    settings.require_key()
    return ConnectionTarget(settings=settings, profile=settings.profile, data_dir=data_dir)


def start_embedded(data_dir: Path | None) -> EmbeddedPlatform:
    """Attach to the local platform, starting it if needed. Blocking: call it from a
    thread. It outlives the dashboard while it has tasks (server/embedded.py)."""
    # the dashboard's only import from the server package, kept lazy so a dashboard
    # pointed at a remote server never loads it
    from ..server.embedded import start_embedded_platform

    return start_embedded_platform(data_dir)


def embedded_settings(platform: EmbeddedPlatform) -> ClientSettings:
    """Client settings for the embedded platform's socket and admin key."""
    return platform.client_settings(EMBEDDED_PROFILE)


def retry_delay(attempt: int, *, first: float = 1.0, cap: float = 30.0) -> float:
    """Seconds before reconnect attempt ``attempt``: capped exponential backoff with jitter."""
    delay: float = min(first * 2**attempt, cap)  # int ** int is Any to the checker
    return delay * (1 - 0.2 * random.random())
