"""The error answers of every operation, declared in the OpenAPI document as the API sends them.

FastAPI documents only a 422 in its own ``{"detail": [...]}`` shape, which this API never
sends (see ``errors.py``). This declares, per operation, the errors it can answer, each with
the ``ErrorResponse`` body ``{"error": {...}}``: the auth errors where a key is required, 404
where a path names an object, 422 where there is input, and the 409s listed below.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from ...client.idempotency import IDEMPOTENCY_HEADER
from ...client.models import ErrorResponse
from .idempotency import CONFLICT_DESCRIPTION as IDEMPOTENCY_CONFLICT

_REF = "#/components/schemas/ErrorResponse"

#: what each error status means in this API
DESCRIPTIONS: dict[str, str] = {
    "400": "the body could not be read",
    "401": "missing or invalid API key",
    "403": "the key lacks the scope named in `error.required_scope`",
    "404": "no such object",
    "409": "the object's state does not allow this",
    "422": "invalid input: `error.fields` names each problem",
    "429": "rate limit exceeded: retry after `Retry-After` seconds",
}

#: operations that answer 409, and when
CONFLICTS: dict[tuple[str, str], str] = {
    ("delete", "/v1/api-keys/{key_id}"): "a key cannot delete itself",
    ("post", "/v1/resources"): "a resource with this id exists already",
    ("patch", "/v1/resources/{resource_id}"): "the credentials key cannot decrypt the stored "
    "credentials",
    ("delete", "/v1/resources/{resource_id}"): "bots are bound to the resource "
    "(`error.bots` names them)",
    ("post", "/v1/integrations"): "this name and version is installed with other content, "
    "or a higher version is",
    ("post", "/v1/tasks"): "the bot is paused",
    ("post", "/v1/tasks/{task_id}/cancel"): "the task has finished already",
}

#: operations that answer 404 for an object named in the body, not the path
BODY_NOT_FOUND: dict[tuple[str, str], str] = {
    ("post", "/v1/tasks"): "no bot with this `bot_id`",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": _REF}}}}


def _statuses(method: str, path: str, operation: dict[str, Any]) -> dict[str, str]:
    """The error statuses of one operation, with their descriptions."""
    out: dict[str, str] = {}
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    if has_body:
        out["400"] = DESCRIPTIONS["400"]
    if operation.get("security"):
        out["401"] = DESCRIPTIONS["401"]
        out["403"] = DESCRIPTIONS["403"]
    if any(p.get("in") == "path" for p in params) or (method, path) in BODY_NOT_FOUND:
        out["404"] = BODY_NOT_FOUND.get((method, path), DESCRIPTIONS["404"])
    conflicts = [CONFLICTS[(method, path)]] if (method, path) in CONFLICTS else []
    if any(p.get("in") == "header" and p.get("name") == IDEMPOTENCY_HEADER for p in params):
        conflicts.append(IDEMPOTENCY_CONFLICT)
    if conflicts:
        out["409"] = "; ".join(conflicts)
    if params or has_body:
        out["422"] = DESCRIPTIONS["422"]
    if operation.get("security"):
        out["429"] = DESCRIPTIONS["429"]
    return out


def declare_errors(doc: dict[str, Any]) -> None:
    """Rewrite ``doc`` in place: every operation's error answers in the API's own shape."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorResponse"] = error_schema
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in _statuses(method, path, operation).items():
                responses[status] = _error(description)
    # FastAPI's own validation shapes are never sent: drop them once nothing points at them
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}\"" not in json.dumps(doc):
            schemas.pop(unused, None)


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the error answers, also when FastAPI rebuilds it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        doc = build()  # FastAPI's cached document, or a new one after the routes changed
        if "ErrorResponse" not in doc.get("components", {}).get("schemas", {}):
            declare_errors(doc)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
