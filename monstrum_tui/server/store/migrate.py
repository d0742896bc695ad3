"""Bringing a database's schema up to date: Alembic revisions, under the start-up lock.

Every process that opens the store calls ``upgrade_schema``: when the database is
already at the newest revision that is one small read; otherwise it takes the
start-up lock (``startup_lock``), looks again (another process may have just done
it) and runs the missing revisions in one transaction. So N servers starting at once
on one empty database create it once, and the others wait and then find it done.

The start-up lock is a PostgreSQL advisory lock (session-level, on a connection of
its own) or, for a SQLite file, an exclusive ``flock`` on ``DATABASE-startup.lock``
beside it. It is re-entrant within a process, so the platform can hold it around the
whole of its start-up (schema, built-in integrations, the first admin key).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .database import READ_ONLY, normalize_database_url

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process per SQLite file then
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("monstrum.migrate")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: arbitrary constant naming the start-up advisory lock on PostgreSQL
_PG_STARTUP_LOCK = 0x6D6F6E5F73747274
#: what the migrations create that the tables (schema.py, audit/tables.py) do not
#: describe: the SQLite full-text table and its shadow tables, PostgreSQL's trigram
#: indexes. Alembic's comparison (and so tests/test_migrations.py) leaves them out.
NOT_IN_METADATA = frozenset(
    {"audit_fts", "audit_fts_data", "audit_fts_idx", "audit_fts_docsize", "audit_fts_config",
     "ix_audit_params_trgm", "ix_audit_reason_trgm"}
)


class SchemaError(RuntimeError):
    """The database's schema cannot be brought up to date; the message says why."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands: its revision, and the newest this code knows."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's filter: leave out what the tables do not describe (NOT_IN_METADATA)."""
    return name not in NOT_IN_METADATA


# --- the start-up lock ----------------------------------------------------------------

_held: dict[str, int] = {}
_process_locks: dict[str, threading.RLock] = {}
_registry_lock = threading.Lock()


def _lock_key(url: str) -> str:
    # normalized: postgresql:// and postgresql+psycopg:// are one database, one lock
    parsed = make_url(normalize_database_url(url))
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        database = parsed.database or ""
        if not database.startswith("file:"):
            return "sqlite:" + str(Path(database).resolve())
    return parsed.render_as_string(hide_password=True)


@contextmanager
def startup_lock(url: str) -> Iterator[None]:
    """Hold the database-wide start-up lock for the block (re-entrant in this process)."""
    key = _lock_key(url)
    with _registry_lock:
        local = _process_locks.setdefault(key, threading.RLock())
    with local:
        depth = _held.get(key, 0)
        _held[key] = depth + 1
        try:
            if depth:
                yield
            else:
                with _cross_process_lock(url):
                    yield
        finally:
            _held[key] -= 1


@contextmanager
def _cross_process_lock(url: str) -> Iterator[None]:
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_STARTUP_LOCK})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"),
                                 {"k": _PG_STARTUP_LOCK})
        finally:
            engine.dispose()
        return
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:") or fcntl is None:
        yield  # one process only (an in-memory database), or no flock on this system
        return
    path = f"{database}-startup.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise SchemaError(f"cannot open the database {database}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- revisions --------------------------------------------------------------------------


def _config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision this code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _current(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    # transactional_ddl only keeps Alembic from logging that it assumes otherwise
    opts = {"transactional_ddl": True}
    return MigrationContext.configure(conn, opts=opts).get_current_revision()


def schema_state(engine: Engine) -> SchemaState:
    """The database's revision (None: never migrated) and the newest one known."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        return SchemaState(current=_current(conn), head=head_revision())


def _known(revision: str | None) -> bool:
    from alembic.script import ScriptDirectory

    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except Exception:
        return False


def upgrade_schema(engine: Engine) -> SchemaState:
    """Run the revisions the database lacks (none: one read); returns the state before."""
    state = schema_state(engine)
    if state.up_to_date:
        return state
    url = engine.url.render_as_string(hide_password=False)
    with startup_lock(url):
        state = schema_state(engine)
        if state.up_to_date:
            return state
        if not _known(state.current):
            raise SchemaError(
                f"the database is at schema revision {state.current!r}, which this version "
                f"of monstrum does not know (newest: {state.head}); it was upgraded by a "
                "newer version: run that one"
            )
        from alembic import command

        # one transaction for the whole upgrade (BEGIN IMMEDIATE on SQLite): a failed
        # revision leaves the database as it was
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
        log.info("database schema upgraded from %s to %s", state.current or "nothing",
                 state.head)
        return state
