"""``monstrum bots``: list, show, create, update, delete bots; dry-run a tool call.

Every BOT argument is an id or an exact name (an unknown name is an error).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from .lookup import bot_id
from .output import CommandError, add_format_flag, make_client, print_json, print_table


def register(sub: Any) -> None:
    p = sub.add_parser("bots", help="governed bots")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = s.add_parser("list", help="list bots")
    add_format_flag(ls)
    ls.set_defaults(handler=list_bots)
    get = s.add_parser("get", help="show one bot")
    get.add_argument("bot", help="bot id, or its exact name")
    get.set_defaults(handler=get_bot)
    mk = s.add_parser("create", help="create a bot",
                      description="Bindings are a YAML or JSON list, e.g. --bindings "
                      "'[{resource_id: res_x, allowed_tools: [read_file], "
                      "scope_constraints: {paths: [\"docs/*\"]}}]', or --bindings @FILE.")
    mk.add_argument("--name", required=True)
    _add_bot_flags(mk, model_default="scripted")
    add_format_flag(mk)
    mk.set_defaults(handler=create_bot)
    up = s.add_parser("update", help="change a bot (only the fields given)",
                      description="Only the given fields change. --operation replaces the "
                      "whole list; --bindings replaces every binding.")
    up.add_argument("bot", help="bot id, or its exact name")
    up.add_argument("--name", help="a new name")
    _add_bot_flags(up, model_default=None)
    add_format_flag(up)
    up.set_defaults(handler=update_bot)
    rm = s.add_parser("delete", help="delete a bot")
    rm.add_argument("bot", help="bot id, or its exact name")
    rm.set_defaults(handler=delete_bot)
    auth = s.add_parser("authorize", help="dry run: would this tool call be allowed? "
                        "(exits 1 when denied)")
    auth.add_argument("bot", help="bot id, or its exact name")
    auth.add_argument("--tool", required=True, help="TOOL or RESOURCE_ID/TOOL")
    auth.add_argument("--params", default="{}", help="the call's params as a JSON object")
    auth.add_argument("--json", action="store_true", help="print the decision as JSON")
    auth.set_defaults(handler=authorize_call)


def _add_bot_flags(parser: argparse.ArgumentParser, *, model_default: str | None) -> None:
    parser.add_argument("--description")
    parser.add_argument("--model", default=model_default,
                        help="scripted, or a chat model name such as gpt-4o")
    parser.add_argument("--status", choices=["active", "paused"])
    parser.add_argument("--operation", dest="operations", action="append", metavar="OP",
                        help="an allowed operation pattern such as files.read or deploy.* "
                        "(repeat, or separate with commas)")
    parser.add_argument("--bindings", help="the resource bindings: a YAML/JSON list, or @FILE")


def parse_operations(items: list[str] | None) -> list[str] | None:
    if items is None:
        return None
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def parse_bindings(raw: str | None) -> list[dict[str, Any]] | None:
    """``--bindings`` as request data; a CommandError names what is wrong with it."""
    if raw is None:
        return None
    text = raw
    if raw.startswith("@"):
        try:
            text = Path(raw[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"--bindings: cannot read {raw[1:]}: {exc}", code=2) from None
    try:
        data = yaml.safe_load(text) if text.strip() else []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CommandError(f"--bindings is not valid YAML or JSON{where}", code=2) from None
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise CommandError("--bindings must be a list of mappings, e.g. "
                           "'[{resource_id: res_x, allowed_tools: [read_file]}]'", code=2)
    return data


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    values = {
        "name": args.name,
        "description": args.description,
        "model": args.model,
        "status": args.status,
        "allowed_operations": parse_operations(args.operations),
        "resource_bindings": parse_bindings(args.bindings),
    }
    return {k: v for k, v in values.items() if v is not None}


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
        print_json(client.bots.resolve(args.bot))
    return 0


def _report(args: argparse.Namespace, bot: Any, verb: str) -> None:
    if args.format == "json":
        print_json(bot)
        return
    binds = len(bot.resource_bindings)
    print(f"{verb} {bot.name} ({bot.id}): {bot.model}, {bot.status}, "
          f"{binds} binding{'' if binds == 1 else 's'}, operations "
          f"{', '.join(bot.allowed_operations) or 'none'}")


def create_bot(args: argparse.Namespace) -> int:
    data = _changes(args)
    with make_client(args) as client:
        bot = client.bots.create(**data)
    _report(args, bot, "created")
    return 0


def update_bot(args: argparse.Namespace) -> int:
    changes = _changes(args)
    if not changes:
        raise CommandError("nothing to change: give --name, --description, --model, "
                           "--status, --operation or --bindings", code=2)
    with make_client(args) as client:
        bot = client.bots.update(bot_id(client, args.bot), **changes)
    _report(args, bot, "updated")
    return 0


def delete_bot(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        bot = client.bots.resolve(args.bot)
        client.bots.delete(bot_id=bot.id)
    print(f"deleted {bot.name} ({bot.id})")
    return 0


def authorize_call(args: argparse.Namespace) -> int:
    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--params is not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise CommandError("--params must be a JSON object")
    with make_client(args) as client:
        decision = client.bots.authorize(bot_id=bot_id(client, args.bot), tool=args.tool,
                                         params=params)
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
