"""Engine creation, with the SQLite settings a concurrent server needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

#: execution option marking a connection that only reads
READ_ONLY = "monstrum_read_only"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
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

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY):
                return  # reads run in autocommit: WAL readers never wait on writers
            # BEGIN IMMEDIATE: take the write lock up front, so two writers queue on the
            # busy timeout instead of failing with "database is locked" on upgrade
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "before_cursor_execute", _refuse_nul_characters)
    return engine


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
