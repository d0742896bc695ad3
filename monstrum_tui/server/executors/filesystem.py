"""The ``filesystem`` executor: list, read and search files under the resource's ``root``.

Confinement is judged on what is really touched. Every path is resolved (symlinks
followed) and must stay under the root; the scope is then checked again on the
resolved path *relative to the root*, with the binding's own patterns (the call's
``ScopeGuard``), so ``docs/link.md`` pointing at ``secret/x.md`` is refused under
``paths: [docs/*]`` even though its text matches. A listing or a search shows only
entries whose real path is in scope, never the platform's data dir, and never
follows a link out of the root. Absolute paths and ``..`` are refused outright.
What was checked is what is read: a file is opened one part at a time from the root,
never through a link (``open_beneath``), so a folder swapped for a link between the
check and the read is refused, not followed.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from ..governance.approval import APPROVAL
from .actions import ACTIONS, ActionSpec
from .call import ExecutorCall, ToolFailure
from .confinement import PrivateZone, is_within

DEFAULT_MAX_READ = 64 * 1024
HARD_MAX_READ = 1024 * 1024
MAX_LIST_ENTRIES = 1000
MAX_MATCHES = 200
MAX_SEARCH_FILE = 1024 * 1024
MAX_SEARCH_FILES = 5000
#: the param every action reads its path from (the one scope dimensions constrain)
PATH_PARAM = "path"


def _root_of(config: Mapping[str, Any], resource_id: str) -> Path:
    root = config.get("root")
    if not isinstance(root, str) or not root:
        raise ToolFailure(f"resource {resource_id} has no 'root' folder configured")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise ToolFailure(f"the root folder of {resource_id} does not exist: {root}")
    return path.resolve()


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


def open_beneath(root: Path, real: Path) -> int:
    """A read-only descriptor of ``real`` (resolved, under ``root``), opened one part at a
    time from the root and never through a link.

    The path was checked when it was resolved; a folder on it swapped for a link since
    then (to leave the root or the scope) makes this fail (``OSError``) instead of being
    followed. Non-blocking, so a file swapped for a FIFO does not hang the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    parts = real.relative_to(root).parts
    fd = os.open(root, flags | os.O_DIRECTORY)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            child = os.open(part, flags | (os.O_NONBLOCK if last else os.O_DIRECTORY),
                            dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


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
    try:
        real = (root / pure).resolve()
    except (OSError, RuntimeError):  # a symlink loop: it leads nowhere
        raise ToolFailure(f"path '{relative}' cannot be resolved (a symlink loop)") from None
    if not is_within(real, root):
        raise ToolFailure(f"path '{relative}' leads outside the root (through a symlink)")
    return real


class _Place:
    """One call's root, and the rules every path it touches must pass."""

    def __init__(self, call: ExecutorCall) -> None:
        self.call = call
        self.root = _root_of(call.config, call.resource_id)
        if call.private.exposed_by(self.root):
            raise ToolFailure(
                f"the root folder of {call.resource_id} exposes the platform's data dir; "
                "choose a folder outside it"
            )

    def target(self) -> Path:
        """The real path the call's ``path`` param names, checked against the scope."""
        asked = self.call.params.get(PATH_PARAM)
        try:
            real = resolve_inside(self.root, asked)
        except ToolFailure as refused:  # confinement: a denial, audited as one
            raise self.call.refuse(refused.message) from None
        if self.call.private.holds(real):
            raise self.call.refuse(f"path '{asked}' is private to the platform")
        rel = _rel(self.root, real)
        refusal = self.call.guard.refusal(PATH_PARAM, rel)
        if refusal is not None:
            really = f" really is '{rel}', which" if rel != asked else ""
            why = "needs approval" if refusal.check == APPROVAL else "is out of scope"
            raise self.call.refuse(
                f"path '{asked}'{really} {why}: {refusal.message}",
                check=refusal.check or "scope", dimension=refusal.dimension,
                param_path=PATH_PARAM, value=rel, allowed_patterns=refusal.allowed_patterns,
            )
        return real

    def visible(self, real: Path) -> bool:
        """Whether an entry met on the way (listing, search) may be shown: its real path is
        under the root, not private, and in scope."""
        if not is_within(real, self.root) or self.call.private.holds(real):
            return False
        return self.call.guard.allows(PATH_PARAM, _rel(self.root, real))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def _list(call: ExecutorCall) -> dict[str, Any]:
    place = _Place(call)
    target = place.target()
    if not target.is_dir():
        raise ToolFailure(f"'{_rel(place.root, target)}' is not a folder")
    entries: list[dict[str, Any]] = []
    truncated = False
    for entry in sorted(os.scandir(target), key=lambda e: e.name):
        if len(entries) >= MAX_LIST_ENTRIES:
            truncated = True
            break
        try:
            real = Path(entry.path).resolve()
        except (OSError, RuntimeError):  # a symlink loop shows nothing, and stops nothing
            continue
        if not place.visible(real):
            continue  # a link out of the root, into the platform's files, or out of scope
        try:
            info = real.stat()
        except OSError:
            continue
        item: dict[str, Any] = {"name": entry.name, "type": _kind(info.st_mode)}
        if item["type"] == "file":
            item["size"] = info.st_size
        entries.append(item)
    return {"path": _rel(place.root, target), "entries": entries, "truncated": truncated}


def _read_limit(call: ExecutorCall) -> int:
    limit = call.config.get("max_read_bytes", DEFAULT_MAX_READ)
    if not isinstance(limit, int) or limit <= 0:
        limit = DEFAULT_MAX_READ
    asked = call.params.get("max_bytes")
    if isinstance(asked, int) and asked > 0:
        limit = min(limit, asked)
    return min(limit, HARD_MAX_READ)


def _read(call: ExecutorCall) -> dict[str, Any]:
    place = _Place(call)
    target = place.target()
    if not target.is_file():
        raise ToolFailure(f"'{_rel(place.root, target)}' is not a file")
    limit = _read_limit(call)
    try:
        fd = open_beneath(place.root, target)
    except OSError:
        raise call.refuse(f"path '{call.params.get(PATH_PARAM)}' changed while it was being "
                          "opened (a folder on it became a link): refused") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ToolFailure(f"'{_rel(place.root, target)}' is not a file")
        size = info.st_size
        raw = f.read(limit)
    return {
        "path": _rel(place.root, target),
        "size": size,
        "content": raw.decode("utf-8", errors="replace"),
        "truncated": size > len(raw),
    }


def _search(call: ExecutorCall) -> dict[str, Any]:
    place = _Place(call)
    query = call.params.get("query")
    if not isinstance(query, str) or not query:
        raise ToolFailure("query must be non-empty text")
    start = place.target()
    needle = query.lower()
    matches: list[dict[str, Any]] = []
    scanned = 0
    truncated = False
    for path in _walk_files(start):
        if len(matches) >= MAX_MATCHES or scanned >= MAX_SEARCH_FILES:
            truncated = True
            break
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            continue
        if not place.visible(real):
            continue
        try:
            # what was checked is what is read: a folder swapped for a link is not followed
            with os.fdopen(open_beneath(place.root, real), "rb") as f:
                info = os.fstat(f.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SEARCH_FILE:
                    continue
                text = f.read(MAX_SEARCH_FILE).decode("utf-8", errors="replace")
        except OSError:
            continue
        scanned += 1
        for number, line in enumerate(text.splitlines(), 1):
            if needle in line.lower():
                matches.append(
                    {"path": _rel(place.root, path), "line": number, "text": line[:300]}
                )
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


class FilesystemExecutor:
    """``filesystem.list|read|search`` under ``config.root``."""

    kind: ClassVar[str] = "filesystem"
    actions: ClassVar[Mapping[str, ActionSpec]] = ACTIONS["filesystem"]
    _RUN: ClassVar[Mapping[str, Any]] = {"list": _list, "read": _read, "search": _search}

    def config_problems(self, config: Mapping[str, Any], private: PrivateZone) -> list[str]:
        root = config.get("root")
        if isinstance(root, str) and root and private.exposed_by(Path(root).expanduser()):
            return [f"config.root '{root}' is, or holds, the platform's data dir; no resource "
                    "may reach it"]
        return []

    async def run(self, call: ExecutorCall) -> Any:
        action = self._RUN.get(call.action or "")
        if action is None:
            raise ToolFailure(f"unknown filesystem action {call.action!r}")
        return await asyncio.to_thread(action, call)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
