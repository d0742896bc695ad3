"""Engine creation, with the SQLite settings a concurrent server needs."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: execution option marking a connection that only reads
READ_ONLY = "monstrum_read_only"


#: engine attribute holding the lock that queues this process's SQLite writers
_WRITER_LOCK = "monstrum_writer_lock"

#: what ``--database-url`` / ``MONSTRUM_DATABASE_URL`` may be
SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"


class BadDatabaseUrl(ValueError):
    """A database URL the store cannot use; the message says what to give instead."""


def normalize_database_url(url: str) -> str:
    """``url`` checked: SQLite, or PostgreSQL through psycopg (``postgresql://`` and
    ``postgres://`` mean that too). Raises ``BadDatabaseUrl``, never echoing a password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadDatabaseUrl(f"not a database URL: give {SUPPORTED_URLS}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise BadDatabaseUrl(
                f"PostgreSQL is reached through psycopg, not {parsed.get_driver_name()}: "
                f"give {SUPPORTED_URLS}"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise BadDatabaseUrl(
                "PostgreSQL needs psycopg: pip install 'monstrum-tui[postgres]'"
            ) from None
    elif backend != "sqlite":
        raise BadDatabaseUrl(
            f"the store is SQLite or PostgreSQL, not {backend}: give {SUPPORTED_URLS}"
        )
    return parsed.render_as_string(hide_password=False)


def read_json(text: str | bytes) -> Any:
    """A stored JSON value, parsed: the same values as ``json.loads`` (which is the
    fallback for what pydantic's parser refuses: a lone surrogate, escaped or not),
    several times quicker on the small documents the columns hold."""
    try:
        return from_json(text)
    except (ValueError, TypeError):
        return json.loads(text)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
            json_deserializer=read_json,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # let SQLAlchemy's begin() issue BEGIN, so transactions are explicit
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        # one writer at a time in this process: threads queue on a lock (handed over at
        # once) instead of on SQLite's busy handler, which sleeps 1, 2, 5, 10... ms
        # between tries; other processes on the file still queue on the busy timeout
        setattr(engine, _WRITER_LOCK, threading.RLock())

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY):
                return  # reads run in autocommit: WAL readers never wait on writers
            # BEGIN IMMEDIATE: take the write lock up front, so two writers queue on the
            # busy timeout instead of failing with "database is locked" on upgrade
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_deserializer=read_json
    )
    if engine.dialect.name == "postgresql":
        event.listen(engine, "before_cursor_execute", _refuse_nul_characters)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Any]:
    """``engine.begin()``, queued behind this process's other writers on SQLite (its one
    write lock would otherwise be fought over by sleeping retries)."""
    lock = getattr(engine, _WRITER_LOCK, None)
    with lock if lock is not None else nullcontext(), engine.begin() as conn:
        yield conn


class UnstorableText(ValueError):
    """A text value the database cannot store: PostgreSQL refuses NUL characters."""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_characters(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    # psycopg would fail with a DataError mid-request (a 500); the API maps this to a
    # 422 instead. JSON columns never get here with a NUL: it is escaped as \u0000.
    if _has_nul(parameters):
        raise UnstorableText(
            "text may not contain NUL characters (\\u0000): PostgreSQL cannot store them"
        )


def make_sqlite_file_private(url: str) -> None:
    """Create a SQLite database file as 0600 before SQLite does (it would use the umask).

    SQLite gives the ``-wal`` and ``-shm`` files the database file's mode, so this
    keeps all three private whatever the process's umask.
    """
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
