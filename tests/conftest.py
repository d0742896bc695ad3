"""Shared fixtures: a real server on a local socket, and isolation from the user's setup."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.serverproc import ServerProcess


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep a developer's own config, keys and data out of every test."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(("MONSTRUM_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MONSTRUM_CONFIG", str(home / ".monstrum" / "config.toml"))
    monkeypatch.setenv("MONSTRUM_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real platform for the session (rate limit off); tests make uniquely named objects."""
    data_dir = tmp_path_factory.mktemp("server") / "data"
    proc = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start()
    yield proc
    proc.stop()


@pytest.fixture
def admin_key(server: ServerProcess) -> str:
    return server.admin_key


@pytest.fixture
def client(server: ServerProcess, admin_key: str) -> Iterator[object]:
    """A sync SDK client with the admin key."""
    import monstrum

    c = monstrum.Client(api_key=admin_key, api_base=server.url)
    yield c
    c.close()


@pytest.fixture
async def aclient(server: ServerProcess, admin_key: str):
    """An async SDK client with the admin key."""
    import monstrum

    c = monstrum.AsyncClient(api_key=admin_key, api_base=server.url)
    yield c
    await c.aclose()


@pytest.fixture
def new_server(tmp_path: Path) -> Iterator[callable]:
    """Start extra servers (own data dir, own flags); all stopped at the end of the test."""
    started: list[ServerProcess] = []

    def start(
        *args: str, data_dir: Path | None = None,
        before_start: Callable[[ServerProcess], object] | None = None, **env: str,
    ) -> ServerProcess:
        """``before_start(proc)`` runs first, e.g. to seed the server's database."""
        proc = ServerProcess(
            data_dir=data_dir or tmp_path / f"data{len(started)}", extra_args=list(args), env=env
        )
        started.append(proc)
        if before_start is not None:
            before_start(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()
