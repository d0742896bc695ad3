"""``client.integrations``: upload and list declarative integration manifests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Integration, McpImportProposal
from ..namespace import Namespace, id_segment
from ..pagination import AsyncPager


class Integrations(Namespace):
    def list(self, *, limit: int | None = None) -> AsyncPager[Integration]:
        """The installed integrations, by name."""
        return AsyncPager(self._fetch("/v1/integrations"), Integration, limit=limit)

    async def get(self, name: str) -> Integration:
        data = await self._transport.request(
            "GET", f"/v1/integrations/{id_segment('name', name)}"
        )
        return Integration.model_validate(data)

    async def upload(
        self,
        *,
        manifest: str,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Integration:
        """Install a manifest given as YAML text (the file's contents).

        A bad manifest raises ``ValidationError`` whose ``fields`` name every problem
        (``field``, ``line``, ``message``); other content under an installed version, or
        a lower version, raises ``ConflictError``. ``outcome`` says what happened.
        """
        data = await self._transport.request(
            "POST",
            "/v1/integrations",
            content=manifest.encode("utf-8"),
            headers={"Content-Type": "application/yaml", **(extra_headers or {})},
            idempotency_key=idempotency_key,
        )
        return Integration.model_validate(data)

    async def import_mcp(
        self,
        *,
        name: str,
        server: dict[str, Any],
        version: str = "1.0.0",
        description: str = "",
        operation_prefix: str | None = None,
        config: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
    ) -> McpImportProposal:
        """List an MCP server's tools and get a manifest proposal (YAML text) back.

        ``server`` is the manifest's ``mcp:`` block (``command``/``args``/``env``, or
        ``url``/``headers``); ``config`` and ``credentials`` fill its templates for this
        listing only (nothing is stored). Review the YAML, add scope dimensions, upload it.
        """
        body = {"name": name, "server": server, "version": version,
                "description": description, "operation_prefix": operation_prefix,
                "config": config or {}, "credentials": credentials or {}}
        data = await self._transport.request(
            "POST", "/v1/integrations/import/mcp", json=body, max_retries=0,
        )
        return McpImportProposal.model_validate(data)
