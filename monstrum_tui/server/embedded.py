"""The local platform: the server the dashboard and the CLI use when nothing is configured.

It runs in a process of its own on a private Unix socket, and outlives whoever started
it while it has work, so a task never dies because a dashboard quit or an SSH session
dropped. Three files in the data dir (all 0600) tie it together:

- ``local-platform.json``: the running server's pid and socket, written by the server
  once it listens and removed when it leaves; this is how clients find it;
- ``local-platform.clients``: every attached client (a dashboard, a CLI command)
  holds a shared ``flock`` on it, released when the client exits however it exits;
- ``local-platform.lock``: held while a client finds or starts the server, and while
  the server decides to leave, so neither sees the other half-way.

The server stops itself once no client is attached and no task is queued or running,
continuously for ``MONSTRUM_LOCAL_IDLE_EXIT`` seconds (default 10).

This is the one module of the server that the UI imports. It imports nothing heavy,
so the dashboard does not pay for FastAPI at start-up.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .datadir import prepare_data_dir, read_admin_key, write_private
from .settings import default_data_dir

if TYPE_CHECKING:
    from ..client.config import ClientSettings

# AF_UNIX paths are limited to ~108 bytes
_MAX_SOCKET_PATH = 100
PRESENCE_FILE = "local-platform.json"
CLIENTS_FILE = "local-platform.clients"
LAUNCH_LOCK_FILE = "local-platform.lock"
IDLE_EXIT_ENV = "MONSTRUM_LOCAL_IDLE_EXIT"
DEFAULT_IDLE_EXIT = 10.0
#: the prefix of a private folder made for the socket when the data dir's path is too long
_TMP_PREFIX = "monstrum-"


class EmbeddedStartError(RuntimeError):
    """The local platform did not come up; the message says why and where the log is."""


@dataclass
class EmbeddedPlatform:
    """This process's attachment to the local platform: its socket, admin key and pid.

    While attached, the platform does not stop; ``detach()`` (or this process ending)
    lets it stop once its tasks are done.
    """

    uds: str
    api_key: str
    data_dir: Path
    pid: int
    #: the server process, when this process started it (else another client did)
    process: subprocess.Popen[bytes] | None = None
    _attachment: int | None = field(default=None, repr=False)

    @property
    def owned(self) -> bool:
        """Whether this process started the server."""
        return self.process is not None

    def exited(self) -> bool:
        """Whether the server process is gone."""
        if self.process is not None:
            return self.process.poll() is not None
        return not pid_alive(self.pid)

    def client_settings(self, profile: str = "local") -> ClientSettings:
        """Client settings for its socket and admin key."""
        from ..client.config import ClientSettings

        return ClientSettings(
            api_key=self.api_key, api_base=f"unix:{self.uds}", profile=profile, uds=self.uds
        )

    def detach(self) -> None:
        """Stop holding the platform up (idempotent); its tasks keep running."""
        fd, self._attachment = self._attachment, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


# --- the files ---------------------------------------------------------------------


def _private_fd(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


@contextlib.contextmanager
def launch_lock(data_dir: Path) -> Iterator[None]:
    """Held while finding or starting the server, or while the server leaves."""
    fd = _private_fd(data_dir / LAUNCH_LOCK_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def attach(data_dir: Path) -> int:
    """A shared lock on the clients file, held until the returned fd is closed."""
    fd = _private_fd(data_dir / CLIENTS_FILE)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def clients_attached(data_dir: Path) -> bool:
    """Whether some process holds the platform up (a dashboard or a CLI command)."""
    fd = _private_fd(data_dir / CLIENTS_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the probe's lock
    return False


def read_presence(data_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((data_dir / PRESENCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
        return None
    if not isinstance(data.get("uds"), str):
        return None
    return data


def write_presence(data_dir: Path, pid: int, uds: str) -> None:
    """The server says where it listens (once it does)."""
    write_private(data_dir / PRESENCE_FILE, json.dumps({"pid": pid, "uds": uds}) + "\n")


def _remove_socket(uds: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(uds)
    folder = os.path.dirname(uds)
    if os.path.basename(folder).startswith(_TMP_PREFIX) and \
            os.path.dirname(folder) == tempfile.gettempdir():
        shutil.rmtree(folder, ignore_errors=True)


def retire(data_dir: Path, pid: int, *, unless: Callable[[], bool] | None = None) -> bool:
    """The server with ``pid`` leaves: removes its presence file and socket, unless
    ``unless()`` (checked under the launch lock) says it is still needed. Idempotent."""
    with launch_lock(data_dir):
        if unless is not None and unless():
            return False
        presence = read_presence(data_dir)
        if presence is not None and presence["pid"] == pid:
            (data_dir / PRESENCE_FILE).unlink(missing_ok=True)
            _remove_socket(presence["uds"])
        return True


def idle_exit_seconds() -> float:
    """``MONSTRUM_LOCAL_IDLE_EXIT``, or the default; a bad value is the default."""
    try:
        value = float(os.environ.get(IDLE_EXIT_ENV, DEFAULT_IDLE_EXIT))
    except ValueError:
        return DEFAULT_IDLE_EXIT
    return value if value >= 0 else DEFAULT_IDLE_EXIT


# --- finding or starting it ------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process: alive
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            # "pid (comm) state ...": comm may hold spaces and parentheses
            return f.read().rpartition(")")[2].split()[:1] != ["Z"]
    except OSError:  # no /proc (macOS): kill(0) is all there is
        return True


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


def _socket_path(data_dir: Path) -> str:
    path = str(data_dir / "monstrum.sock")
    if len(path) <= _MAX_SOCKET_PATH:
        return path
    tmp = tempfile.mkdtemp(prefix=_TMP_PREFIX)  # mode 0700
    return os.path.join(tmp, "monstrum.sock")


def _running(data_dir: Path) -> tuple[int, str] | None:
    """The pid and socket of the server the presence file names, if it answers."""
    presence = read_presence(data_dir)
    if presence is None:
        return None
    pid, uds = presence["pid"], presence["uds"]
    if pid_alive(pid) and _answers(uds):
        return pid, uds
    return None


def _clear_stale(data_dir: Path) -> None:
    """What a server that died left behind: its presence file and socket."""
    presence = read_presence(data_dir)
    if presence is not None:
        _remove_socket(presence["uds"])
    (data_dir / PRESENCE_FILE).unlink(missing_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(data_dir / "monstrum.sock")


def start_embedded_platform(
    data_dir: Path | None = None, *, seed_demo: bool = True, timeout: float = 30.0
) -> EmbeddedPlatform:
    """Attach to the data dir's local platform, starting it first if it is not running.

    Blocking (call it from a thread in an event loop).
    """
    data_dir = prepare_data_dir(Path(data_dir or default_data_dir()))
    # attached before looking: a server found idle cannot leave under us
    attachment = attach(data_dir)
    try:
        with launch_lock(data_dir):
            running = _running(data_dir)
            key = read_admin_key(data_dir)
            if running is not None and key:
                pid, uds = running
                return EmbeddedPlatform(uds, key, data_dir, pid, None, attachment)
            _clear_stale(data_dir)
            process, uds = _spawn(data_dir, seed_demo)
            pid, key = _wait_until_up(data_dir, process, uds, timeout)
            return EmbeddedPlatform(uds, key, data_dir, pid, process, attachment)
    except BaseException:
        os.close(attachment)
        raise


def _spawn(data_dir: Path, seed_demo: bool) -> tuple[subprocess.Popen[bytes], str]:
    uds = _socket_path(data_dir)
    cmd = [
        sys.executable, "-m", "monstrum_tui.server",
        "--data-dir", str(data_dir), "--uds", uds,
        "--idle-exit", str(idle_exit_seconds()),
    ]
    if seed_demo:
        cmd.append("--seed-demo")
    # 0600 like everything in the data dir; the server process itself runs with umask 077
    log_fd = os.open(data_dir / "server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(log_fd, "ab") as log_file:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            # its own session: a Ctrl-C or a hang-up of the terminal is not its to obey
            start_new_session=True,
        )
    return process, uds


def _wait_until_up(
    data_dir: Path, process: subprocess.Popen[bytes], uds: str, timeout: float
) -> tuple[int, str]:
    log_path = data_dir / "server.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedStartError(
                f"the local platform exited with code {process.returncode}; see {log_path}"
            )
        presence = read_presence(data_dir)
        if presence is not None and presence["pid"] == process.pid and _answers(uds):
            key = read_admin_key(data_dir)
            if key:
                return process.pid, key
        time.sleep(0.05)
    process.kill()
    process.wait(5)
    raise EmbeddedStartError(
        f"the local platform did not start within {timeout:.0f}s; see {log_path}"
    )
