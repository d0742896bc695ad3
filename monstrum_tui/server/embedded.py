"""The embedded platform: the dashboard's own server, in a child process on a private socket.

This is the one function of the server that the UI imports. It imports nothing
else from the server, so the dashboard does not pay for FastAPI at start-up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .datadir import prepare_data_dir, read_admin_key
from .settings import default_data_dir

# AF_UNIX paths are limited to ~108 bytes
_MAX_SOCKET_PATH = 100


@dataclass
class EmbeddedPlatform:
    """A running embedded platform: its socket, admin key, and process."""

    uds: str
    api_key: str
    data_dir: Path
    process: subprocess.Popen[bytes] | None
    _tmp_dir: str | None = field(default=None, repr=False)

    @property
    def owned(self) -> bool:
        """Whether this dashboard started the server (and so stops it)."""
        return self.process is not None

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.process is None:
            return  # joined another dashboard's server: it is theirs to clean up
        if self._tmp_dir:
            for name in os.listdir(self._tmp_dir):
                os.unlink(os.path.join(self._tmp_dir, name))
            os.rmdir(self._tmp_dir)
        elif os.path.exists(self.uds):
            # uvicorn leaves its socket file behind; a stale one would only be cleared
            # (after a failed connect) by the next start
            os.unlink(self.uds)


class EmbeddedStartError(RuntimeError):
    """The embedded platform did not come up; the message says why and where the log is."""


def _socket_path(data_dir: Path) -> tuple[str, str | None]:
    path = str(data_dir / "monstrum.sock")
    if len(path) <= _MAX_SOCKET_PATH:
        return path, None
    tmp = tempfile.mkdtemp(prefix="monstrum-")  # mode 0700
    return os.path.join(tmp, "monstrum.sock"), tmp


def _answers(uds: str) -> bool:
    """Whether a server is listening on the socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(0.5)
    try:
        sock.connect(uds)
        sock.sendall(b"GET /v1/health HTTP/1.0\r\n\r\n")
        return sock.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False
    finally:
        sock.close()


def start_embedded_platform(
    data_dir: Path | None = None, *, seed_demo: bool = True, timeout: float = 30.0
) -> EmbeddedPlatform:
    """Start the platform in the background (or join one already running on the same data)."""
    data_dir = prepare_data_dir(Path(data_dir or default_data_dir()))
    uds, tmp_dir = _socket_path(data_dir)
    if tmp_dir is None and os.path.exists(uds):
        if _answers(uds):
            key = read_admin_key(data_dir)
            if key:
                return EmbeddedPlatform(uds=uds, api_key=key, data_dir=data_dir, process=None)
        os.unlink(uds)  # a stale socket from a server that died
    log_path = data_dir / "server.log"
    cmd = [
        sys.executable, "-m", "monstrum_tui.server",
        "--data-dir", str(data_dir), "--uds", uds, "--parent-pid", str(os.getpid()),
    ]
    if seed_demo:
        cmd.append("--seed-demo")
    # 0600 like everything in the data dir; the server process itself runs with umask 077
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(log_fd, "ab") as log_file:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # a Ctrl-C in the dashboard is the dashboard's to handle
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedStartError(
                f"the local platform exited with code {process.returncode}; see {log_path}"
            )
        if os.path.exists(uds) and _answers(uds):
            key = read_admin_key(data_dir)
            if key:
                return EmbeddedPlatform(uds, key, data_dir, process, tmp_dir)
        time.sleep(0.05)
    process.kill()
    raise EmbeddedStartError(
        f"the local platform did not start within {timeout:.0f}s; see {log_path}"
    )
