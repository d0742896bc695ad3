"""The ``http`` executor: a tool's declarative request, sent to ``config.api_base``.

The tool's ``http`` block (method, path, query, headers, body) is filled from the
call's params, the resource's config and its credentials; the first of the
manifest's ``auth_methods`` whose credentials are all set is applied.

Confinement is judged on the URL that is really sent:

- a value put into the path fills exactly one segment: it is percent-encoded
  (``/``, ``?``, ``#`` and ``%`` included) and may not be empty, ``.`` or ``..``, so
  no param can add, remove or climb a segment;
- the final URL, as httpx will send it, must keep ``api_base``'s scheme, host and
  port and stay under its path prefix; anything else is refused before sending;
- redirects are not followed, so credentials never travel to another URL.

Error bodies are returned whole (up to the response cap): the platform redacts
secrets and only then shortens them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ..manifests.model import AuthMethod
from ..manifests.templates import MissingValue, Reference, references, render, render_value
from .actions import ACTIONS, ActionSpec
from .call import ExecutorCall, ToolFailure
from .confinement import PrivateZone

MAX_RESPONSE_BYTES = 1024 * 1024
#: path segment values that would remove or climb a segment
_DOT_SEGMENTS = frozenset({"", ".", ".."})


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


def _segment(value: str) -> str:
    """One path segment from a value: encoded whole; dot segments and emptiness refused."""
    if value in _DOT_SEGMENTS:
        shown = "empty" if value == "" else f"'{value}'"
        raise ToolFailure(
            f"a path parameter is {shown}: path parameters fill exactly one segment and may "
            "not be empty, '.' or '..'"
        )
    return quote(value, safe="")


def _base(call: ExecutorCall) -> httpx.URL:
    base = call.config.get("api_base")
    if not isinstance(base, str) or not base:
        raise ToolFailure(f"resource {call.resource_id} has no api_base configured")
    try:
        url = httpx.URL(base)
    except httpx.InvalidURL as exc:
        raise ToolFailure(f"api_base of {call.resource_id} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ToolFailure(f"api_base of {call.resource_id} must be an http(s) URL with a host")
    return url


def _prefix(base: httpx.URL) -> str:
    path = base.path or "/"
    return path if path.endswith("/") else path + "/"


def build_url(call: ExecutorCall, lookup: Any) -> httpx.URL:
    """The request URL: api_base plus the tool's path with each value in one segment,
    refused (``ToolRefused``) unless it stays at api_base's origin and under its path."""
    base = _base(call)
    assert call.tool.http is not None
    try:
        path = str(render(call.tool.http.path, lookup, escape=_segment))
    except MissingValue as exc:
        raise ToolFailure(f"missing parameter '{exc.ref.name}' for the request path") from None
    except ToolFailure as refused:  # a dot segment: confinement, so a denial
        raise call.refuse(refused.message) from None
    joined = str(base).split("?", 1)[0].split("#", 1)[0].rstrip("/") + "/" + path.lstrip("/")
    try:
        url = httpx.URL(joined)
    except httpx.InvalidURL as exc:
        raise ToolFailure(f"the request URL is not valid: {exc}") from None
    same_origin = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
    if not same_origin or not (url.path + "/").startswith(_prefix(base)) or "/../" in (
        url.path + "/"
    ) or "/./" in (url.path + "/"):
        raise call.refuse(
            f"the request URL {url.path} leaves the resource's api_base {_prefix(base)}; "
            "only paths under it may be called"
        )
    return url


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
        except (ValueError, RecursionError):  # not JSON, or nested past what Python reads
            return text
    return text


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


class HttpExecutor:
    """A tool's ``http:`` block, over one shared connection pool."""

    kind: ClassVar[str] = "http"
    actions: ClassVar[Mapping[str, ActionSpec]] = ACTIONS["http"]

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    def config_problems(self, config: Mapping[str, Any], private: PrivateZone) -> list[str]:
        return []

    def _pool(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            # one pool for every call: a new client per call costs a TLS handshake and ~30 ms
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._client

    async def run(self, call: ExecutorCall) -> Any:
        spec = call.tool.http
        assert spec is not None
        lookup = _lookup(call)
        url = build_url(call, lookup)
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
        try:
            request = self._pool().build_request(
                spec.method, url, params=query, headers=headers, json=body, timeout=timeout
            )
        except (httpx.HTTPError, ValueError, TypeError) as exc:
            raise ToolFailure(f"{spec.method} {spec.path}: the request cannot be built: "
                              f"{type(exc).__name__}: {exc}") from None
        try:
            response = await self._pool().send(request, stream=True)
            try:
                raw = bytearray()
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise ToolFailure(
                            f"the response from {spec.method} {spec.path} is larger than "
                            f"{MAX_RESPONSE_BYTES // 1024} KiB"
                        )
            finally:
                await response.aclose()
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
            raise ToolFailure(
                f"HTTP {response.status_code} from {spec.method} {spec.path}: {text}",
                {"status": response.status_code, "body": text},
            )
        return data

    async def start(self) -> None:
        self._pool()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
