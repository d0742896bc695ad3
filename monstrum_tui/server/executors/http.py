"""The ``http`` executor: a tool's declarative request, sent to ``config.api_base``.

The tool's ``http`` block (method, path, query, headers, body) is filled from the
call's params, the resource's config and its credentials; the first of the
manifest's ``auth_methods`` whose credentials are all set is applied. Redirects are
not followed, so credentials never travel to another host.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import httpx

from ..manifests.model import AuthMethod
from ..manifests.templates import MissingValue, Reference, references, render, render_value
from .call import ExecutorCall, ToolFailure

MAX_RESPONSE_BYTES = 1024 * 1024
ERROR_BODY_CHARS = 500


def _lookup(call: ExecutorCall) -> Any:
    sources = {"params": call.params, "config": call.config, "credentials": call.credentials}

    def lookup(ref: Reference) -> Any:
        values = sources[ref.namespace]
        if ref.name in values and values[ref.name] is not None:
            return values[ref.name]
        if ref.namespace == "params":
            default = _param_default(call, ref.name)
            if default is not None:
                return default
        raise MissingValue(ref)

    return lookup


def _param_default(call: ExecutorCall, name: str) -> Any:
    props = call.tool.input_schema.get("properties")
    if isinstance(props, dict) and isinstance(props.get(name), dict):
        return props[name].get("default")
    return None


def _auth(call: ExecutorCall) -> tuple[dict[str, str], list[str]]:
    """Headers of the first auth method whose credentials are set, and the values to redact."""
    lookup = _lookup(call)
    for method in call.manifest.auth_methods:
        try:
            headers, secrets = _apply(method, lookup)
        except MissingValue:
            continue
        return headers, secrets
    return {}, []


def _apply(method: AuthMethod, lookup: Any) -> tuple[dict[str, str], list[str]]:
    def text(template: str | None) -> str:
        return str(render(template or "", lookup))

    if method.type == "basic":
        raw = f"{text(method.username)}:{text(method.password)}".encode()
        token = base64.b64encode(raw).decode("ascii")
        return {"Authorization": f"Basic {token}"}, [token]
    if method.type == "bearer":
        return {"Authorization": f"Bearer {text(method.token)}"}, []
    value = text(method.value)
    return {str(method.name): value}, []


def _url(call: ExecutorCall, lookup: Any) -> str:
    base = call.config.get("api_base")
    if not isinstance(base, str) or not base:
        raise ToolFailure(f"resource {call.resource_id} has no api_base configured")
    assert call.tool.http is not None
    try:
        path = str(render(call.tool.http.path, lookup, escape=lambda v: quote(v, safe="")))
    except MissingValue as exc:
        raise ToolFailure(f"missing parameter '{exc.ref.name}' for the request path") from None
    return base.rstrip("/") + "/" + path.lstrip("/")


def _query(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, list):
            out[key] = [_scalar_text(v) for v in item]
        elif item is not None:
            out[key] = _scalar_text(item)
    return out


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _decode(response: httpx.Response, raw: bytes) -> Any:
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    if "json" in response.headers.get("content-type", ""):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


async def run_http(call: ExecutorCall) -> Any:
    spec = call.tool.http
    assert spec is not None
    lookup = _lookup(call)
    url = _url(call, lookup)
    try:
        query = _query(render_value(spec.query, lookup))
        headers = {k: _scalar_text(render(v, lookup)) for k, v in spec.headers.items()
                   if not _missing_only(v, lookup)}
        body = render_value(spec.body, lookup) if spec.body is not None else None
    except MissingValue as exc:
        raise ToolFailure(f"missing value for {exc.ref} in the request") from None
    auth_headers, secrets = _auth(call)
    call.derived_secrets.extend(secrets)
    headers.update(auth_headers)
    timeout = httpx.Timeout(call.timeout, connect=min(10.0, call.timeout))
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        try:
            async with client.stream(
                spec.method, url, params=query, headers=headers,
                json=body if body is not None else None,
            ) as response:
                raw = bytearray()
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise ToolFailure(
                            f"the response from {spec.method} {spec.path} is larger than "
                            f"{MAX_RESPONSE_BYTES // 1024} KiB"
                        )
        except httpx.TimeoutException:
            raise ToolFailure(
                f"{spec.method} {spec.path} timed out after {call.timeout:g}s"
            ) from None
        except httpx.HTTPError as exc:
            raise ToolFailure(f"{spec.method} {spec.path} failed: {type(exc).__name__}: "
                              f"{exc}") from None
    data = _decode(response, bytes(raw))
    if not response.is_success:
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        trimmed = text[:ERROR_BODY_CHARS] + ("…" if len(text) > ERROR_BODY_CHARS else "")
        raise ToolFailure(
            f"HTTP {response.status_code} from {spec.method} {spec.path}: {trimmed}",
            {"status": response.status_code, "body": trimmed},
        )
    return data


def _missing_only(template: str, lookup: Any) -> bool:
    """A header whose value is only an absent optional reference is left out."""
    refs = references(template)
    if len(refs) != 1 or template.strip() != str(refs[0]):
        return False
    try:
        lookup(refs[0])
    except MissingValue:
        return True
    return False
