"""``monstrum tasks``: run a bot and follow its events, watch, list, show, cancel tasks.

``tasks run`` exits 0 only when the task completes, so a CI step fails with its task.
Following and waiting run on the async client in a loop of their own, so Ctrl-C
cancels the stream cleanly (the connection closed, no traceback) and says what goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import Any

from ..client.models import TASK_STATUSES
from .lookup import bot_id, bot_names, named
from .output import (
    CommandError,
    add_format_flag,
    make_async_client,
    make_client,
    print_json,
    print_table,
)

#: characters of a result or params shown per event line (JSON lines are never cut)
SHOWN = 200
EXIT_NOT_COMPLETED = 1


def register(sub: Any) -> None:
    p = sub.add_parser("tasks", help="run bots and follow their tasks")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    run = s.add_parser("run", help="start a task; exits non-zero unless it completes")
    run.add_argument("--bot", required=True, help="bot id, or its exact name")
    run.add_argument("--input", required=True, help="the task input ('-' reads stdin)")
    run.add_argument("--metadata", help="a JSON object stored with the task")
    run.add_argument("--follow", "-f", action="store_true",
                     help="print the events as they come")
    run.add_argument("--json", action="store_true",
                     help="JSON output (with --follow: one event per line)")
    run.set_defaults(handler=run_task)

    watch = s.add_parser("watch", help="follow a task's events until it ends")
    watch.add_argument("task_id")
    watch.add_argument("--after", type=int, help="only events after this seq")
    watch.add_argument("--json", action="store_true", help="one JSON event per line")
    watch.set_defaults(handler=watch_task)

    ls = s.add_parser("list", help="recent tasks, newest first")
    ls.add_argument("--bot", help="only this bot's (id or exact name)")
    ls.add_argument("--status", choices=list(TASK_STATUSES))
    ls.add_argument("--limit", type=int, default=20)
    add_format_flag(ls)
    ls.set_defaults(handler=list_tasks)

    get = s.add_parser("get", help="show one task")
    get.add_argument("task_id")
    get.set_defaults(handler=get_task)

    cancel = s.add_parser("cancel", help="stop a queued or running task")
    cancel.add_argument("task_id")
    cancel.set_defaults(handler=cancel_task)


def _metadata(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--metadata is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CommandError("--metadata must be a JSON object, e.g. '{\"source\": \"ci\"}'")
    return value


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def describe_event(event: Any) -> str:
    """One human line (or a few, for output) per event."""
    head = f"[{event.seq}] {event.type}"
    kind = event.type
    if kind == "message":
        return f"{head}: {event.text or ''}"
    if kind == "tool_call":
        return f"{head} {event.tool_name} {_short(event.params or {})} on {event.resource_id}"
    if kind == "result":
        took = f" ({event.duration_ms:.1f} ms)" if event.duration_ms is not None else ""
        return f"{head} {event.tool_name}{took}: {_short(event.data)}"
    if kind == "denied":
        reason = event.reason or {}
        return f"{head} {event.tool_name}: {reason.get('message', '')} [{reason.get('check')}]"
    if kind == "error":
        what = f" {event.tool_name}" if event.tool_name else ""
        final = f" (task {event.status})" if event.status else ""
        return f"{head}{what}: {event.error or ''}{final}"
    if kind == "complete":
        output = (event.output or "").replace("\n", "\n    ")
        return f"{head}: {output}"
    return head


class EventPrinter:
    """Prints events as they come: one line each, a model turn's chunks on one line."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self._open_turn: tuple[int | None] | None = None

    def show(self, event: Any) -> None:
        if self.as_json:
            print(event.model_dump_json(exclude_none=True), flush=True)
            return
        if event.type == "message" and self._open_turn == (event.turn,):
            print(event.text or "", end="", flush=True)
            return
        if self._open_turn is not None:
            print()
        if event.type == "message":
            print(describe_event(event), end="", flush=True)
            self._open_turn = (event.turn,)
        else:
            print(describe_event(event), flush=True)
            self._open_turn = None

    def close(self) -> None:
        if self._open_turn is not None:
            print(flush=True)
            self._open_turn = None


