"""``/v1/integrations``: install (POST the YAML text) and list integration manifests.

An upload is checked as a whole: a bad manifest is a 422 whose ``fields`` name every
problem with its path and line. The same name and version again is a no-op if the
content is the same and a 409 if not; a higher version upgrades the type in place.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...client.models import Integration, Page
from ..auth import Principal
from ..manifests import ManifestInvalid, manifest_digest, parse_manifest
from ..manifests.yamlsource import MAX_MANIFEST_BYTES
from ..platform import Platform
from ..store.integrations import IntegrationConflict
from .deps import PlatformDep, page_limit, require
from .errors import Conflict, Invalid, NotFound, TooLarge
from .idempotency import Once

router = APIRouter(prefix="/v1/integrations", tags=["integrations"])
Reader = Annotated[Principal, Depends(require("resources:read"))]
Writer = Annotated[Principal, Depends(require("resources:write"))]

_YAML_BODY = {
    "requestBody": {
        "required": True,
        "description": "the manifest's YAML text",
        "content": {
            media: {"schema": {"type": "string"}}
            for media in ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")
        },
    }
}


def _install(platform: Platform, text: str) -> Integration:
    try:
        manifest = parse_manifest(text)
    except ManifestInvalid as exc:
        raise Invalid(str(exc), fields=[p.as_field() for p in exc.problems]) from None
    try:
        installed, outcome = platform.store.integrations.install(
            manifest, text, manifest_digest(manifest)
        )
    except IntegrationConflict as exc:
        raise Conflict(str(exc)) from None
    return installed.wire().model_copy(update={"outcome": outcome})


@router.get("", response_model=Page[Integration])
def list_integrations(
    platform: PlatformDep,
    _: Reader,
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
) -> Page[Integration]:
    items, next_cursor = platform.store.integrations.list(page_limit(limit), cursor)
    return Page[Integration](data=[i.wire() for i in items], next_cursor=next_cursor)


@router.post(
    "",
    response_model=Integration,
    status_code=201,
    openapi_extra=_YAML_BODY,
    responses={200: {"description": "upgraded, or the same manifest was installed already"}},
)
async def upload_integration(
    request: Request, response: Response, platform: PlatformDep, _: Writer, once: Once
) -> Integration:
    raw = await request.body()
    if len(raw) > MAX_MANIFEST_BYTES:
        raise TooLarge(f"the manifest is {len(raw)} bytes; at most {MAX_MANIFEST_BYTES // 1024} "
                       "KiB are accepted", fields=[{"field": "manifest", "message": "too large"}])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            "the manifest must be UTF-8 text (send the YAML file's contents)",
            fields=[{"field": "manifest", "message": "not UTF-8 text"}],
        ) from None
    integration = await run_in_threadpool(_install, platform, text)
    if integration.outcome != "created":
        response.status_code = 200
    return integration


@router.get("/{name}", response_model=Integration)
def get_integration(name: str, platform: PlatformDep, _: Reader) -> Integration:
    installed = platform.store.integrations.get(name)
    if installed is None:
        raise NotFound(f"no integration {name}")
    return installed.wire()
