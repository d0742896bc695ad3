"""The ``shell`` executor: run one allow-listed command, without a shell, confined.

The command is a name from ``config.allowed_commands`` (never a path), found on a
fixed ``PATH``; arguments are passed as a list, so nothing is interpreted by a shell.
It runs in ``config.working_dir`` (or a fresh empty folder) with an empty environment
(the server's variables, API keys included, are not inherited), a timeout and an
output cap.

Confinement, in two layers:

1. every argument, in every form a program may read a path from (bare, ``-xVALUE``
   and grouped short options, ``--opt=VALUE``, ``key=VALUE``, ``name:VALUE``,
   ``@VALUE``, items of ``a,b``), must not be absolute, start with ``~``, climb with
   ``..``, or lead (through links, even to a file not made yet) outside the working
   folder or into the platform's data dir; arguments longer than PATH_MAX are refused;
2. where the kernel has Landlock, the program itself can only write in its working
   folder and only read it and the system's read-only folders, with no network
   (``landlock.py``), so even a form this text check does not know cannot reach out.
   Only this layer stops a program that follows links by itself (``grep -R .`` over a
   folder holding a link that leads out), so where the kernel has no Landlock a
   working folder holding such a link is refused as a whole (``links_leading_out``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from .actions import ACTIONS, ActionSpec
from .call import ExecutorCall, ToolFailure
from .confinement import PrivateZone, is_within
from .landlock import confined_command, landlock_abi

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_OUTPUT = 64 * 1024
HARD_MAX_OUTPUT = 1024 * 1024
#: characters after which the rest of an argument may be read as a path (key=VALUE...)
_VALUE_SEPARATORS = "=:@,"
#: the longest argument checked (and so run): PATH_MAX, the longest path a program opens
MAX_ARG_CHARS = 4096
#: entries looked through for links leading out (no Landlock) before the folder is refused
MAX_SCANNED_ENTRIES = 20_000


def _allowed(config: Mapping[str, Any]) -> list[str]:
    allowed = config.get("allowed_commands")
    if not isinstance(allowed, list):
        return []
    return [c for c in allowed if isinstance(c, str)]


def _args(call: ExecutorCall) -> list[str]:
    args = call.params.get("args", [])
    if args is None:
        return []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ToolFailure("args must be a list of text arguments")
    if any("\x00" in a for a in args):
        raise ToolFailure("an argument contains a NUL character")
    return args


def path_candidates(arg: str) -> Iterator[str]:
    """Every part of an argument that a program might open as a path.

    The whole argument; for ``-x...`` every suffix after the option letters (``-f../k``,
    ``-xzf/abs``); for ``--opt=V`` the value; the rest after any ``=``, ``:``, ``@`` or
    ``,`` (``if=/etc/x``, ``file:../k``, ``@/etc/x``), and each item between them
    (``--files=a,link,b``).
    """
    yield arg
    if arg.startswith("-") and not arg.startswith("--"):
        for i in range(2, len(arg)):
            yield arg[i:]
    cuts = [i for i, char in enumerate(arg) if char in _VALUE_SEPARATORS]
    for i in cuts:
        if i + 1 < len(arg):
            yield arg[i + 1:]
    for start, end in zip([0, *(i + 1 for i in cuts)], [*cuts, len(arg)], strict=True):
        if start < end and (start, end) != (0, len(arg)):
            yield arg[start:end]


def _landing(cwd: Path, parts: tuple[str, ...]) -> Path:
    """Where a relative path really leads: each part that exists is followed through its
    links; at the first that does not, the rest lands below it (no link can be there)."""
    current = cwd
    for index, part in enumerate(parts):
        step = current / part
        try:
            info = os.lstat(step)
        except OSError:  # absent, not a folder, or a name too long to exist
            return step.joinpath(*parts[index + 1:])
        current = step.resolve() if stat.S_ISLNK(info.st_mode) else step
    return current


def _refusal(candidate: str, cwd: Path, private: PrivateZone, names: frozenset[str]) -> str | None:
    pure = PurePosixPath(candidate)
    if pure.is_absolute():
        return "is an absolute path; paths must be relative to the working folder"
    if candidate.startswith("~"):
        return "names a home folder; paths must be relative to the working folder"
    if ".." in pure.parts:
        return "contains '..'; paths must stay inside the working folder"
    if not pure.parts or pure.parts[0] not in names:
        return None  # nothing of that name in the folder, so nothing below it either
    # followed whether or not it exists: a file the program would create under a link
    # (``link/new`` with ``link`` -> elsewhere) lands where the link points
    real = _landing(cwd, pure.parts)
    if not is_within(real, cwd):
        return "leads outside the working folder"
    if private.holds(real):
        return "leads into the platform's data dir"
    return None


def check_confined(args: list[str], cwd: Path, private: PrivateZone) -> None:
    """Refuse (``ToolFailure``) an argument that could name a place outside ``cwd``.

    Every candidate of an option cluster is one of its suffixes, so the work grows with
    the square of an argument's length: arguments longer than ``MAX_ARG_CHARS`` (the
    longest path the kernel opens) are refused rather than checked.
    """
    names = frozenset(os.listdir(cwd))
    for arg in args:
        if len(arg) > MAX_ARG_CHARS:
            raise ToolFailure(
                f"an argument is {len(arg)} characters long; at most {MAX_ARG_CHARS} are "
                "accepted (the longest path a program can open)"
            )
        for candidate in path_candidates(arg):
            why = _refusal(candidate, cwd, private, names)
            if why is not None:
                shown = f"'{arg}'" if candidate == arg else f"'{arg}' (as '{candidate}')"
                raise ToolFailure(f"argument {shown} {why}")


def links_leading_out(
    cwd: Path, private: PrivateZone, limit: int = MAX_SCANNED_ENTRIES
) -> str | None:
    """Why ``cwd`` cannot be used without the kernel sandbox: the first link under it
    that leads outside it or into the data dir (dangling ones included: writing through
    them creates the target), or that it holds more than ``limit`` entries (fail closed
    rather than look for ever); ``None`` when it holds no such link."""
    seen = 0
    for root, dirs, files in os.walk(cwd, followlinks=False):
        for name in (*dirs, *files):
            seen += 1
            if seen > limit:
                return f"it holds more than {limit} entries, too many to check for links"
            path = Path(root) / name
            if not path.is_symlink():
                continue
            try:
                real = path.resolve()
            except (RuntimeError, OSError):  # a loop (a -> a): nowhere to check, so refused
                return f"'{path.relative_to(cwd)}' is a link that cannot be resolved"
            if not is_within(real, cwd) or private.holds(real):
                return f"'{path.relative_to(cwd)}' is a link leading out of it"
    return None


async def _read_capped(
    stream: asyncio.StreamReader, cap: int, process: asyncio.subprocess.Process
) -> tuple[bytes, bool]:
    """Up to ``cap`` bytes; a command that writes more is stopped (its output is cut)."""
    kept = bytearray()
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return bytes(kept), False
        room = cap - len(kept)
        kept += chunk[: max(room, 0)]
        if len(chunk) > room:
            _kill_group(process)
            return bytes(kept), True


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _limits(call: ExecutorCall) -> tuple[float, int]:
    timeout = call.config.get("timeout_s", DEFAULT_TIMEOUT)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        timeout = DEFAULT_TIMEOUT
    cap = call.config.get("max_output_bytes", DEFAULT_MAX_OUTPUT)
    if not isinstance(cap, int) or cap <= 0:
        cap = DEFAULT_MAX_OUTPUT
    return min(float(timeout), call.timeout), min(cap, HARD_MAX_OUTPUT)


class ShellExecutor:
    """``shell.run``: one allow-listed command, confined to its working folder."""

    kind: ClassVar[str] = "shell"
    actions: ClassVar[Mapping[str, ActionSpec]] = ACTIONS["shell"]

    def config_problems(self, config: Mapping[str, Any], private: PrivateZone) -> list[str]:
        problems = []
        folder = config.get("working_dir")
        if isinstance(folder, str) and folder and private.exposed_by(Path(folder).expanduser()):
            problems.append(f"config.working_dir '{folder}' is, or holds, the platform's data "
                            "dir; no resource may reach it")
        if config.get("confine_paths", True) is False:
            problems.append("config.confine_paths false is no longer honoured: arguments are "
                            "always confined to the working folder; remove it")
        return problems

    async def run(self, call: ExecutorCall) -> Any:
        command = call.params.get("command")
        if not isinstance(command, str) or not command:
            raise ToolFailure("command must be a command name")
        allowed = _allowed(call.config)
        if "/" in command or "\\" in command:
            raise ToolFailure(f"give a command name, not a path: '{command}'")
        if command not in allowed:
            raise ToolFailure(
                f"command '{command}' is not allowed on {call.resource_id}; allowed: "
                f"{', '.join(allowed) or 'none'}"
            )
        program = shutil.which(command, path=SAFE_PATH)
        if program is None:
            raise ToolFailure(f"command '{command}' is not installed")
        problems = self.config_problems(call.config, call.private)
        if problems:
            raise ToolFailure("; ".join(problems))
        args = _args(call)
        configured = call.config.get("working_dir")
        if isinstance(configured, str) and configured:
            cwd = Path(configured).expanduser()
            if not cwd.is_dir():
                raise ToolFailure(f"the working folder of {call.resource_id} does not exist")
            return await self._run(call, command, program, args, cwd.resolve())
        # no folder configured: a fresh empty one, so there is nothing around to reach
        with tempfile.TemporaryDirectory(prefix="monstrum-shell-") as scratch:
            return await self._run(call, command, program, args, Path(scratch).resolve())

    async def _run(
        self, call: ExecutorCall, command: str, program: str, args: list[str], cwd: Path
    ) -> Any:
        try:
            # in a thread: a folder on a slow disk, or many long arguments, must not hold
            # up every other request
            await asyncio.to_thread(check_confined, args, cwd, call.private)
        except ToolFailure as refused:  # confinement: a denial, audited as one
            raise call.refuse(refused.message) from None
        landlock = landlock_abi() > 0
        if not landlock:
            # no kernel layer: a program that follows links by itself (grep -R, cp -rL)
            # would read through them, so such a folder is not used at all
            why = await asyncio.to_thread(links_leading_out, cwd, call.private)
            if why is not None:
                raise call.refuse(
                    f"the working folder cannot be used without the kernel sandbox "
                    f"(Landlock, not on this machine): {why}"
                )
        timeout, cap = _limits(call)
        env = {"PATH": SAFE_PATH, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(cwd)}
        argv = [program, *args]
        sandbox = "none"
        if landlock:
            argv = confined_command(program, args, cwd, env)
            sandbox = "landlock"
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(cwd),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group, so a timeout kills its children
        )
        assert process.stdout is not None and process.stderr is not None
        gather = asyncio.gather(
            _read_capped(process.stdout, cap, process),
            _read_capped(process.stderr, cap, process),
            process.wait(),
        )
        try:
            (out, out_cut), (err, err_cut), code = await asyncio.wait_for(gather, timeout)
        except asyncio.TimeoutError:
            _kill_group(process)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), 5)
            raise ToolFailure(f"command '{command}' timed out after {timeout:g}s") from None
        finally:
            if process.returncode is None:
                _kill_group(process)
        data: dict[str, Any] = {
            "command": command,
            "args": args,
            "exit_code": code,
            "stdout": out.decode("utf-8", errors="replace"),
            "stderr": err.decode("utf-8", errors="replace"),
            "truncated": out_cut or err_cut,
            "sandbox": sandbox,
        }
        if out_cut or err_cut:
            data["exit_code"] = None
            data["note"] = f"output passed {cap} bytes; the command was stopped there"
            return data
        if code != 0:
            detail = data["stderr"].strip()
            raise ToolFailure(
                f"command '{command}' exited with code {code}" + (f": {detail}" if detail else ""),
                data,
            )
        return data

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