def _follow(events: Any, as_json: bool) -> None:
    printer = EventPrinter(as_json)
    for event in events:
        printer.show(event)
    printer.close()


async def _watch_async(args: argparse.Namespace, task_id: str, *, after: int | None,
                       show: bool, as_json: bool) -> Any:
    """Follow ``task_id`` to its end (printing events if ``show``); None on Ctrl-C."""
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    interrupted = False

    def stop() -> None:
        nonlocal interrupted
        interrupted = True
        if me is not None:
            me.cancel()

    handled = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, stop)  # not on Windows, nor off the main thread
        handled = True
    printer = EventPrinter(as_json)
    try:
        async with make_async_client(args) as client:
            stream = client.tasks.events(task_id, after=after)
            try:
                async for event in stream:
                    if show:
                        printer.show(event)
            finally:
                await stream.aclose()
                printer.close()
            return await client.tasks.get(task_id)
    except asyncio.CancelledError:
        if interrupted:
            return None
        raise
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)


def _watch(args: argparse.Namespace, task_id: str, *, after: int | None = None,
           show: bool = True, as_json: bool = False) -> Any:
    try:
        return asyncio.run(_watch_async(args, task_id, after=after, show=show,
                                        as_json=as_json))
    except KeyboardInterrupt:  # where the loop could not take SIGINT itself
        return None


def _stopped(task_id: str) -> int:
    print(f"\nstopped watching; task {task_id} goes on "
          f"(monstrum tasks cancel {task_id} stops it)", file=sys.stderr)
    return 130


def _exit_code(task: Any) -> int:
    return 0 if task.status == "completed" else EXIT_NOT_COMPLETED


def run_task(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.input == "-" else args.input
    metadata = _metadata(args.metadata)
    with make_client(args) as client:
        bot = client.bots.resolve(args.bot)
        task = client.tasks.create(bot_id=bot.id, input=text, metadata=metadata)
    if not args.json:
        print(f"task {task.id} started for {bot.name} ({bot.id})", file=sys.stderr,
              flush=True)
    ended = _watch(args, task.id, show=args.follow, as_json=args.json)
    if ended is None:
        return _stopped(task.id)
    task = ended
    if args.json and not args.follow:
        print_json(task)
    elif not args.json and not args.follow:
        _print_outcome(task)
    elif not args.json:
        print(f"task {task.id} {task.status}", file=sys.stderr)
    return _exit_code(task)


def _print_outcome(task: Any) -> None:
    print(f"task {task.id} {task.status} ({task.tool_calls} tool calls, "
          f"{task.denials} denied)", file=sys.stderr)
    if task.status == "completed":
        print(task.output or "")
    else:
        print(f"error: {task.error}", file=sys.stderr)


def watch_task(args: argparse.Namespace) -> int:
    task = _watch(args, args.task_id, after=args.after, as_json=args.json)
    if task is None:
        return _stopped(args.task_id)
    if not args.json:
        print(f"task {task.id} {task.status}", file=sys.stderr)
    return _exit_code(task)


def list_tasks(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        wanted = bot_id(client, args.bot, history=True) if args.bot else None
        tasks = list(client.tasks.list(bot_id=wanted, status=args.status, limit=args.limit))
        names = bot_names(client, (t.bot_id for t in tasks)) if args.format != "json" else {}
    if args.format == "json":
        print_json(tasks)
    else:
        print_table(
            ["ID", "BOT", "STATUS", "CALLS", "DENIED", "CREATED", "INPUT"],
            [[t.id, named(t.bot_id, names), t.status, t.tool_calls, t.denials,
              t.created_at.isoformat(timespec="seconds"), _short(t.input)[:40]]
             for t in tasks],
        )
    return 0


def get_task(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        print_json(client.tasks.get(task_id=args.task_id))
    return 0


def cancel_task(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        task = client.tasks.cancel(task_id=args.task_id)
    print(f"task {task.id} {task.status}")
    return 0
