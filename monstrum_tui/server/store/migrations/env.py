"""Alembic's environment: runs the revisions on the connection ``store/migrate.py`` hands in.

``store/migrate.py`` opens the transaction (one for the whole upgrade, on SQLite as on
PostgreSQL) and holds the start-up lock; run from the ``alembic`` command instead (to
draft a revision), this connects to ``MONSTRUM_DATABASE_URL`` itself.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from monstrum_tui.server.audit import tables as _audit_tables  # noqa: F401 (registers them)
from monstrum_tui.server.store.migrate import include_name
from monstrum_tui.server.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch operations copy the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        # SQLite does DDL in transactions too: an upgrade is all or nothing everywhere
        transactional_ddl=True,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `monstrum db upgrade`")
else:
    from monstrum_tui.server.store.database import make_engine

    url = os.environ.get("MONSTRUM_DATABASE_URL")
    if not url:
        raise SystemExit("set MONSTRUM_DATABASE_URL to the database to compare against")
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
