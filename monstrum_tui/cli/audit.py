"""``monstrum audit``: list, show and verify the audit log."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .lookup import bot_id, bot_names, named, resource_id
from .output import CommandError, add_format_flag, make_client, print_json, print_table

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
CSV_FIELDS = (
    "id", "timestamp", "bot_id", "task_id", "resource_id", "tool_name", "operation",
    "status", "reason", "duration_ms", "result_size", "params", "hash",
)


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="the audit log of tool calls")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    ls = s.add_parser("list", help="list entries, newest first")
    ls.add_argument("--bot", dest="bot_id", help="bot id, or its exact name")
    ls.add_argument("--resource", dest="resource_id", help="resource id, or its exact name")
    ls.add_argument("--tool", dest="tool_name")
    ls.add_argument("--status", choices=["success", "error", "denied"])
    ls.add_argument("--task", dest="task_id")
    ls.add_argument("--since", "--start", dest="start",
                    help="ISO 8601 time or a duration back from now (15m, 1h, 24h, 7d)")
    ls.add_argument("--end", help="ISO 8601 time or a duration back from now")
    ls.add_argument("--q", help="text in the params or the reason")
    ls.add_argument("--limit", type=int, default=100, help="at most this many (0 = all)")
    add_format_flag(ls, "table", "json", "csv")
    ls.set_defaults(handler=list_entries)

    get = s.add_parser("get", help="show one entry")
    get.add_argument("entry_id")
    get.set_defaults(handler=get_entry)

    ver = s.add_parser("verify", help="check the hash chain; exits 1 naming the first bad entry")
    ver.add_argument("--data-dir", type=Path,
                     help="verify the database in this data dir directly, without a server")
    ver.add_argument("--database-url",
                     help="verify this database directly (SQLAlchemy URL); the audit key is "
                     "read from --data-dir, MONSTRUM_AUDIT_KEY or beside a SQLite file")
    ver.add_argument("--fast", action="store_true",
                     help="check only from the newest checkpoint (quick; edits before it are "
                     "not seen). The default checks every entry")
    ver.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # the default now
    ver.add_argument("--keyless", action="store_true",
                     help="offline, without the audit key: check only the hash chain (a chain "
                     "rewritten in full by someone with database access would pass)")
    add_format_flag(ver)
    ver.set_defaults(handler=verify)


def parse_when(value: str | None, flag: str, now: datetime | None = None) -> str | None:
    """An ISO 8601 time for the server, from ISO text or a duration back from now."""
    if value is None:
        return None
    match = _RELATIVE.match(value.strip().lower())
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        when = (now or datetime.now(timezone.utc)) - delta
        return when.isoformat().replace("+00:00", "Z")
    raw = value.strip()
    try:
        datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise CommandError(
            f"{flag}: {value!r} is neither an ISO 8601 time nor a duration like 15m, 1h, 7d",
            code=2,
        ) from None
    return raw


def list_entries(args: argparse.Namespace) -> int:
    start = parse_when(args.start, "--since")
    end = parse_when(args.end, "--end")
    limit = args.limit if args.limit and args.limit > 0 else None
    with make_client(args) as client:
        bot = bot_id(client, args.bot_id, history=True) if args.bot_id else None
        resource = (resource_id(client, args.resource_id, history=True) if args.resource_id
                    else None)
        entries = client.audit.list(
            bot_id=bot, resource_id=resource, tool_name=args.tool_name,
            status=args.status, task_id=args.task_id, start_time=start, end_time=end,
            q=args.q, limit=limit, page_size=min(limit or 500, 500),
        )
        if args.format == "json":
            _write_json(entries)
        elif args.format == "csv":
            _write_csv(entries)
        else:
            listed = list(entries)
            names = bot_names(client, (e.bot_id for e in listed))
            rows = [
                [e.timestamp.strftime("%Y-%m-%d %H:%M:%S"), e.id, named(e.bot_id, names),
                 e.resource_id, e.tool_name, e.status, _short(e.reason)]
                for e in listed
            ]
            print_table(["TIME (UTC)", "ID", "BOT", "RESOURCE", "TOOL", "STATUS", "REASON"],
                        rows)
    return 0


def _short(text: str, width: int = 60) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def _write_json(entries: Any) -> None:
    """A JSON array, written as it streams in (the log can be large)."""
    out = sys.stdout
    out.write("[")
    count = 0
    for entry in entries:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(entry.model_dump(mode="json"), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")


def _write_csv(entries: Any) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(CSV_FIELDS)
    for entry in entries:
        data = entry.model_dump(mode="json")
        data["params"] = json.dumps(data.get("params"), ensure_ascii=False, sort_keys=True)
        writer.writerow(["" if data.get(f) is None else data.get(f) for f in CSV_FIELDS])


def get_entry(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        print_json(client.audit.get(args.entry_id))
    return 0


def verify(args: argparse.Namespace) -> int:
    fast = args.fast and not args.full
    if args.data_dir or args.database_url:
        result = _verify_offline(args.data_dir, args.database_url, fast, args.keyless)
    else:
        with make_client(args) as client:
            result = client.audit.verify(fast=fast)
    if args.format == "json":
        print_json(result)
    elif result.ok:
        start = (f" from checkpoint {result.from_checkpoint}" if result.from_checkpoint
                 else f" from anchor {result.from_anchor}" if result.from_anchor else "")
        print(f"ok: {result.checked} entries verified{start}"
              + (f", up to {result.head_id}" if result.head_id else "")
              + (" (fast: edits before the checkpoint are not checked)"
                 if result.mode == "fast" else ""))
        if result.pending:
            print(f"{result.pending} call(s) still running (outcome not yet recorded)")
        if not result.sealed:
            print("note: --keyless: seals not checked; a chain rewritten in full would pass")
    if not result.ok:
        raise CommandError(
            f"audit chain broken at {result.first_bad_id}: {result.problem} "
            f"({result.checked} entries verified before it)"
        )
    return 0


def _verify_offline(
    data_dir: Path | None, database_url: str | None, fast: bool, keyless: bool
) -> Any:
    """Verify straight from the database: no server needed, nothing trusted but the rows
    (and, unless ``keyless``, the audit key: a missing key is an error, not a note)."""
    from ..server.audit import AuditLog
    from ..server.audit.seal import AUDIT_KEY_ENV, data_dir_of, load_audit_key

    if database_url is None:
        assert data_dir is not None
        db = data_dir / "monstrum.db"
        if not db.is_file():
            raise CommandError(f"no database at {db}: is {data_dir} a Monstrum data dir?")
        database_url = f"sqlite:///{db}"
    key_dir = data_dir or data_dir_of(database_url)
    try:
        key = None if keyless else load_audit_key(key_dir, create=False)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the audit key: {exc}") from None
    if key is None and not keyless:
        where = f"{key_dir / 'audit.key'} or " if key_dir else ""
        raise CommandError(
            f"no audit key ({where}{AUDIT_KEY_ENV}): the seals cannot be checked, so a chain "
            "rewritten by someone with database access would pass. Restore the key, or pass "
            "--keyless to check only the hash chain."
        )
    # first_witness=False: a deleted witness is reported, not quietly made again from
    # whatever head the database now has
    audit = AuditLog.open(database_url, seal_key=key, data_dir=None if keyless else key_dir,
                          first_witness=False)
    try:
        return audit.verify(fast=fast)
    finally:
        audit.close()
