"""``/v1/resources``: configured instances of integrations, with their tools and bound bots.

Credentials are write-only: a resource shows ``credentials_set`` (field names), never
values. PATCH merges ``config`` and ``credentials`` one level deep (null removes a key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from ...client.models import (
    Page,
    Resource,
    ResourceBinding,
    ResourceBindingInfo,
    ResourceCreate,
    ResourceUpdate,
)
from ..auth import Principal
from ..credentials import SecretKeyError
from ..governance import Offered, OfferedTool, ResourceTool, tool_access, tool_listed
from ..ids import new_id
from ..manifests import CompiledManifest
from ..platform import Platform
from ..resource_values import check_config, check_credentials, merge, with_defaults
from ..store.resources import BindingRecord, ResourceExists, ResourceRecord
from .deps import PlatformDep, page_limit, require
from .errors import Conflict, Invalid, NotFound
from .idempotency import Once

router = APIRouter(prefix="/v1/resources", tags=["resources"])
Reader = Annotated[Principal, Depends(require("resources:read"))]
Writer = Annotated[Principal, Depends(require("resources:write"))]


def _binding_info(
    record: BindingRecord, resource_id: str, offered: Offered
) -> ResourceBindingInfo:
    """One bot's binding to the resource, with governance's verdict on each of its tools.

    ``offered`` holds this resource's tools, and those of the bot's other resources when
    the names the bot calls them by matter (a single resource's view).
    """
    binding = record.binding
    access = tool_access(record.bot, offered, resource_id=resource_id)
    listed = ResourceBinding.model_validate(binding)
    return ResourceBindingInfo(
        bot_id=record.bot_id,
        bot_name=record.bot_name,
        bot_status="paused" if record.bot_status == "paused" else "active",
        allowed_operations=record.allowed_operations,
        allowed_tools=[str(p) for p in binding.get("allowed_tools") or []],
        scope_constraints=dict(binding.get("scope_constraints") or {}),
        tools=[a.tool_name for a in access if tool_listed(listed, a.tool_name)],
        access=access,
    )


def to_wire(
    record: ResourceRecord,
    compiled: CompiledManifest | None,
    bindings: list[BindingRecord],
    offered_by_bot: Mapping[str, Offered] | None = None,
) -> Resource:
    tools = compiled.wire_tools() if compiled else []
    own: dict[str, list[OfferedTool]] = {record.id: [ResourceTool(record.id, t) for t in tools]}
    infos = [
        _binding_info(b, record.id, {**(offered_by_bot or {}).get(b.bot_id, {}), **own})
        for b in bindings
    ]
    return Resource(
        id=record.id,
        type=record.type,
        name=record.name,
        config=record.config,
        credentials_set=sorted(record.credential_fields),
        tools=tools,
        bound_bots=[b.bot_id for b in bindings],
        bindings=infos,
        type_name=compiled.manifest.resource_type.name if compiled else None,
        integration_version=compiled.manifest.version if compiled else None,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _wire_many(
    platform: Platform, records: list[ResourceRecord], *, call_names: bool = False
) -> list[Resource]:
    """Resources with their bindings; ``call_names`` also looks up each bound bot's other
    resources, so each verdict's ``call_name`` is the one the bot must really use."""
    bindings = platform.store.resources.bindings_of([r.id for r in records])
    compiled: dict[str, CompiledManifest | None] = {}
    out = []
    for record in records:
        if record.type not in compiled:
            compiled[record.type] = platform.store.integrations.for_type(record.type)
        bound = bindings.get(record.id, [])
        offered_by_bot = {
            b.bot_id: platform.catalog.offered(
                r.resource_id for r in b.bot.resource_bindings if r.resource_id != record.id
            )
            for b in bound
        } if call_names else None
        out.append(to_wire(record, compiled[record.type], bound, offered_by_bot))
    return out


def _manifest_for(platform: Platform, type_id: str) -> CompiledManifest:
    compiled = platform.store.integrations.for_type(type_id)
    if compiled is None:
        installed = ", ".join(platform.store.integrations.type_ids()) or "none"
        raise Invalid(
            f"no resource type '{type_id}' (installed types: {installed}); upload its "
            "integration manifest first",
            fields=[{"field": "type", "message": f"no resource type '{type_id}'"}],
        )
    return compiled


def _refuse(problems: list[dict[str, Any]]) -> None:
    if problems:
        raise Invalid("; ".join(p["message"] for p in problems), fields=problems)


def _credentials_only(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != ""}


@router.get("", response_model=Page[Resource])
def list_resources(
    platform: PlatformDep,
    _: Reader,
    type: str | None = Query(None, description="only resources of this type"),
    q: str | None = Query(None, description="text in the name or id"),
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
) -> Page[Resource]:
    records, next_cursor = platform.store.resources.list(
        page_limit(limit), cursor, type_id=type, q=q
    )
    return Page[Resource](data=_wire_many(platform, records), next_cursor=next_cursor)


@router.post("", response_model=Resource, status_code=201)
def create_resource(
    body: ResourceCreate, platform: PlatformDep, _: Writer, once: Once
) -> Resource:
    compiled = _manifest_for(platform, body.type)
    config = with_defaults(compiled.manifest, body.config)
    credentials = _credentials_only(body.credentials)
    _refuse(
        check_config(compiled.manifest, config)
        + check_credentials(compiled.manifest, credentials)
        + platform.catalog.config_problems(compiled, config)
    )
    resource_id = body.id or new_id("res")
    try:
        record = platform.store.resources.create(
            resource_id, body.type, body.name, config,
            platform.cipher.encrypt(credentials), list(credentials),
        )
    except ResourceExists:
        raise Conflict(f"a resource with id {resource_id} exists already") from None
    return to_wire(record, compiled, [])


@router.get("/{resource_id}", response_model=Resource)
def get_resource(resource_id: str, platform: PlatformDep, _: Reader) -> Resource:
    record = platform.store.resources.get(resource_id)
    if record is None:
        raise NotFound(f"no resource {resource_id}")
    return _wire_many(platform, [record], call_names=True)[0]


@router.patch("/{resource_id}", response_model=Resource)
def update_resource(
    resource_id: str, body: ResourceUpdate, platform: PlatformDep, _: Writer
) -> Resource:
    record = platform.store.resources.get(resource_id)
    if record is None:
        raise NotFound(f"no resource {resource_id}")
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Invalid("name cannot be null", fields=[{"field": "name", "message": "null"}])
    compiled = _manifest_for(platform, record.type)
    values: dict[str, Any] = {}
    problems: list[dict[str, Any]] = []
    if body.name is not None:
        values["name"] = body.name
    if body.config is not None:
        config = with_defaults(compiled.manifest, merge(record.config, body.config))
        problems += check_config(compiled.manifest, config)
        problems += platform.catalog.config_problems(compiled, config)
        values["config"] = config
    if body.credentials is not None:
        try:
            current = platform.cipher.decrypt(record.credentials_token)
        except SecretKeyError as exc:
            raise Conflict(str(exc)) from None
        credentials = _credentials_only(merge(current, body.credentials))
        problems += check_credentials(compiled.manifest, credentials)
        values["credentials"] = platform.cipher.encrypt(credentials)
        values["credential_fields"] = list(credentials)
    _refuse(problems)
    if values:
        updated = platform.store.resources.update(resource_id, values)
        if updated is None:
            raise NotFound(f"no resource {resource_id}")
        record = updated
    return _wire_many(platform, [record])[0]


@router.delete("/{resource_id}", status_code=204)
def delete_resource(
    resource_id: str, platform: PlatformDep, _: Writer, once: Once
) -> Response:
    deleted, bound = platform.store.resources.delete_unbound(resource_id)
    if bound:
        names = {
            b.bot_id: b.bot_name
            for b in platform.store.resources.bindings_of([resource_id]).get(resource_id, [])
        }
        listed = ", ".join(f"{names.get(b, '?')} ({b})" for b in bound)
        raise Conflict(
            f"resource {resource_id} is bound to {len(bound)} bot(s): {listed}; remove their "
            "bindings first",
            bots=bound,
        )
    if not deleted:
        raise NotFound(f"no resource {resource_id}")
    return Response(status_code=204)
