"""``monstrum approvals``: the tool calls waiting for a person, and deciding them."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..client.models import APPROVAL_STATUSES
from .output import add_format_flag, make_client, print_json, print_table


def register(sub: Any) -> None:
    p = sub.add_parser("approvals", help="tool calls waiting for a person's approval")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = s.add_parser("list", help="approvals, newest first (pending only by default)")
    ls.add_argument("--status", choices=[*APPROVAL_STATUSES, "all"], default="pending")
    ls.add_argument("--task", help="only this task's")
    ls.add_argument("--bot", help="only this bot's")
    ls.add_argument("--limit", type=int, default=50)
    add_format_flag(ls)
    ls.set_defaults(handler=list_approvals)
    get = s.add_parser("get", help="show one approval (the call, its params, the decision)")
    get.add_argument("approval_id")
    get.set_defaults(handler=get_approval)
    for name, text in (("approve", "let the waiting call run"),
                       ("reject", "refuse the waiting call (the model is told the reason)")):
        cmd = s.add_parser(name, help=text)
        cmd.add_argument("approval_id")
        cmd.add_argument("--reason", "-m", default="", help="why (goes on the audit log)")
        cmd.set_defaults(handler=decide, approve=name == "approve")


def list_approvals(args: argparse.Namespace) -> int:
    status = None if args.status == "all" else args.status
    with make_client(args) as client:
        items = list(client.approvals.list(status=status, task_id=args.task, bot_id=args.bot,
                                           limit=args.limit))
    if args.format == "json":
        print_json(items)
        return 0
    print_table(
        ["ID", "STATUS", "BOT", "TASK", "TOOL", "EXPIRES", "PARAMS"],
        [[a.id, a.status, a.bot_id, a.task_id or f"({a.via})", a.tool_name,
          a.expires_at.strftime("%Y-%m-%d %H:%M:%S"),
          json.dumps(a.params, ensure_ascii=False)[:60]] for a in items],
    )
    return 0


def get_approval(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        print_json(client.approvals.get(args.approval_id))
    return 0


def decide(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        call = client.approvals.approve if args.approve else client.approvals.reject
        approval = call(args.approval_id, reason=args.reason)
    print(f"{approval.id}: {approval.status} ({approval.tool_name} of bot {approval.bot_id})")
    return 0
