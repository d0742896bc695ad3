"""``/v1/bots``: governed bots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...client.models import Bot, BotCreate, BotUpdate, Page
from ..auth import Principal
from ..bindings import check_bindings
from .deps import Admission, PlatformDep, admitted, page_limit, require
from .errors import Invalid, NotFound
from .idempotency import Once
from .json_answer import JsonAnswer

router = APIRouter(prefix="/v1/bots", tags=["bots"])
Reader = Annotated[Principal, Depends(require("bots:read"))]
#: for the hot list: the key checked in the same worker-thread hop as the query
ListReader = Annotated[Admission, Depends(admitted("bots:read"))]
Writer = Annotated[Principal, Depends(require("bots:write"))]


def _check_operations(ops: list[str]) -> None:
    bad = [i for i, op in enumerate(ops) if not op.strip()]
    if bad:
        raise Invalid(
            "allowed_operations entries must be non-empty patterns",
            fields=[{"field": f"allowed_operations[{i}]", "message": "empty"} for i in bad],
        )


@router.get("", response_model=Page[Bot])
async def list_bots(
    admission: ListReader,
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
    q: str | None = Query(None, description="text in the name or id"),
) -> Response:
    def page(_: Principal) -> bytes:
        return admission.platform.store.bot_pages.page(page_limit(limit), cursor, q)

    return JsonAnswer.response(await admission.run(page))


@router.post("", response_model=Bot, status_code=201)
def create_bot(body: BotCreate, platform: PlatformDep, _: Writer, once: Once) -> Bot:
    _check_operations(body.allowed_operations)
    check_bindings(platform.store, body.resource_bindings)
    return platform.store.bots.create(body)


@router.get("/{bot_id}", response_model=Bot)
def get_bot(bot_id: str, platform: PlatformDep, _: Reader) -> Bot:
    bot = platform.store.bots.get(bot_id)
    if bot is None:
        raise NotFound(f"no bot {bot_id}")
    return bot


@router.patch("/{bot_id}", response_model=Bot)
def update_bot(bot_id: str, body: BotUpdate, platform: PlatformDep, _: Writer) -> Bot:
    if platform.store.bots.get(bot_id) is None:
        raise NotFound(f"no bot {bot_id}")
    changes = body.model_dump(mode="json", exclude_unset=True)
    for name in ("name", "description", "model", "status", "allowed_operations",
                 "resource_bindings", "enforce"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null", fields=[{"field": name, "message": "null"}])
    if body.allowed_operations is not None:
        _check_operations(body.allowed_operations)
    if body.resource_bindings is not None:
        check_bindings(platform.store, body.resource_bindings)
    bot = platform.store.bots.update(bot_id, changes)
    if bot is None:
        raise NotFound(f"no bot {bot_id}")
    return bot


@router.delete("/{bot_id}", status_code=204)
def delete_bot(bot_id: str, platform: PlatformDep, _: Writer, once: Once) -> Response:
    if not platform.store.bots.delete(bot_id):
        raise NotFound(f"no bot {bot_id}")
    return Response(status_code=204)
