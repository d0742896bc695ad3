"""The server's settings, from ``monstrum serve`` flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def default_data_dir() -> Path:
    """``MONSTRUM_DATA_DIR``, or the user's data directory."""
    env = os.environ.get("MONSTRUM_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("monstrum", appauthor=False))


@dataclass
class ServerSettings:
    data_dir: Path = field(default_factory=default_data_dir)
    #: SQLAlchemy URL; defaults to SQLite in the data dir
    database_url: str | None = None
    #: requests per second per API key
    rate_limit: float = 200.0
    #: days of audit log to keep; None keeps everything
    audit_retention_days: int | None = None
    #: tasks running at once, server-wide and per bot
    max_running_tasks: int = 16
    max_running_per_bot: int = 4
    #: per-task limits
    max_steps: int = 100
    task_timeout_s: float = 600.0
    #: seed the demo workspace when the store is empty
    seed_demo: bool = False

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        env = os.environ.get("MONSTRUM_DATABASE_URL")
        if env:
            return env
        return f"sqlite:///{self.data_dir / 'monstrum.db'}"
