"""``client.server``: the platform's own state (version, limits, queue, audit chain)."""

from __future__ import annotations

from ..models import ServerInfo
from ..namespace import Namespace


class Server(Namespace):
    async def info(self) -> ServerInfo:
        """Version, uptime, limits, queue, database kind and size, the audit chain's state
        and its last verification (any valid key may read it)."""
        return ServerInfo.model_validate(await self._transport.request("GET", "/v1/server"))
