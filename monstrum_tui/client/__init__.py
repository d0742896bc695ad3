"""The client layer: the dashboard's only way to the platform, and the ``monstrum`` SDK.

Imports nothing from the server or the UI. Its names are imported on first use
(PEP 562), so a program that needs one module of it (the dashboard's launcher reads
only ``config``) does not pay for the models and the HTTP stack up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

#: where each public name lives
_HOMES = {
    "AsyncClient": "async_client",
    "Client": "sync_client",
    "ClientSettings": "config",
    "resolve_settings": "config",
    "RetryPolicy": "transport",
}


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{_HOMES.get(name, 'errors')}", __name__)
    value = getattr(module, name)
    globals()[name] = value
    return value
