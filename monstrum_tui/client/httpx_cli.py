"""Keeping httpx's command-line tool out of a process that never runs it.

Whenever click is installed, ``import httpx`` also imports its CLI (click, pygments'
lexers, rich's console, syntax, progress and table) for ``httpx.main`` alone: ~60 ms
and 3 MB before the dashboard's first paint, ~0.1 s of the local platform's start.
A ``None`` in ``sys.modules`` makes that one import fail, the case httpx provides
for: its ``main`` then only says the CLI is not installed.

Only entry points call this (the dashboard's launcher, the platform's process), never
an import of the SDK: a program using the SDK keeps httpx as it is.
"""

from __future__ import annotations

import sys


def leave_out_httpx_cli() -> None:
    """Before httpx is first imported: make its CLI module unimportable in this process."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
