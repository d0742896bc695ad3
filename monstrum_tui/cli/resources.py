"""``monstrum resources``: list, show and delete resources (credentials are never shown)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .lookup import resource_id
from .output import CommandError, add_format_flag, make_client, print_json, print_table


def register(sub: Any) -> None:
    p = sub.add_parser("resources", help="resources (configured integrations) and their tools")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = s.add_parser("list", help="list resources")
    ls.add_argument("--type", help="only resources of this type")
    ls.add_argument("-q", dest="q", help="text in the name or id")
    add_format_flag(ls)
    ls.set_defaults(handler=list_resources)
    get = s.add_parser("get", help="show one resource, its tools and bound bots")
    get.add_argument("resource", help="resource id, or its exact name")
    add_format_flag(get)
    get.set_defaults(handler=get_resource)
    mk = s.add_parser(
        "create",
        help="create a resource of an installed type",
        description="Values of --config are parsed as JSON when they can be (lists, numbers, "
        "booleans), else taken as text. A credential is KEY=VALUE, KEY=@FILE (read from a "
        "file) or KEY=- (read one line from standard input), so secrets need not sit in your "
        "shell history.",
    )
    mk.add_argument("--type", required=True, help="the resource type, e.g. filesystem")
    mk.add_argument("--name", required=True)
    mk.add_argument("--id", help="a res_... slug (generated when left out)")
    _add_value_flags(mk)
    add_format_flag(mk)
    mk.set_defaults(handler=create_resource)
    up = s.add_parser("update", help="change a resource's name, config or credentials")
    up.add_argument("resource", help="resource id, or its exact name")
    up.add_argument("--name")
    _add_value_flags(up)
    add_format_flag(up)
    up.set_defaults(handler=update_resource)
    rm = s.add_parser("delete", help="delete a resource (no bot may be bound to it)")
    rm.add_argument("resource", help="resource id, or its exact name")
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
        r = client.resources.resolve(args.resource)
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


def _add_value_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="a config field (repeat)")
    parser.add_argument("--credential", action="append", default=[], metavar="KEY=VALUE",
                        help="a credential field: KEY=VALUE, KEY=@FILE or KEY=- (repeat)")


def _split(item: str, flag: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise CommandError(f"{flag} {item!r}: expected KEY=VALUE")
    return key.strip(), value


def parse_config(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a value that reads as JSON is taken as JSON."""
    config: dict[str, Any] = {}
    for item in items:
        key, raw = _split(item, "--config")
        try:
            config[key] = json.loads(raw)
        except ValueError:
            config[key] = raw
    return config


def parse_credentials(items: list[str]) -> dict[str, str]:
    """``KEY=VALUE``, ``KEY=@FILE`` or ``KEY=-`` (one line of standard input)."""
    creds: dict[str, str] = {}
    for item in items:
        key, raw = _split(item, "--credential")
        if raw == "-":
            value = sys.stdin.readline().rstrip("\n")
        elif raw.startswith("@"):
            try:
                value = Path(raw[1:]).expanduser().read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise CommandError(f"--credential {key}: cannot read {raw[1:]}: {exc}") from exc
        else:
            value = raw
        creds[key] = value
    return creds


def create_resource(args: argparse.Namespace) -> int:
    config, creds = parse_config(args.config), parse_credentials(args.credential)
    with make_client(args) as client:
        r = client.resources.create(
            type=args.type, name=args.name, id=args.id, config=config, credentials=creds
        )
    _report(args, r, "created")
    return 0


def update_resource(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.name:
        changes["name"] = args.name
    if args.config:
        changes["config"] = parse_config(args.config)
    if args.credential:
        changes["credentials"] = parse_credentials(args.credential)
    if not changes:
        raise CommandError("nothing to change: give --name, --config or --credential")
    with make_client(args) as client:
        r = client.resources.update(resource_id=resource_id(client, args.resource), **changes)
    _report(args, r, "updated")
    return 0


def _report(args: argparse.Namespace, r: Any, verb: str) -> None:
    if args.format == "json":
        print_json(r)
    else:
        fields = ", ".join(r.credentials_set) or "none"
        print(f"{verb} {r.id} ({r.type}, {len(r.tools)} tool(s); credentials set: {fields})")


def delete_resource(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        r = client.resources.resolve(args.resource)
        client.resources.delete(resource_id=r.id)
    print(f"deleted {r.name} ({r.id})")
    return 0
