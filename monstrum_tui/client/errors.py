"""Typed errors of the client layer; each carries the server's request id."""

from __future__ import annotations

import builtins
from typing import Any


class MonstrumError(Exception):
    """Base of every error the client raises."""


class ConfigurationError(MonstrumError):
    """The client could not be configured (no API key, bad profile...)."""


class APIConnectionError(MonstrumError):
    """The server could not be reached, or the connection broke."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.status_code: int | None = None


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class MonstrumAPIError(MonstrumError):
    """The server answered with an error: ``status_code``, ``message``, ``type``, ``request_id``."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        type: str = "api_error",
        request_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.type = type
        self.request_id = request_id
        self.body = body or {}

    def __str__(self) -> str:
        rid = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.status_code} {self.type}: {self.message}{rid}"


class AuthenticationError(MonstrumAPIError):
    """401: the API key is missing, invalid or revoked."""


class PermissionError(MonstrumAPIError, builtins.PermissionError):
    """403: the key lacks a scope; ``required_scope`` names it."""

    @property
    def required_scope(self) -> str | None:
        return self.body.get("required_scope")


class NotFoundError(MonstrumAPIError):
    """404: no such object."""


class ConflictError(MonstrumAPIError):
    """409: the request conflicts with the current state."""


class ValidationError(MonstrumAPIError):
    """422: the request was refused; ``fields`` says which fields and why."""

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.body.get("fields") or [])


class RateLimitError(MonstrumAPIError):
    """429: too many requests; ``retry_after`` is the seconds to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class InternalServerError(MonstrumAPIError):
    """5xx: the server failed."""


_BY_STATUS: dict[int, type[MonstrumAPIError]] = {
    401: AuthenticationError,
    403: PermissionError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


_TYPE_BY_STATUS: dict[int, str] = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found",
    409: "conflict",
    422: "validation_error",
    429: "rate_limit_error",
}


def default_error_type(status_code: int) -> str:
    """The error ``type`` for a status, when the body does not say (a proxy answered)."""
    if status_code >= 500:
        return "api_error"
    return _TYPE_BY_STATUS.get(status_code, "invalid_request")


def error_for_status(status_code: int) -> type[MonstrumAPIError]:
    """The error class for an HTTP status."""
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, MonstrumAPIError)
