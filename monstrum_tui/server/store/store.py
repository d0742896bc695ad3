"""``Store``: the engine, the schema, and one repository per kind of object."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from .approvals import ApprovalRepository
from .bot_pages import BotPageReader
from .bots import BotRepository
from .database import READ_ONLY, WalCheckpointer, make_engine, write_transaction
from .idempotency import IdempotencyRepository
from .integrations import IntegrationRepository
from .keys import KeyRepository
from .migrate import upgrade_schema
from .policy import PolicyReader
from .resources import ResourceRepository
from .tasks import TaskRepository


class Store:
    """All persistent state. Repositories take a connection so callers can group writes."""

    def __init__(self, url: str, *, background_checkpoints: bool = False) -> None:
        """``background_checkpoints``: a SQLite store's WAL is checkpointed by a thread
        of its own (``WalCheckpointer``) rather than by whichever commit fills it."""
        self.url = url
        self.engine: Engine = make_engine(url, background_checkpoints=background_checkpoints)
        self._checkpointer = (
            WalCheckpointer(self.engine)
            if background_checkpoints and self.engine.dialect.name == "sqlite" else None
        )
        upgrade_schema(self.engine)
        if self._checkpointer is not None:  # once the schema (and WAL mode) is in place
            self._checkpointer.start()
        self.keys = KeyRepository(self)
        self.bots = BotRepository(self)
        self.integrations = IntegrationRepository(self)
        self.resources = ResourceRepository(self)
        self.tasks = TaskRepository(self)
        self.idempotency = IdempotencyRepository(self)
        self.approvals = ApprovalRepository(self)
        self.policy = PolicyReader(self)
        self.bot_pages = BotPageReader(self)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads only."""
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction: committed on success, rolled back on error."""
        with write_transaction(self.engine) as conn:
            yield conn

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()
