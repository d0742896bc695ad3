"""``monstrum bots``: list, show, delete bots."""

from __future__ import annotations

import argparse
from typing import Any

from .output import add_format_flag, make_client, print_json, print_table


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
