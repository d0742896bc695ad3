"""Start the real platform in a child process on a free local port, for tests and benches."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.databases import database_for_server

#: under pytest-xdist each worker takes ports from its own block, below the kernel's
#: ephemeral range (32768+), so no worker, and no outgoing connection, takes a port
#: another worker's server is about to bind (a health check could then reach the wrong
#: server)
_WORKER_PORTS_FROM, _WORKER_BLOCK = 20000, 1500
_handed_out: set[int] = set()


def free_port() -> int:
    """A free local port (the kernel's pick outside xdist; the worker's block under it)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (worker.startswith("gw") and worker[2:].isdigit()):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    first = _WORKER_PORTS_FROM + int(worker[2:]) % 8 * _WORKER_BLOCK
    for port in random.sample(range(first, first + _WORKER_BLOCK), _WORKER_BLOCK):
        if port in _handed_out:  # given to a server that may not have bound it yet
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free local port in {first}-{first + _WORKER_BLOCK - 1}")


@dataclass
class ServerProcess:
    """``monstrum serve`` in a child process; ``start()``/``stop()`` can be repeated."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    #: the store's URL; by default SQLite in the data dir, or a fresh PostgreSQL
    #: database when the suite runs on PostgreSQL (tests/databases.py). Kept across
    #: restarts.
    database_url: str | None = None

    def __post_init__(self) -> None:
        if self.database_url is None:
            self.database_url = database_for_server()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        """The URL of the database this server uses (what tests open to seed or tamper)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'monstrum.db'}"

    @property
    def on_postgresql(self) -> bool:
        return self.db_url.startswith("postgresql")

    @property
    def admin_key(self) -> str:
        return (self.data_dir / "admin.key").read_text().strip()

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "monstrum_tui.cli", "serve",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--data-dir", str(self.data_dir), "--log-level", "warning", *self.extra_args,
        ]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        env = {**os.environ, **self.env}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()}")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""
