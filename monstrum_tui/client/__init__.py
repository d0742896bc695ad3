"""The client layer: the dashboard's only way to the platform, and the ``monstrum`` SDK.

Imports nothing from the server or the UI.
"""

from .async_client import AsyncClient
from .config import ClientSettings, resolve_settings
from .errors import (
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
from .sync_client import Client
from .transport import RetryPolicy

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ClientSettings",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "MonstrumAPIError",
    "MonstrumError",
    "NotFoundError",
    "PermissionError",
    "RateLimitError",
    "RetryPolicy",
    "ValidationError",
    "resolve_settings",
]
