"""Route dependencies: the platform, and the caller's key with a required scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..auth import KEY_PREFIX, Principal
from ..platform import Platform
from .errors import AuthenticationFailed, PermissionDenied, RateLimited

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer mst_...`")


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform  # Starlette's app state is untyped
    return platform


async def get_platform(request: Request) -> Platform:
    # async: a dependency that does no I/O runs on the loop, not in a worker thread
    return platform_of(request)


PlatformDep = Annotated[Platform, Depends(get_platform)]


def principal_for(platform: Platform, authorization: str | None) -> Principal:
    """The key behind an ``Authorization`` header value; ``AuthenticationFailed`` if none."""
    scheme, _, secret = (authorization or "").partition(" ")
    if not authorization or scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationFailed("missing API key: send 'Authorization: Bearer mst_...'")
    secret = secret.strip()
    principal = None
    if secret.startswith(KEY_PREFIX):
        principal = platform.store.keys.authenticate(secret)
    if principal is None:
        raise AuthenticationFailed("invalid API key")
    return principal


def authenticate(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer mst_...``; 401 if missing or unknown."""
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known  # checked already, before the body was parsed (``precheck_access``)
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    principal = principal_for(platform, header)
    wait = platform.limiter.acquire(principal.key_id)
    if wait is not None:
        raise RateLimited(wait)
    request.state.principal = principal
    return principal


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets the call through only if the key grants ``scope``."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.allows(scope):
            raise PermissionDenied(scope)
        return principal

    check.__name__ = f"require_{scope.replace(':', '_')}"
    check.required_scope = scope  # type: ignore[attr-defined]
    return check


def route_access(route: Any) -> tuple[bool, list[str]]:
    """What a route asks of its caller: (needs a key, the scopes it requires)."""
    needs_key = False
    scopes: list[str] = []
    stack = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while stack:
        dep = stack.pop()
        if dep.call is authenticate:
            needs_key = True
        scope = getattr(dep.call, "required_scope", None)
        if scope:
            needs_key = True
            scopes.append(scope)
        stack.extend(dep.dependencies)
    return needs_key, scopes


def precheck_access(request: Request) -> None:
    """Raise the 401/403 the route's dependencies would have raised.

    FastAPI parses a JSON body before it runs dependencies, so a request with a broken
    body would otherwise get a 422 before its key is even looked at.
    """
    needs_key, scopes = route_access(request.scope.get("route"))
    if not needs_key:
        return
    platform = platform_of(request)
    principal = principal_for(platform, request.headers.get("authorization"))
    # a request with an unreadable body still counts against its key's rate
    wait = platform.limiter.acquire(principal.key_id)
    if wait is not None:
        raise RateLimited(wait)
    for scope in scopes:
        if not principal.allows(scope):
            raise PermissionDenied(scope)


def page_limit(limit: int) -> int:
    return max(1, min(limit, 500))
