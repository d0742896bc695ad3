"""``client.api_keys``: the keys that reach the platform (admin only)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping

from ..models import ApiKey, ApiKeyCreated
from ..namespace import Namespace, id_segment
from ..pagination import AsyncPager


class ApiKeys(Namespace):
    def list(self, *, limit: int | None = None) -> AsyncPager[ApiKey]:
        return AsyncPager(self._fetch("/v1/api-keys"), ApiKey, limit=limit)

    async def create(
        self,
        *,
        name: str,
        scopes: builtins.list[str],
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ApiKeyCreated:
        """Create a key; its ``secret`` is in this answer and never again.

        The server keeps no copy of the secret, so a retry that reaches it after the key
        was made is a ``ConflictError`` naming that key, never a second key.
        """
        data = await self._transport.request(
            "POST", "/v1/api-keys", json={"name": name, "scopes": scopes},
            headers=extra_headers, idempotency_key=idempotency_key,
        )
        return ApiKeyCreated.model_validate(data)

    async def delete(
        self,
        key_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        await self._transport.request(
            "DELETE", f"/v1/api-keys/{id_segment('key_id', key_id)}", headers=extra_headers,
            idempotency_key=idempotency_key,
        )
