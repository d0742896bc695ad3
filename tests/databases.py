"""Which database the tests' servers use, and fresh PostgreSQL databases for them.

``scripts/test.sh`` starts a throwaway PostgreSQL (``scripts/pg.sh``) and sets:

- ``MONSTRUM_TEST_POSTGRES_URL``: that server; tests that need PostgreSQL itself
  (several processes on one database, migrations) make their databases there, and
  skip without it, except on CI, where they fail;
- ``MONSTRUM_TEST_STORE=postgresql``: every ``ServerProcess`` gets a fresh database
  there instead of SQLite in its data dir (the store/API/runner/audit pass).

Read once at import: the isolation fixture clears ``MONSTRUM_*`` in every test.
"""

from __future__ import annotations

import os
import uuid

import pytest

POSTGRES_URL = os.environ.get("MONSTRUM_TEST_POSTGRES_URL") or None
STORE = os.environ.get("MONSTRUM_TEST_STORE", "sqlite")
ON_CI = bool(os.environ.get("CI"))

if STORE not in ("sqlite", "postgresql"):
    raise RuntimeError(f"MONSTRUM_TEST_STORE must be sqlite or postgresql, not {STORE!r}")
if STORE == "postgresql" and not POSTGRES_URL:
    raise RuntimeError("MONSTRUM_TEST_STORE=postgresql needs MONSTRUM_TEST_POSTGRES_URL")


def on_postgresql() -> bool:
    """Whether the servers of this run keep their data in PostgreSQL."""
    return STORE == "postgresql"


def require_postgres() -> str:
    """The test PostgreSQL server's URL; skips the test without one (fails on CI)."""
    if POSTGRES_URL:
        return POSTGRES_URL
    message = "no test PostgreSQL: run scripts/test.sh, or set MONSTRUM_TEST_POSTGRES_URL"
    if ON_CI:
        pytest.fail(message)
    pytest.skip(message)


def fresh_postgres_database(server_url: str | None = None) -> str:
    """Create an empty database on the test PostgreSQL; its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    admin = make_url(server_url or require_postgres())
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(admin, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # FILE_COPY: quicker than the default WAL_LOG for an empty template
            conn.execute(text(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY'))
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def database_for_server() -> str | None:
    """``--database-url`` for a new test server: a fresh PostgreSQL database in the
    PostgreSQL pass, else None (SQLite in its data dir)."""
    return fresh_postgres_database() if on_postgresql() else None


def stored_bytes(db_url: str) -> bytes:
    """Everything a store holds, to search for a secret in: a SQLite file and its WAL as
    they are on disk; for PostgreSQL, every row of every table as text."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    parsed = make_url(db_url)
    if parsed.get_backend_name() == "sqlite":
        out = b""
        for suffix in ("", "-wal"):
            path = f"{parsed.database}{suffix}"
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += f.read()
        return out
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            chunks = [
                str(row[0]).encode()
                for name in inspect(conn).get_table_names()
                for row in conn.execute(text(f'SELECT t::text FROM "{name}" AS t'))
            ]
    finally:
        engine.dispose()
    return b"\n".join(chunks)
