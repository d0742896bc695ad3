"""The ``shell`` executor: run one allow-listed command, without a shell.

The command is a name from ``config.allowed_commands`` (never a path), found on a
fixed ``PATH``; arguments are passed as a list, so nothing is interpreted by a
shell. It runs in ``config.working_dir`` with an empty environment (the server's
variables, API keys included, are not inherited), a timeout and an output cap. With
``config.confine_paths`` (default true), arguments that are absolute paths, contain
``..``, or are links leading out of the working folder are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from .call import ExecutorCall, ToolFailure

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_OUTPUT = 64 * 1024
HARD_MAX_OUTPUT = 1024 * 1024


def _allowed(call: ExecutorCall) -> list[str]:
    allowed = call.config.get("allowed_commands")
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


def _working_dir(call: ExecutorCall) -> Path:
    configured = call.config.get("working_dir")
    if isinstance(configured, str) and configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise ToolFailure(f"the working folder of {call.resource_id} does not exist")
        return path.resolve()
    return Path(tempfile.gettempdir()).resolve()


def _check_confined(args: list[str], cwd: Path) -> None:
    """Refuse arguments that name places outside the working folder."""
    for arg in args:
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if arg.startswith("-") and value is arg:
            continue
        pure = PurePosixPath(value)
        if pure.is_absolute() or value.startswith("~"):
            raise ToolFailure(f"argument '{arg}' is an absolute path; paths must be relative")
        if ".." in pure.parts:
            raise ToolFailure(f"argument '{arg}' contains '..'; paths must stay inside the folder")
        candidate = cwd / pure
        if candidate.exists() or candidate.is_symlink():
            real = candidate.resolve()
            if real != cwd and cwd not in real.parents:
                raise ToolFailure(f"argument '{arg}' leads outside the working folder")


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


async def run_command(call: ExecutorCall) -> Any:
    command = call.params.get("command")
    if not isinstance(command, str) or not command:
        raise ToolFailure("command must be a command name")
    allowed = _allowed(call)
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
    args = _args(call)
    cwd = _working_dir(call)
    if call.config.get("confine_paths", True) is not False:
        _check_confined(args, cwd)
    timeout = call.config.get("timeout_s", DEFAULT_TIMEOUT)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        timeout = DEFAULT_TIMEOUT
    timeout = min(float(timeout), call.timeout)
    cap = call.config.get("max_output_bytes", DEFAULT_MAX_OUTPUT)
    if not isinstance(cap, int) or cap <= 0:
        cap = DEFAULT_MAX_OUTPUT
    cap = min(cap, HARD_MAX_OUTPUT)

    process = await asyncio.create_subprocess_exec(
        program, *args,
        cwd=str(cwd),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": SAFE_PATH, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(cwd)},
        start_new_session=True,  # its own process group, so a timeout kills its children too
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
    data = {
        "command": command,
        "args": args,
        "exit_code": code,
        "stdout": out.decode("utf-8", errors="replace"),
        "stderr": err.decode("utf-8", errors="replace"),
        "truncated": out_cut or err_cut,
    }
    if out_cut or err_cut:
        data["exit_code"] = None
        data["note"] = f"output passed {cap} bytes; the command was stopped there"
        return data
    if code != 0:
        detail = data["stderr"].strip()[:300]
        raise ToolFailure(
            f"command '{command}' exited with code {code}" + (f": {detail}" if detail else ""),
            data,
        )
    return data
