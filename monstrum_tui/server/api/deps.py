"""Route dependencies: the platform, and the caller's key with a required scope.

Two ways a route gets its caller checked, both by ``admit``: ``require(scope)`` checks
before the route runs (a worker-thread hop of its own, as the key lookup is I/O), and
``admitted(scope)`` hands the route an ``Admission`` whose ``run(work)`` checks and then
does the route's work in one hop, for the hot read routes (``GET /v1/bots``,
``GET /v1/audit``). Either way every request looks its key up in the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..auth import KEY_PREFIX, Principal
from ..platform import Platform
from .errors import AuthenticationFailed, PermissionDenied, RateLimited

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer mst_...`")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
T = TypeVar("T")


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


def admit(platform: Platform, authorization: str | None, scopes: Sequence[str] = ()) -> Principal:
    """Every check of a keyed request, in order: the key (401), its rate (429), each scope
    (403). Blocking: the key is looked up in the store."""
    principal = principal_for(platform, authorization)
    # a request refused for its scope still counts against its key's rate
    wait = platform.limiter.acquire(principal.key_id)
    if wait is not None:
        raise RateLimited(wait)
    for scope in scopes:
        if not principal.allows(scope):
            raise PermissionDenied(scope)
    return principal


def _header(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return f"{credentials.scheme} {credentials.credentials}" if credentials else None


def authenticate(request: Request, platform: PlatformDep, credentials: Bearer) -> Principal:
    """The caller, from ``Authorization: Bearer mst_...``; 401 if missing or unknown."""
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known  # checked already, before the body was parsed (``precheck_access``)
    principal = admit(platform, _header(credentials))
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


@dataclass(frozen=True)
class Admission:
    """A request whose key is checked, for one scope, in the same worker-thread hop as
    the route's work: ``await admission.run(work)`` raises the 401/429/403 ``require``
    would have, or returns ``work(principal)``. A route taking one calls ``run`` before
    it does anything else, input checks included (a bad key is a 401 before a bad
    query is a 422)."""

    request: Request
    platform: Platform
    authorization: str | None
    scope: str

    async def run(self, work: Callable[[Principal], T]) -> T:
        return await run_in_threadpool(self._checked, work)

    def _checked(self, work: Callable[[Principal], T]) -> T:
        known = getattr(self.request.state, "principal", None)
        if isinstance(known, Principal):
            if not known.allows(self.scope):
                raise PermissionDenied(self.scope)
            principal = known
        else:
            principal = admit(self.platform, self.authorization, (self.scope,))
            self.request.state.principal = principal
        return work(principal)


def admitted(scope: str) -> Callable[..., Awaitable[Admission]]:
    """A dependency giving the route an ``Admission`` for ``scope`` (checked in ``run``)."""

    async def admission(request: Request, platform: PlatformDep, credentials: Bearer) -> Admission:
        return Admission(request, platform, _header(credentials), scope)

    admission.__name__ = f"admit_{scope.replace(':', '_')}"
    admission.required_scope = scope  # type: ignore[attr-defined]
    return admission


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
    # a request with an unreadable body still counts against its key's rate
    admit(platform_of(request), request.headers.get("authorization"), scopes)


def page_limit(limit: int) -> int:
    return max(1, min(limit, 500))
