"""``Client``: the synchronous facade over ``AsyncClient``."""

from __future__ import annotations

from typing import Any

from .async_client import AsyncClient
from .config import ClientSettings
from .models import Health, WhoAmI
from .sync_api import (
    SyncApiKeys,
    SyncApprovals,
    SyncAudit,
    SyncBots,
    SyncIntegrations,
    SyncResources,
    SyncServer,
    SyncTasks,
)
from .sync_bridge import SyncBridge
from .transport import RetryPolicy


class Client:
    """Sync client: the same calls as ``AsyncClient``, without ``await``.

    Every call runs the async implementation on a private event loop thread, so the two
    can never disagree. The client stays open while it, or anything made from it (its
    namespaces, pagers, event streams), is reachable: ``monstrum.Client().tasks.run(...)``
    works. ``close()`` or ``with Client() as client:`` close it at once; a client that
    is simply dropped is closed by the garbage collector, or at exit.
    """

    bots: SyncBots
    tasks: SyncTasks
    resources: SyncResources
    integrations: SyncIntegrations
    audit: SyncAudit
    api_keys: SyncApiKeys
    approvals: SyncApprovals
    server: SyncServer

    def __init__(
        self,
        api_key: str | None = None,
        api_base: str | None = None,
        *,
        profile: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        uds: str | None = None,
        retry_policy: RetryPolicy | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        def make() -> AsyncClient:
            return AsyncClient(
                api_key, api_base, profile=profile, timeout=timeout, max_retries=max_retries,
                uds=uds, retry_policy=retry_policy, settings=settings,
            )

        self._bridge = SyncBridge(make)
        self.bots = SyncBots(self._bridge)
        self.tasks = SyncTasks(self._bridge)
        self.resources = SyncResources(self._bridge)
        self.integrations = SyncIntegrations(self._bridge)
        self.audit = SyncAudit(self._bridge)
        self.api_keys = SyncApiKeys(self._bridge)
        self.approvals = SyncApprovals(self._bridge)
        self.server = SyncServer(self._bridge)

    @property
    def settings(self) -> ClientSettings:
        return self._bridge.client.settings

    @property
    def api_base(self) -> str:
        """Where this client talks to (a URL, or ``unix:PATH``)."""
        return self._bridge.client.api_base

    def whoami(self) -> WhoAmI:
        """The key in use: its id, name and scopes."""
        return self._bridge.run(self._bridge.client.whoami())

    def health(self) -> Health:
        """The server's health; needs no key."""
        return self._bridge.run(self._bridge.client.health())

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """A raw API call through the same retry and error handling."""
        return self._bridge.run(self._bridge.client.request(method, path, **kwargs))

    @property
    def closed(self) -> bool:
        return self._bridge.closed

    def close(self) -> None:
        """Close the connections and stop the private loop; the client is unusable after."""
        self._bridge.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<Client {self.api_base}{state}>"
