"""``monstrum keys`` and ``monstrum whoami``: API keys."""

from __future__ import annotations

import argparse
from typing import Any

from ..client.models import MCP_BOT_SCOPE_PREFIX, SCOPES
from .lookup import key_id
from .output import add_format_flag, make_client, print_json, print_table


def register(sub: Any) -> None:
    who = sub.add_parser("whoami", help="show the API key in use and its scopes")
    who.set_defaults(handler=whoami)
    p = sub.add_parser("keys", help="API keys (admin)")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = s.add_parser("list", help="list API keys")
    add_format_flag(ls)
    ls.set_defaults(handler=list_keys)
    mk = s.add_parser("create", help="create an API key; its secret is printed once")
    mk.add_argument("name")
    mk.add_argument("--scope", dest="scopes", action="append", required=True,
                    help="a scope (repeat): " + ", ".join(
                        shown for scope in SCOPES
                        for shown in ((scope, MCP_BOT_SCOPE_PREFIX + "BOT_ID")
                                      if scope == "mcp:call" else (scope,))))
    mk.set_defaults(handler=create_key)
    rm = s.add_parser("delete", help="revoke an API key")
    rm.add_argument("key", help="key id, or its exact name")
    rm.set_defaults(handler=delete_key)


def whoami(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        me = client.whoami()
        print(f"{me.name} ({me.id}) on {client.api_base}\nscopes: {', '.join(me.scopes)}")
    return 0


def list_keys(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        keys = list(client.api_keys.list())
    if args.format == "json":
        print_json(keys)
    else:
        print_table(
            ["ID", "NAME", "PREFIX", "SCOPES", "CREATED"],
            [[k.id, k.name, k.prefix + "…", ",".join(k.scopes), k.created_at.isoformat()]
             for k in keys],
        )
    return 0


def create_key(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        key = client.api_keys.create(name=args.name, scopes=args.scopes)
    print(f"created {key.id} ({', '.join(key.scopes)}); its secret, shown this once:")
    print(key.secret)
    return 0


def delete_key(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        ident = key_id(client, args.key)
        client.api_keys.delete(key_id=ident)
    print(f"deleted {ident}")
    return 0
