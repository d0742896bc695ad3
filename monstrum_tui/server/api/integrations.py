"""``/v1/integrations``: install (POST the YAML text) and list integration manifests.

An upload is checked as a whole: a bad manifest is a 422 whose ``fields`` name every
problem with its path and line. The same name and version again is a no-op if the
content is the same and a 409 if not; a higher version upgrades the type in place.

A manifest with an ``mcp:`` server is also checked against that server's tool listing
(when it can be reached without credentials: otherwise each call checks it), and one
whose server is a ``command`` needs the ``admin`` scope, since uploading it means running
that program on the platform's machine. ``POST /v1/integrations/import/mcp`` lists a
server's tools and proposes the manifest, for the author to review and upload.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...client.models import Integration, McpImportProposal, McpImportRequest, Page
from ..auth import Principal
from ..executors.call import ToolFailure
from ..executors.mcp import McpExecutor, render_target
from ..manifests import Manifest, ManifestInvalid, manifest_digest, parse_manifest
from ..manifests.mcp_import import listing_problems, propose_manifest
from ..manifests.model import McpServerSpec
from ..manifests.problems import format_loc
from ..manifests.semver import is_semver
from ..manifests.yamlsource import MAX_MANIFEST_BYTES
from ..platform import Platform
from ..redaction import Redactor
from ..store.integrations import IntegrationConflict
from .deps import PlatformDep, page_limit, require
from .errors import Conflict, Invalid, NotFound, PermissionDenied, TooLarge
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


def _parse(text: str) -> Manifest:
    try:
        return parse_manifest(text)
    except ManifestInvalid as exc:
        raise Invalid(str(exc), fields=[p.as_field() for p in exc.problems]) from None


def _mcp_executor(platform: Platform) -> McpExecutor:
    executor = platform.executors.get("mcp")
    assert isinstance(executor, McpExecutor)
    return executor


def _may_run(principal: Principal, server: McpServerSpec | dict[str, Any]) -> None:
    command = server.get("command") if isinstance(server, dict) else server.command
    if command is not None and not principal.allows("admin"):
        raise PermissionDenied(
            "admin", message="an MCP server given as a command runs that program on the "
            "platform's machine: only a key with the admin scope may install or list one",
        )


async def _check_mcp(platform: Platform, manifest: Manifest, principal: Principal) -> list[str]:
    """Check the manifest's mcp tools against the server's listing; notes on what was done."""
    if manifest.mcp is None:
        return []
    _may_run(principal, manifest.mcp)
    config = {f.field: f.default for f in manifest.config_schema if f.default is not None}
    try:
        render_target(manifest.mcp, config, {})
    except ToolFailure as exc:
        return [f"the MCP server was not listed at upload ({exc.message}); every call checks "
                "its tools against this manifest"]
    try:
        listed, _ = await _mcp_executor(platform).list_tools(manifest.mcp, config, {})
    except ToolFailure as exc:
        raise Invalid(
            f"cannot list the tools of the MCP server to check this manifest: {exc.message}",
            fields=[{"field": "mcp", "message": exc.message}],
        ) from None
    problems = listing_problems(manifest, listed)
    if problems:
        raise Invalid("; ".join(f"{format_loc(loc)}: {m}" for loc, m in problems),
                      fields=[{"field": format_loc(loc), "message": m} for loc, m in problems])
    count = sum(1 for t in manifest.tools if t.executor == "mcp")
    return [f"checked {count} MCP tool(s) against the server's listing"]


def _install(platform: Platform, manifest: Manifest, text: str) -> Integration:
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
    request: Request, response: Response, platform: PlatformDep, principal: Writer,
    once: Once,
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
    manifest = await run_in_threadpool(_parse, text)
    notes = await _check_mcp(platform, manifest, principal)
    integration = await run_in_threadpool(_install, platform, manifest, text)
    if integration.outcome != "created":
        response.status_code = 200
    return integration.model_copy(update={"notes": notes})


@router.post("/import/mcp", response_model=McpImportProposal)
async def import_mcp(
    body: McpImportRequest, platform: PlatformDep, principal: Writer
) -> McpImportProposal:
    """List an MCP server's tools and propose a manifest for them (nothing is installed):
    review it, add scope dimensions, then upload it."""
    _may_run(principal, body.server)
    server = {k: v for k, v in body.server.items() if v not in (None, [], {})}
    try:
        spec = McpServerSpec.model_validate(server)
    except ValueError as exc:
        raise Invalid(f"server is not an mcp: block: {exc}",
                      fields=[{"field": "server", "message": "not an mcp: block"}]) from None
    if (spec.command is None) == (spec.url is None):
        raise Invalid("server needs exactly one of command or url",
                      fields=[{"field": "server", "message": "command or url"}])
    if not is_semver(body.version):
        raise Invalid(f"'{body.version}' is not a semantic version",
                      fields=[{"field": "version", "message": "not MAJOR.MINOR.PATCH"}])
    redactor = Redactor(body.credentials.values())
    try:
        listed, rendered = await _mcp_executor(platform).list_tools(
            spec, body.config, body.credentials
        )
    except ToolFailure as exc:
        message = redactor.text(exc.message)
        raise Invalid(f"cannot list the MCP server's tools: {message}",
                      fields=[{"field": "server", "message": message}]) from None
    redactor = Redactor([*body.credentials.values(), *rendered])
    # before the proposal cuts names and descriptions: a cut would leave a piece of a
    # credential the redactor no longer recognises (the schema, which is pinned by its
    # digest, is never cut and is redacted in the answer below)
    listed = [replace(t, name=redactor.text(t.name), description=redactor.text(t.description))
              for t in listed]
    try:
        proposal = propose_manifest(
            name=body.name, server=server, listed=listed, version=body.version,
            description=body.description, operation_prefix=body.operation_prefix,
        )
    except ValueError as exc:
        raise Invalid(str(exc), fields=[{"field": "name", "message": str(exc)}]) from None
    return McpImportProposal(
        manifest=redactor.text(proposal.yaml_text), tools=redactor.value(proposal.tools),
        skipped=[redactor.text(s) for s in proposal.skipped],
    )


@router.get("/{name}", response_model=Integration)
def get_integration(name: str, platform: PlatformDep, _: Reader) -> Integration:
    installed = platform.store.integrations.get(name)
    if installed is None:
        raise NotFound(f"no integration {name}")
    return installed.wire()
