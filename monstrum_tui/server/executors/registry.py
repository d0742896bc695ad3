"""Which code runs a tool: the http executor, or a built-in action by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from . import filesystem, shell
from .call import ExecutorCall
from .http import run_http

Executor = Callable[[ExecutorCall], Awaitable[Any]]

BUILTIN_EXECUTORS: dict[str, Executor] = {
    "filesystem.list": filesystem.list_files,
    "filesystem.read": filesystem.read_file,
    "filesystem.search": filesystem.search_files,
    "shell.run": shell.run_command,
}


def executor_for(call: ExecutorCall) -> Executor | None:
    """The executor the tool declares, or None if it declares none."""
    if call.tool.http is not None:
        return run_http
    if call.tool.executor is not None:
        return BUILTIN_EXECUTORS.get(call.tool.executor)
    return None
