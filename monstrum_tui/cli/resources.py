"""``monstrum resources``: list, show and delete resources (credentials are never shown)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .output import add_format_flag, make_client, print_json, print_table


def register(sub: Any) -> None:
    p = sub.add_parser("resources", help="resources (configured integrations) and their tools")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = s.add_parser("list", help="list resources")
    ls.add_argument("--type", help="only resources of this type")
    ls.add_argument("-q", dest="q", help="text in the name or id")
    add_format_flag(ls)
    ls.set_defaults(handler=list_resources)
    get = s.add_parser("get", help="show one resource, its tools and bound bots")
    get.add_argument("resource_id")
    add_format_flag(get)
    get.set_defaults(handler=get_resource)
    rm = s.add_parser("delete", help="delete a resource (no bot may be bound to it)")
    rm.add_argument("resource_id")
    rm.set_defaults(handler=delete_resource)


def list_resources(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        items = list(client.resources.list(type=args.type, q=args.q))
    if args.format == "json":
        print_json(items)
    else:
        print_table(
            ["ID", "NAME", "TYPE", "TOOLS", "BOUND BOTS"],
            [[r.id, r.name, r.type, len(r.tools),
              ", ".join(b.bot_name for b in r.bindings) or len(r.bound_bots)] for r in items],
        )
    return 0


def get_resource(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        r = client.resources.get(resource_id=args.resource_id)
    if args.format == "json":
        print_json(r)
        return 0
    version = f" {r.integration_version}" if r.integration_version else ""
    print(f"{r.id}  {r.name}  (type {r.type}{version})")
    for key, value in r.config.items():
        print(f"  config.{key} = {json.dumps(value, ensure_ascii=False)}")
    print(f"  credentials set: {', '.join(r.credentials_set) or 'none'}")
    print(f"\ntools ({len(r.tools)}):")
    for t in r.tools:
        dims = ", ".join(f"{d.key}@{'|'.join(d.param_paths)}" for d in t.scope_dimensions)
        print(f"  {t.name}  [{t.operation}]  {t.description}")
        if dims:
            print(f"      scope: {dims}")
    print(f"\nbound bots ({len(r.bindings)}):")
    for b in r.bindings:
        scope = json.dumps(b.scope_constraints, ensure_ascii=False)
        print(f"  {b.bot_name} ({b.bot_id}, {b.bot_status}): tools {', '.join(b.tools) or 'none'}"
              f"; scope {scope}")
    return 0


def delete_resource(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        client.resources.delete(resource_id=args.resource_id)
    print(f"deleted {args.resource_id}")
    return 0
