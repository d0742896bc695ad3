"""Engine creation, with the SQLite settings a concurrent server needs, and the driver
cursor the hot paths run their statements on."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Column, Dialect, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger("monstrum.store")

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


def make_engine(url: str, *, background_checkpoints: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys.

    ``background_checkpoints`` (SQLite): commits never copy the WAL back into the
    database file themselves (``wal_autocheckpoint=0``); a ``WalCheckpointer`` must run
    beside the engine to do it.
    """
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
            if background_checkpoints:
                cur.execute("PRAGMA wal_autocheckpoint=0")
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


class WalCheckpointer:
    """Copies a SQLite database's write-ahead log back into its file, in a thread of its
    own, every ``interval`` seconds (PASSIVE: it never waits for, nor holds up, readers
    or writers).

    Left to SQLite, the commit that takes the WAL past 1,000 pages does it, with two
    fsyncs: one commit in a few dozen took 5-30 ms, and a tool call's write-ahead entry
    waited behind it. Durability is the same either way: a transaction is committed
    once it is in the WAL (``synchronous=NORMAL``: it survives the process being
    killed, not the machine losing power mid-write), and a checkpoint only moves it.
    """

    def __init__(self, engine: Engine, interval: float = 0.1) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sqlite wal checkpoints",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, after one last checkpoint."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self.checkpoint()

    def checkpoint(self) -> None:
        try:
            with driver_read(self.engine) as cur:
                cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception as exc:  # another process's checkpoint, a closed engine: next time
            log.debug("wal checkpoint skipped: %s", exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.checkpoint()


class DriverCursor:
    """A DBAPI cursor of a pooled connection, for the few statements on the hot path of
    every tool call (policy read, audit append and outcome, task events).

    ``Connection.execute`` / ``exec_driver_sql`` cost about 40 µs a statement here in
    SQLAlchemy's own work (execution context, events, result metadata), against 3-10 µs
    for the statement itself; these run straight on the driver instead, through the same
    engine and pool (its connect-time pragmas, its pre-ping on PostgreSQL). Statements
    are written with named placeholders (``param(name)``) so one text serves both
    drivers; values go in and come out as the driver has them (``DriverColumns``
    converts them by the tables' types). PostgreSQL's refusal of NUL characters holds
    here too.
    """

    def __init__(self, cursor: Any, dialect: str) -> None:
        self.cursor = cursor
        self.postgresql = dialect == "postgresql"

    def execute(self, sql: str, params: Any = ()) -> Any:
        if self.postgresql:
            _refuse_nul_characters(None, None, sql, params, None, False)
        self.cursor.execute(sql, params)
        return self.cursor

    def executemany(self, sql: str, params: list[Any]) -> None:
        if self.postgresql:
            _refuse_nul_characters(None, None, sql, params, None, True)
        self.cursor.executemany(sql, params)

    def one(self, sql: str, params: Any = ()) -> Any:
        """The first row (a tuple), or None."""
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Any = ()) -> list[Any]:
        return list(self.execute(sql, params).fetchall())

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount)


class DriverColumns:
    """Columns a driver statement selects or writes, converted by their SQLAlchemy types'
    own processors (JSON, ``Timestamp``) for this dialect: the table definitions stay
    the one home of how a value is stored."""

    def __init__(self, dialect: Dialect, columns: Sequence[Column[Any]]) -> None:
        self.columns = list(columns)
        self.names = [c.name for c in self.columns]
        impls = [c.type.dialect_impl(dialect) for c in self.columns]
        self._reads = [(i, p) for i, t in enumerate(impls)
                       if (p := t.result_processor(dialect, None)) is not None]
        self._writes = {c.name: p for c, t in zip(self.columns, impls, strict=True)
                        if (p := t.bind_processor(dialect)) is not None}

    def qualified(self, alias: str) -> str:
        """The select list, each name qualified by ``alias``."""
        return ", ".join(f"{alias}.{n}" for n in self.names)

    def row(self, raw: Sequence[Any]) -> list[Any]:
        """A fetched row's values as the columns' Python values."""
        values = list(raw)
        for i, process in self._reads:
            values[i] = process(values[i])
        return values

    def writer(self, name: str) -> Callable[[Any], Any]:
        """How one column's values are written (``bound`` for a single column, without
        a dict per value: for statements run once per row of a batch)."""
        if name not in self.names:
            raise ValueError(f"no column {name}")
        process: Callable[[Any], Any] = self._writes.get(name, _as_is)
        return process

    def bound(self, values: dict[str, Any]) -> dict[str, Any]:
        """Values to write, each as its column stores it."""
        out = dict(values)
        for name, process in self._writes.items():
            if name in out:
                out[name] = process(out[name])
        return out


def _as_is(value: Any) -> Any:
    return value


def param(dialect: str, name: str) -> str:
    """The named placeholder of ``name`` in driver SQL for this dialect."""
    return f"%({name})s" if dialect == "postgresql" else f":{name}"


def positional(dialect: str) -> str:
    """A positional placeholder in driver SQL for this dialect (values bound as a tuple)."""
    return "%s" if dialect == "postgresql" else "?"


def in_list(dialect: str, prefix: str, values: list[str]) -> tuple[str, dict[str, str]]:
    """``(a, b, ...)`` of named placeholders for ``values`` in driver SQL, and their values."""
    named = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return "(" + ", ".join(param(dialect, name) for name in named) + ")", named


@contextmanager
def driver_read(engine: Engine) -> Iterator[DriverCursor]:
    """A ``DriverCursor`` for reads (autocommit on SQLite, as ``READ_ONLY`` reads are; on
    PostgreSQL one transaction, rolled back when the connection goes back to the pool)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            yield DriverCursor(cursor, engine.dialect.name)
        finally:
            cursor.close()
    finally:
        raw.close()


@contextmanager
def driver_write(engine: Engine) -> Iterator[DriverCursor]:
    """A ``DriverCursor`` in one write transaction, as ``write_transaction``: queued behind
    this process's other writers on SQLite and begun ``IMMEDIATE``; committed when the
    block ends, rolled back when it raises."""
    lock = getattr(engine, _WRITER_LOCK, None)
    with lock if lock is not None else nullcontext():
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                if engine.dialect.name == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                yield DriverCursor(cursor, engine.dialect.name)
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.close()
            raw.commit()
        finally:
            raw.close()


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
