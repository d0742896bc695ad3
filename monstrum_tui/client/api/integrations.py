"""``client.integrations``: upload and list declarative integration manifests."""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Integration
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
