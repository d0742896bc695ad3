"""The ``filesystem`` executor: list, read and search files under the resource's ``root``.

Every path is relative to the root. Absolute paths and ``..`` are refused outright,
and a path whose real location (symlinks followed) is outside the root is refused
too, so a link inside the root cannot lead out of it.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from .call import ExecutorCall, ToolFailure

DEFAULT_MAX_READ = 64 * 1024
HARD_MAX_READ = 1024 * 1024
MAX_LIST_ENTRIES = 1000
MAX_MATCHES = 200
MAX_SEARCH_FILE = 1024 * 1024
MAX_SEARCH_FILES = 5000


def _root(call: ExecutorCall) -> Path:
    root = call.config.get("root")
    if not isinstance(root, str) or not root:
        raise ToolFailure(f"resource {call.resource_id} has no 'root' folder configured")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise ToolFailure(f"the root folder of {call.resource_id} does not exist: {root}")
    return path.resolve()


def resolve_inside(root: Path, relative: Any) -> Path:
    """The real path of ``relative`` under ``root``, or ``ToolFailure`` if it would escape."""
    if relative is None or relative == "":
        relative = "."
    if not isinstance(relative, str):
        raise ToolFailure("path must be text")
    if "\x00" in relative:
        raise ToolFailure("path contains a NUL character")
    pure = PurePosixPath(relative)
    windows_like = relative.startswith("\\") or (len(relative) > 1 and relative[1] == ":")
    if pure.is_absolute() or windows_like:
        raise ToolFailure(f"path '{relative}' is absolute; give a path relative to the root")
    if ".." in pure.parts:
        raise ToolFailure(f"path '{relative}' contains '..'; paths must stay inside the root")
    real = (root / pure).resolve()
    if real != root and root not in real.parents:
        raise ToolFailure(f"path '{relative}' leads outside the root (through a symlink)")
    return real


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def _list(call: ExecutorCall) -> dict[str, Any]:
    root = _root(call)
    target = resolve_inside(root, call.params.get("path"))
    if not target.is_dir():
        raise ToolFailure(f"'{_rel(root, target)}' is not a folder")
    entries: list[dict[str, Any]] = []
    truncated = False
    for entry in sorted(os.scandir(target), key=lambda e: e.name):
        if len(entries) >= MAX_LIST_ENTRIES:
            truncated = True
            break
        real = Path(entry.path).resolve()
        if real != root and root not in real.parents:
            continue  # a link out of the root: not ours to show
        try:
            info = real.stat()
        except OSError:
            continue
        item: dict[str, Any] = {"name": entry.name, "type": _kind(info.st_mode)}
        if item["type"] == "file":
            item["size"] = info.st_size
        entries.append(item)
    return {"path": _rel(root, target), "entries": entries, "truncated": truncated}


def _read_limit(call: ExecutorCall) -> int:
    limit = call.config.get("max_read_bytes", DEFAULT_MAX_READ)
    if not isinstance(limit, int) or limit <= 0:
        limit = DEFAULT_MAX_READ
    asked = call.params.get("max_bytes")
    if isinstance(asked, int) and asked > 0:
        limit = min(limit, asked)
    return min(limit, HARD_MAX_READ)


def _read(call: ExecutorCall) -> dict[str, Any]:
    root = _root(call)
    target = resolve_inside(root, call.params.get("path"))
    if not target.is_file():
        raise ToolFailure(f"'{_rel(root, target)}' is not a file")
    limit = _read_limit(call)
    size = target.stat().st_size
    with open(target, "rb") as f:
        raw = f.read(limit)
    return {
        "path": _rel(root, target),
        "size": size,
        "content": raw.decode("utf-8", errors="replace"),
        "truncated": size > len(raw),
    }


def _search(call: ExecutorCall) -> dict[str, Any]:
    root = _root(call)
    query = call.params.get("query")
    if not isinstance(query, str) or not query:
        raise ToolFailure("query must be non-empty text")
    start = resolve_inside(root, call.params.get("path"))
    needle = query.lower()
    matches: list[dict[str, Any]] = []
    scanned = 0
    truncated = False
    for path in _walk_files(start):
        if len(matches) >= MAX_MATCHES or scanned >= MAX_SEARCH_FILES:
            truncated = True
            break
        real = path.resolve()
        if real != root and root not in real.parents:
            continue
        if not real.is_file() or real.stat().st_size > MAX_SEARCH_FILE:
            continue
        scanned += 1
        try:
            text = real.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if needle in line.lower():
                matches.append({"path": _rel(root, path), "line": number, "text": line[:300]})
                if len(matches) >= MAX_MATCHES:
                    break
    return {"query": query, "matches": matches, "files_scanned": scanned, "truncated": truncated}


def _walk_files(start: Path) -> Iterator[Path]:
    """Files under ``start`` in name order, not descending into linked folders."""
    if start.is_file():
        yield start
        return
    for folder, dirs, names in os.walk(start, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            yield Path(folder) / name


async def list_files(call: ExecutorCall) -> Any:
    return await asyncio.to_thread(_list, call)


async def read_file(call: ExecutorCall) -> Any:
    return await asyncio.to_thread(_read, call)


async def search_files(call: ExecutorCall) -> Any:
    return await asyncio.to_thread(_search, call)
