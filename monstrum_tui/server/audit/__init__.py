"""The audit log: one hash-chained entry per decided tool call."""

from .log import AuditLog
from .query import AuditFilter

__all__ = ["AuditFilter", "AuditLog"]
