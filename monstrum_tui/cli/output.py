"""How the CLI prints: tables for people, JSON for scripts, errors on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from ..client import AsyncClient, Client


class CommandError(Exception):
    """A failure the CLI reports in one line, with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 1) -> int:
    print(f"monstrum: error: {message}", file=sys.stderr)
    return code


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table; the last column is never padded."""
    cells = [[str(c) if c is not None else "" for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(widths[i]) for i, v in enumerate(values[:-1])]
        return "  ".join([*padded, values[-1]]).rstrip()

    print(line(list(headers)))
    for row in cells:
        print(line(row))


#: the local platform this command is attached to (held up until the command exits)
_attached: list[Any] = []


def make_client(args: argparse.Namespace) -> Client:
    """A sync client from the global flags, the environment and the config file; with
    none of them, the data dir's local platform (started if it is not running), as the
    dashboard does."""
    from ..client import Client
    from ..client.config import nothing_configured

    chosen = {
        "api_key": getattr(args, "api_key", None),
        "api_base": getattr(args, "api_base", None),
        "profile": getattr(args, "profile", None),
    }
    if not nothing_configured(**chosen):
        return Client(**chosen)
    from ..server.embedded import EmbeddedStartError, start_embedded_platform

    try:
        local = start_embedded_platform()
    except (EmbeddedStartError, OSError) as exc:
        raise CommandError(f"cannot start the local platform: {exc}") from None
    _attached.append(local)
    return Client(settings=local.client_settings())


def make_async_client(args: argparse.Namespace) -> AsyncClient:
    """The async client for the same flags (for streams that Ctrl-C must end cleanly)."""
    from ..client import AsyncClient

    return AsyncClient(
        api_key=getattr(args, "api_key", None),
        api_base=getattr(args, "api_base", None),
        profile=getattr(args, "profile", None),
    )


def add_format_flag(parser: argparse.ArgumentParser, *choices: str) -> None:
    options = choices or ("table", "json")
    parser.add_argument("--format", choices=options, default=options[0])
    parser.add_argument("--json", dest="format", action="store_const", const="json",
                        help="same as --format json")
