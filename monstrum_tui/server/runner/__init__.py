"""The task runner: runs bots' tasks under governance and streams their events."""

from .broker import EventBroker
from .loop import INTERRUPTED, TaskRunner
from .recorder import is_terminal

__all__ = ["INTERRUPTED", "EventBroker", "TaskRunner", "is_terminal"]
