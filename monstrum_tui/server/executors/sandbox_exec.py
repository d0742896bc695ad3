"""Run one program confined by Landlock to a working folder (read-write) and the system's
read-only folders, with no network. Started as a script (``python -I -S sandbox_exec.py
SPEC -- PROGRAM ARGS...``) so the restriction applies to a fresh process and only to it.

SPEC is JSON: ``{"cwd": ..., "read": [paths], "write": [paths], "abi": N}``. Only the
standard library is used (``-S``: no site-packages), so it starts in a few milliseconds.
If the kernel refuses the ruleset the program is not run (exit 126): the caller asked
for confinement and must not get less.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from typing import Any

_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446  # x86_64 and aarch64 alike
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1

_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_DIR_WRITE = sum(1 << b for b in range(4, 13))  # remove dir/file, make char/dir/reg/...
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND, _NET_CONNECT = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_FILE_RIGHTS_MASK = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _handled(abi: int) -> tuple[int, int, int]:
    fs = _EXECUTE | _WRITE_FILE | _READ_FILE | _READ_DIR | _DIR_WRITE
    if abi >= 2:
        fs |= _REFER
    if abi >= 3:
        fs |= _TRUNCATE
    if abi >= 5:
        fs |= _IOCTL_DEV
    net = (_NET_BIND | _NET_CONNECT) if abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0
    return fs, net, scoped


def _fail(message: str) -> None:
    sys.stderr.write(f"sandbox: {message}\n")
    os._exit(126)


def _confine(spec: dict[str, Any]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    abi = int(spec.get("abi", 1))
    fs, net, scoped = _handled(abi)
    attr = _RulesetAttr(fs, net, scoped)
    size = ctypes.sizeof(ctypes.c_uint64) * (3 if abi >= 6 else 2 if abi >= 4 else 1)
    ruleset = libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        _fail(f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}")
    read_rights = _EXECUTE | _READ_FILE | _READ_DIR
    write_rights = fs
    for key, rights in (("read", read_rights), ("write", write_rights)):
        for path in spec.get(key, []):
            try:
                fd = os.open(str(path), os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # absent on this system (no /lib64...): nothing to allow
            allowed = rights if os.path.isdir(str(path)) else rights & _FILE_RIGHTS_MASK
            rule = _PathBeneath(allowed & fs, fd)
            if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule),
                            ctypes.c_uint32(0)) != 0:
                _fail(f"landlock_add_rule({path}) failed: {os.strerror(ctypes.get_errno())}")
            os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _fail("prctl(NO_NEW_PRIVS) failed")
    if libc.syscall(_SYS_RESTRICT, ruleset, ctypes.c_uint32(0)) != 0:
        _fail(f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}")
    os.close(ruleset)


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        _fail("usage: sandbox_exec.py SPEC -- PROGRAM [ARGS...]")
    spec = json.loads(argv[1])
    _confine(spec)
    os.chdir(str(spec["cwd"]))
    program, args = argv[3], argv[3:]
    try:
        os.execve(program, args, dict(spec.get("env") or {}))
    except OSError as exc:
        _fail(f"cannot run {program}: {exc.strerror}")


if __name__ == "__main__":
    main(sys.argv)
