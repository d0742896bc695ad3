"""Route dependencies: the platform, and the caller's key with a required scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..auth import KEY_PREFIX, Principal
from ..platform import Platform
from .errors import AuthenticationFailed, PermissionDenied, RateLimited

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer mst_...`")


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def authenticate(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer mst_...``; 401 if missing or unknown."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("missing API key: send 'Authorization: Bearer mst_...'")
    secret = credentials.credentials.strip()
    if not secret.startswith(KEY_PREFIX):
        raise AuthenticationFailed("invalid API key")
    principal = platform.store.keys.authenticate(secret)
    if principal is None:
        raise AuthenticationFailed("invalid API key")
    wait = platform.limiter.acquire(principal.key_id)
    if wait is not None:
        raise RateLimited(wait)
    request.state.principal = principal
    return principal


def require(scope: str) -> Callable[..., Principal]:
    """A dependency that lets the call through only if the key grants ``scope``."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.allows(scope):
            raise PermissionDenied(scope)
        return principal

    check.__name__ = f"require_{scope.replace(':', '_')}"
    return check


def page_limit(limit: int) -> int:
    return max(1, min(limit, 500))
