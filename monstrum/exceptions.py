"""The SDK's typed exceptions, as the guide imports them."""

from monstrum_tui.client.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    MonstrumAPIError,
    MonstrumError,
    NotFoundError,
    PermissionError,
    RateLimitError,
    ValidationError,
)

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "MonstrumAPIError",
    "MonstrumError",
    "NotFoundError",
    "PermissionError",
    "RateLimitError",
    "ValidationError",
]
