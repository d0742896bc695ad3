"""The Monstrum Python SDK: ``monstrum.Client()``, ``monstrum.AsyncClient()``."""

from monstrum_tui import __version__
from monstrum_tui.client import AsyncClient, Client, RetryPolicy

from . import exceptions

__all__ = ["AsyncClient", "Client", "RetryPolicy", "__version__", "exceptions"]
