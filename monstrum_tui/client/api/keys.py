"""``client.api_keys`` and ``client.whoami()``: the keys that reach the platform."""

from __future__ import annotations

from ..models import ApiKey, ApiKeyCreated
from ..namespace import Namespace
from ..pagination import AsyncPager


class ApiKeys(Namespace):
    def list(self, *, limit: int | None = None) -> AsyncPager[ApiKey]:
        return AsyncPager(self._fetch("/v1/api-keys"), ApiKey, limit=limit)

    async def create(self, *, name: str, scopes: list[str]) -> ApiKeyCreated:
        """Create a key; its ``secret`` is in this answer and never again."""
        data = await self._transport.request(
            "POST", "/v1/api-keys", json={"name": name, "scopes": scopes}
        )
        return ApiKeyCreated.model_validate(data)

    async def delete(self, key_id: str) -> None:
        await self._transport.request("DELETE", f"/v1/api-keys/{key_id}")
