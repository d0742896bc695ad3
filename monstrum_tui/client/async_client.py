"""``AsyncClient``: the client layer's one real implementation."""

from __future__ import annotations

from typing import Any

import httpx

from .api.approvals import Approvals
from .api.audit import Audit
from .api.bots import Bots
from .api.integrations import Integrations
from .api.keys import ApiKeys
from .api.resources import Resources
from .api.server import Server
from .api.tasks import Tasks
from .config import ClientSettings, resolve_settings
from .models import Health, WhoAmI
from .transport import RetryPolicy, Transport


class AsyncClient:
    """Async client for the Monstrum REST API.

    Settings come from arguments, then ``MONSTRUM_API_KEY`` / ``MONSTRUM_API_BASE``,
    then the profile in ``~/.monstrum/config.toml``. Failed calls are retried
    ``max_retries`` times (default 2); ``retry_policy`` changes the waits between them.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_base: str | None = None,
        *,
        profile: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        uds: str | None = None,
        settings: ClientSettings | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings or resolve_settings(
            api_key=api_key,
            api_base=api_base,
            profile=profile,
            timeout=timeout,
            max_retries=max_retries,
            uds=uds,
        )
        self.settings.require_key()
        self._transport = Transport(self.settings, http_client, retry_policy)
        self.bots = Bots(self._transport)
        self.tasks = Tasks(self._transport)
        self.resources = Resources(self._transport)
        self.integrations = Integrations(self._transport)
        self.audit = Audit(self._transport)
        self.api_keys = ApiKeys(self._transport)
        self.approvals = Approvals(self._transport)
        self.server = Server(self._transport)

    @property
    def api_base(self) -> str:
        """Where this client talks to (a URL, or ``unix:PATH``)."""
        return self._transport.where()

    async def whoami(self) -> WhoAmI:
        """The key in use: its id, name and scopes."""
        return WhoAmI.model_validate(await self._transport.request("GET", "/v1/whoami"))

    async def health(self) -> Health:
        """The server's health; needs no key."""
        data = await self._transport.request("GET", "/v1/health", auth=False, max_retries=0)
        return Health.model_validate(data)

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """A raw API call through the same retry and error handling."""
        return await self._transport.request(method, path, **kwargs)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncClient {self.api_base}>"
