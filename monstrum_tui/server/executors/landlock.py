"""Kernel confinement for the shell executor: is Landlock here, and the command that uses it.

Landlock (Linux 5.13+) lets an unprivileged process give up access to the filesystem
outside the folders it names, and (ABI 4+) to TCP. The shell executor runs each
command through ``sandbox_exec.py``, so a program can only write in its working folder
and only read it and the system's read-only folders: whatever text its arguments hold,
it cannot open the platform's data dir, ``/etc/hostname`` or another user's home.
"""

from __future__ import annotations

import ctypes
import functools
import json
import sys
from pathlib import Path

_SYS_CREATE = 444
_CREATE_VERSION = 1 << 0
SANDBOX_SCRIPT = Path(__file__).with_name("sandbox_exec.py")

#: what every confined program may read (and run): the system, not the users' files
SYSTEM_READ = (
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
    "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/alternatives",
    "/dev/null", "/dev/zero", "/dev/urandom",
)
#: devices a program may write to
SYSTEM_WRITE = ("/dev/null",)


@functools.lru_cache(maxsize=1)
def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when it has none (or refuses it here)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        version = libc.syscall(_SYS_CREATE, None, ctypes.c_size_t(0),
                               ctypes.c_uint32(_CREATE_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def confined_command(program: str, args: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """The argv that runs ``program`` under Landlock in ``cwd`` (read-write), or raises
    ``RuntimeError`` when the kernel has no Landlock."""
    abi = landlock_abi()
    if abi <= 0:
        raise RuntimeError("this kernel has no Landlock")
    spec = {"cwd": str(cwd), "read": list(SYSTEM_READ), "write": [str(cwd), *SYSTEM_WRITE],
            "abi": abi, "env": env}
    return [sys.executable, "-I", "-S", str(SANDBOX_SCRIPT), json.dumps(spec), "--",
            program, *args]
