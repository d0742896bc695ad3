"""Domain errors: what a service refuses, and why, in words for the caller."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the platform refuses; ``extra`` carries structured details."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFoundError(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""


class ConflictError(DomainError):
    """The thing exists but is in a state that does not allow this."""


class InvalidError(DomainError):
    """The request itself is wrong; ``fields`` name each problem."""

    def __init__(self, message: str, fields: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, fields=fields or [])
