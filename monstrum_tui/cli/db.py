"""``monstrum db``: the store's schema, for operators (``upgrade``, ``current``).

The server upgrades the schema by itself when it starts; these let an operator do it
(or look) first, e.g. before rolling out several servers on one PostgreSQL database.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from .output import CommandError, add_format_flag, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("db", help="the database schema: upgrade it, or show its revision")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = s.add_parser("upgrade", help="bring the schema up to date (safe while servers start)")
    cur = s.add_parser("current", help="show the schema's revision and the newest one")
    for parser in (up, cur):
        parser.add_argument("--data-dir", type=Path,
                            help="the data dir whose SQLite database to use "
                            "(or MONSTRUM_DATA_DIR)")
        parser.add_argument("--database-url",
                            help="SQLAlchemy URL (or MONSTRUM_DATABASE_URL; default: SQLite "
                            "in the data dir)")
        add_format_flag(parser)
    up.set_defaults(handler=upgrade)
    cur.set_defaults(handler=current)


def _database_url(args: argparse.Namespace) -> str:
    from ..server.settings import ServerSettings, default_data_dir
    from ..server.store.database import BadDatabaseUrl, normalize_database_url

    settings = ServerSettings(
        data_dir=args.data_dir or default_data_dir(), database_url=args.database_url
    )
    try:
        return normalize_database_url(settings.db_url)
    except BadDatabaseUrl as exc:
        raise CommandError(f"--database-url: {exc}") from None


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def _engine(url: str) -> Any:
    from ..server.store.database import make_engine

    try:
        return make_engine(url)
    except Exception as exc:  # a bad URL or a driver that is not installed
        raise CommandError(f"cannot open {_shown(url)}: {exc}") from None


def upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ..server.store.database import make_sqlite_file_private
    from ..server.store.migrate import SchemaError, head_revision, upgrade_schema

    url = _database_url(args)
    path = _sqlite_file(url)
    if path is not None:
        if not path.parent.is_dir():
            raise CommandError(f"no folder {path.parent} for the database {path}")
        os.umask(0o077)  # like `monstrum serve`: the database and its lock stay private
        make_sqlite_file_private(url)
    engine = _engine(url)
    try:
        before = upgrade_schema(engine)
    except SchemaError as exc:
        raise CommandError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot upgrade {_shown(url)}: {exc}") from None
    finally:
        engine.dispose()
    head = head_revision()
    if args.format == "json":
        print_json({"database": _shown(url), "from": before.current, "to": head,
                    "upgraded": not before.up_to_date})
    elif before.up_to_date:
        print(f"{_shown(url)}: already at revision {head} (the newest)")
    else:
        print(f"{_shown(url)}: upgraded from {before.current or 'no revision'} to {head}")
    return 0


def current(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ..server.store.migrate import schema_state

    url = _database_url(args)
    path = _sqlite_file(url)
    if path is not None and not path.is_file():
        raise CommandError(f"no database at {path}: is that a Monstrum data dir?")
    engine = _engine(url)
    try:
        state = schema_state(engine)
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot read {_shown(url)}: {exc}") from None
    finally:
        engine.dispose()
    if args.format == "json":
        print_json({"database": _shown(url), "current": state.current, "head": state.head,
                    "up_to_date": state.up_to_date})
    elif state.up_to_date:
        print(f"{_shown(url)}: revision {state.current} (the newest)")
    elif state.current is None:
        print(f"{_shown(url)}: no revision (empty, or made before migrations); newest is "
              f"{state.head}: `monstrum db upgrade` brings it up to date")
    else:
        print(f"{_shown(url)}: revision {state.current}; newest is {state.head}: "
              "`monstrum db upgrade` brings it up to date")
    return 0
