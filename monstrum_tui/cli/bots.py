"""``monstrum bots``: list, show, delete bots."""

from __future__ import annotations

import argparse
from typing import Any

from .output import add_format_flag, make_client, print_json, print_table
from .tasks import resolve_bot


def register(sub: Any) -> None:
    p = sub.add_parser("bots", help="governed bots")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = s.add_parser("list", help="list bots")
    add_format_flag(ls)
    ls.set_defaults(handler=list_bots)
    get = s.add_parser("get", help="show one bot")
    get.add_argument("bot_id")
    get.set_defaults(handler=get_bot)
    rm = s.add_parser("delete", help="delete a bot")
    rm.add_argument("bot_id")
    rm.set_defaults(handler=delete_bot)
    auth = s.add_parser("authorize", help="dry run: would this tool call be allowed? "
                        "(exits 1 when denied)")
    auth.add_argument("bot_id", help="bot id, or its exact name")
    auth.add_argument("--tool", required=True, help="TOOL or RESOURCE_ID/TOOL")
    auth.add_argument("--params", default="{}", help="the call's params as a JSON object")
    auth.add_argument("--json", action="store_true", help="print the decision as JSON")
    auth.set_defaults(handler=authorize_call)


def list_bots(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        bots = list(client.bots.list())
    if args.format == "json":
        print_json(bots)
    else:
        print_table(
            ["ID", "NAME", "MODEL", "STATUS", "BINDINGS"],
            [[b.id, b.name, b.model, b.status, len(b.resource_bindings)] for b in bots],
        )
    return 0


def get_bot(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        print_json(client.bots.get(bot_id=args.bot_id))
    return 0


def delete_bot(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        client.bots.delete(bot_id=args.bot_id)
    print(f"deleted {args.bot_id}")
    return 0


def authorize_call(args: argparse.Namespace) -> int:
    import json

    from .output import CommandError

    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--params is not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise CommandError("--params must be a JSON object")
    with make_client(args) as client:
        bot_id = resolve_bot(client, args.bot_id)
        decision = client.bots.authorize(bot_id=bot_id, tool=args.tool, params=params)
    if args.json:
        print_json(decision)
    elif decision.allowed:
        print(f"allowed: {decision.tool_name} on {decision.resource_id} "
              f"(operation {decision.operation})")
    else:
        print(f"denied by {decision.check}: {decision.message}")
        for name in ("resource_id", "dimension", "param_path", "value", "allowed_patterns"):
            value = getattr(decision, name)
            if value is not None:
                print(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    return 0 if decision.allowed else 1
