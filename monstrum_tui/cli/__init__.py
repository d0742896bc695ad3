"""The ``monstrum`` command line: one subcommand module per kind of object."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from . import approvals, audit, bots, db, integrations, keys, resources, serve, tasks
from .output import CommandError, fail

COMMAND_MODULES = [serve, db, bots, keys, audit, integrations, resources, tasks, approvals]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monstrum", description="Monstrum: govern AI agents from the command line."
    )
    parser.add_argument("--version", action="version", version=f"monstrum {__version__}")
    parser.add_argument("--profile", help="config profile in ~/.monstrum/config.toml")
    parser.add_argument("--api-base", help="server URL (or MONSTRUM_API_BASE)")
    parser.add_argument("--api-key", help="API key (or MONSTRUM_API_KEY)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    for leaf in _leaf_parsers(parser):
        _add_connection_flags(leaf)
    return parser


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """Also accept the connection flags after the subcommand (``monstrum bots list --api-key K``).

    SUPPRESS as the default keeps a flag given before the subcommand from being reset.
    """
    taken = {opt for action in parser._actions for opt in action.option_strings}
    for flag, text in (("--profile", "config profile"), ("--api-base", "server URL"),
                       ("--api-key", "API key")):
        if flag not in taken:
            parser.add_argument(flag, default=argparse.SUPPRESS, help=text)


def _leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers that run a command (those without subcommands of their own)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    leaves: list[argparse.ArgumentParser] = []
    for action in subs:
        for child in dict.fromkeys(action.choices.values()):
            leaves.extend(_leaf_parsers(child))
    return leaves


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        return fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`monstrum bots list | head`): no traceback, and none at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the client's typed errors and config problems
        from ..client.errors import MonstrumError

        if isinstance(exc, MonstrumError):
            return fail(str(exc))
        raise


if __name__ == "__main__":
    sys.exit(main())
