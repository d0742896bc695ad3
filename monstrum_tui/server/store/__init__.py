"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL."""

from .store import Store

__all__ = ["Store"]
