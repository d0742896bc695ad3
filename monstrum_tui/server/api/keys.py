"""``/v1/api-keys``: admin-only key management. A new key's secret is shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...client.models import ApiKey, ApiKeyCreate, ApiKeyCreated, Page
from ..auth import Principal, unknown_scopes
from .deps import PlatformDep, page_limit, require
from .errors import Conflict, Invalid, NotFound
from .idempotency import Once, OnceWithSecret

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])
Admin = Annotated[Principal, Depends(require("admin"))]


@router.get("", response_model=Page[ApiKey])
def list_keys(
    platform: PlatformDep, _: Admin, limit: int = Query(50, ge=1, le=500), cursor: str | None = None
) -> Page[ApiKey]:
    items, next_cursor = platform.store.keys.list(page_limit(limit), cursor)
    return Page[ApiKey](data=items, next_cursor=next_cursor)


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_key(
    body: ApiKeyCreate, platform: PlatformDep, _: Admin, once: OnceWithSecret
) -> ApiKeyCreated:
    bad = unknown_scopes(body.scopes)
    if bad:
        raise Invalid(
            f"unknown scope(s): {', '.join(bad)}",
            fields=[{"field": "scopes", "message": f"unknown scope {s!r}"} for s in bad],
        )
    key, secret = platform.store.keys.create(body.name, body.scopes)
    return ApiKeyCreated(**key.model_dump(), secret=secret)


@router.delete("/{key_id}", status_code=204)
def delete_key(key_id: str, platform: PlatformDep, principal: Admin, once: Once) -> Response:
    if key_id == principal.key_id:
        raise Conflict("a key cannot delete itself")
    if not platform.store.keys.delete(key_id):
        raise NotFound(f"no API key {key_id}")
    # a call this key made (over MCP) that waits for a person must not run later
    platform.approvals.cancel_for_key(key_id)
    return Response(status_code=204)
