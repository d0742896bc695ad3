"""``monstrum serve``: run the platform for a team."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from .output import CommandError


def retention_days(value: str) -> int:
    """``--audit-retention``: whole days, at least 1 (a negative count would prune all)."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError(
            f"{days} days would prune the whole audit log: give 1 or more (omit to keep all)"
        )
    return days


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the Monstrum platform server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8400)
    p.add_argument("--uds", help="listen on a Unix socket instead of TCP")
    p.add_argument("--data-dir", type=Path, help="where data lives (or MONSTRUM_DATA_DIR)")
    p.add_argument("--database-url",
                   help="postgresql+psycopg://USER:PASSWORD@HOST/DB or sqlite:///PATH (or "
                   "MONSTRUM_DATABASE_URL; default: SQLite in the data dir)")
    p.add_argument("--rate-limit", type=float, default=200.0, metavar="N",
                   help="requests per second per API key (0 = unlimited; default 200)")
    p.add_argument("--audit-retention", type=retention_days, metavar="DAYS",
                   help="keep this many days of audit log (default: keep all)")
    p.add_argument("--demo", action="store_true", help="seed the demo workspace on first start")
    p.add_argument("--max-running-tasks", type=int, default=16, metavar="N",
                   help="tasks running at once on this server (default 16)")
    p.add_argument("--max-running-per-bot", type=int, default=4, metavar="N",
                   help="tasks running at once per bot (default 4)")
    p.add_argument("--max-steps", type=int, default=100, metavar="N",
                   help="tool calls one task may ask for (default 100)")
    p.add_argument("--task-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="wall-clock limit of one task (default 600)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..server.serve import run_server
    from ..server.settings import ServerSettings, default_data_dir

    if args.rate_limit < 0:
        raise CommandError(f"--rate-limit must be 0 (unlimited) or more, not {args.rate_limit:g}")
    if not 0 < args.port < 65536 and not args.uds:
        raise CommandError(f"--port must be between 1 and 65535, not {args.port}")
    for flag in ("max_running_tasks", "max_running_per_bot", "max_steps", "task_timeout"):
        if getattr(args, flag) <= 0:
            raise CommandError(f"--{flag.replace('_', '-')} must be more than 0")
    if args.database_url or os.environ.get("MONSTRUM_DATABASE_URL"):
        from ..server.store.database import BadDatabaseUrl, normalize_database_url

        try:
            normalize_database_url(args.database_url or os.environ["MONSTRUM_DATABASE_URL"])
        except BadDatabaseUrl as exc:
            flag = "--database-url" if args.database_url else "MONSTRUM_DATABASE_URL"
            raise CommandError(f"{flag}: {exc}") from None
    # the data dir holds the database, keys and credentials: nothing in it is for others
    os.umask(0o077)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    settings = ServerSettings(
        data_dir=args.data_dir or default_data_dir(),
        database_url=args.database_url,
        rate_limit=args.rate_limit,
        audit_retention_days=args.audit_retention,
        seed_demo=args.demo,
        max_running_tasks=args.max_running_tasks,
        max_running_per_bot=args.max_running_per_bot,
        max_steps=args.max_steps,
        task_timeout_s=args.task_timeout,
    )
    from sqlalchemy.exc import OperationalError

    from ..server.audit.log import AuditKeyMissing
    from ..server.credentials import SecretKeyError
    from ..server.store.migrate import SchemaError

    try:
        run_server(
            settings, host=args.host, port=args.port, uds=args.uds, log_level=args.log_level
        )
    except (SecretKeyError, SchemaError, AuditKeyMissing) as exc:  # the operator's to fix
        raise CommandError(str(exc)) from None
    except OperationalError as exc:  # the database is unreachable, or refuses us
        raise CommandError(f"cannot open the database: {exc.orig}") from None
    return 0
