"""API errors and how every failure becomes ``{"error": {...}}`` with a request id."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..services.errors import ConflictError, DomainError, InvalidError, NotFoundError
from ..store.cursor import BadCursor
from ..store.database import UnstorableText

log = logging.getLogger("monstrum.api")


class ApiError(Exception):
    """An error the API reports to the caller as it is."""

    status_code = 500
    type = "api_error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.extra = extra
        self.headers = headers or {}


class AuthenticationFailed(ApiError):
    status_code = 401
    type = "authentication_error"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class PermissionDenied(ApiError):
    status_code = 403
    type = "permission_error"

    def __init__(self, required_scope: str, message: str | None = None) -> None:
        super().__init__(
            message or f"this API key lacks the '{required_scope}' scope",
            required_scope=required_scope,
        )


class NotFound(ApiError):
    status_code = 404
    type = "not_found"


class Conflict(ApiError):
    status_code = 409
    type = "conflict"


class Invalid(ApiError):
    """422 with the failing fields: ``[{"field": "resource_bindings[0].resource_id", ...}]``."""

    status_code = 422
    type = "validation_error"

    def __init__(self, message: str, fields: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(message, fields=fields or [], **extra)


class TooLarge(ApiError):
    """413: the input is larger than the platform accepts (the message says the limit)."""

    status_code = 413
    type = "invalid_request"


class RateLimited(ApiError):
    status_code = 429
    type = "rate_limit_error"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(
            f"rate limit exceeded; retry after {seconds}s",
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
        )


#: how a service's refusal reads over HTTP
_DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFoundError: (404, "not_found"),
    ConflictError: (409, "conflict"),
    InvalidError: (422, "validation_error"),
}


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def error_response(
    request: Request,
    status_code: int,
    type_: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": type_, "message": message, **extra, "request_id": request_id_of(request)}
    all_headers = dict(headers or {})
    if status_code < 500 and status_code != 429:
        # our 4xx answers are final: tell clients that retry 409s not to bother
        all_headers.setdefault("X-Should-Retry", "false")
    return JSONResponse({"error": body}, status_code=status_code, headers=all_headers)


def _field_error(err: dict[str, Any]) -> dict[str, str]:
    """One failing field as ``{"field", "message"}``; the input itself is never echoed."""
    if err.get("type") == "json_invalid":
        loc = err.get("loc", ())
        where = f" at character {loc[-1]}" if loc and isinstance(loc[-1], int) else ""
        reason = (err.get("ctx") or {}).get("error") or "JSON decode error"
        return {"field": "body", "message": f"the body is not valid JSON: {reason}{where}"}
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return {"field": _field_path(err.get("loc", ())), "message": message}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _allowed_methods(request: Request) -> str:
    """Every method some route accepts on this request's path, for a 405's ``Allow``."""
    routes = request.app.router.routes
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _access_error(request: Request) -> JSONResponse | None:
    """The 401/403 answer for this request if its key does not pass the route's checks."""
    from .deps import precheck_access

    try:
        await run_in_threadpool(precheck_access, request)
    except ApiError as exc:
        return error_response(
            request, exc.status_code, exc.type, exc.message, exc.headers, **exc.extra
        )
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            request, exc.status_code, exc.type, exc.message, exc.headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            # the body was unreadable, so the route's key check never ran: run it now,
            # a bad key is a 401 (and a missing scope a 403) before a bad body is a 422
            denied = await _access_error(request)
            if denied is not None:
                return denied
        fields = [_field_error(err) for err in exc.errors()]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        return error_response(
            request, 422, "validation_error", f"invalid request: {summary}", fields=fields
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status, type_ = _DOMAIN_STATUS.get(type(exc), (500, "api_error"))
        return error_response(request, status, type_, exc.message, **exc.extra)

    @app.exception_handler(BadCursor)
    async def _cursor(request: Request, exc: BadCursor) -> JSONResponse:
        return error_response(
            request, 422, "validation_error", "cursor is not valid: pass back a next_cursor "
            "from a previous page", fields=[{"field": "cursor", "message": "not a valid cursor"}],
        )

    @app.exception_handler(UnstorableText)
    async def _unstorable(request: Request, exc: UnstorableText) -> JSONResponse:
        return error_response(request, 422, "validation_error", str(exc),
                              fields=[{"field": "request", "message": str(exc)}])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body FastAPI could not parse: as for json_invalid
            denied = await _access_error(request)
            if denied is not None:
                return denied
        type_ = {
            401: "authentication_error",
            403: "permission_error",
            404: "not_found",
            405: "not_found",
            409: "conflict",
            422: "validation_error",
            429: "rate_limit_error",
        }.get(exc.status_code, "api_error" if exc.status_code >= 500 else "invalid_request")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route with this path
            headers["Allow"] = _allowed_methods(request)
        return error_response(request, exc.status_code, type_, message, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request_id_of(request)
        log.exception(
            "unhandled error on %s %s (%s)", request.method, request.url.path, request_id
        )
        # this answer is sent from outside the middleware that stamps X-Request-Id
        headers = {"X-Request-Id": request_id} if request_id else None
        return error_response(request, 500, "api_error", "internal server error", headers)
