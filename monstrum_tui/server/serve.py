"""Run the platform under uvicorn, on TCP or a Unix socket."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from .app import create_app
from .datadir import prepare_data_dir
from .embedded import clients_attached, retire, write_presence
from .log_redaction import install_log_redaction
from .platform import Platform
from .settings import ServerSettings
from .store.migrate import startup_lock

log = logging.getLogger("monstrum.serve")

#: seconds between the local platform's checks for clients and work
IDLE_POLL_S = 0.5


class _Server(uvicorn.Server):
    """uvicorn's server; as the local platform, it also says where it listens and
    stops itself once idle (server/embedded.py)."""

    def __init__(self, config: uvicorn.Config, local: _LocalRole | None) -> None:
        super().__init__(config)
        self.local = local

    async def main_loop(self) -> None:
        # what start-up made (modules, the app, the platform) lives as long as the server:
        # kept out of the collector's generations, each collection then walks only what
        # requests and tasks make (a busy event stream made thousands of collections
        # re-walk it)
        gc.freeze()
        if self.local is None:
            await super().main_loop()
            return
        self.local.listening()
        watcher = asyncio.create_task(self._watch_idle(self.local))
        try:
            await super().main_loop()
        finally:
            watcher.cancel()

    async def _watch_idle(self, local: _LocalRole) -> None:
        idle_since: float | None = None
        while not self.should_exit:
            await asyncio.sleep(IDLE_POLL_S)
            if not local.data_dir.is_dir():
                # its data dir (socket and presence file with it) was deleted: no client can
                # find it again and it could never retire, so it would run for ever
                self.should_exit = True
                with contextlib.suppress(Exception):  # its log file may be gone with it
                    log.warning("the data dir %s is gone; stopping", local.data_dir)
                return
            try:
                needed = await asyncio.to_thread(local.needed)
            except Exception:  # cannot tell (the database is busy...): stay, look again
                log.exception("the local platform could not check whether it is needed")
                needed = True
            if needed:
                idle_since = None
                continue
            now = time.monotonic()
            idle_since = idle_since or now
            if now - idle_since >= local.idle_exit and await asyncio.to_thread(local.leave):
                log.info("the local platform is idle with no client attached; stopping")
                self.should_exit = True
                return


@dataclass
class _LocalRole:
    """What the local platform does besides serving: announce itself, stay while needed."""

    data_dir: Path
    uds: str
    idle_exit: float
    platform: Platform
    announced: bool = False

    def listening(self) -> None:
        write_presence(self.data_dir, os.getpid(), self.uds)
        self.announced = True

    def needed(self) -> bool:
        """A client is attached, or a task is queued or running."""
        return clients_attached(self.data_dir) or self.platform.store.tasks.count_unfinished() > 0

    def leave(self) -> bool:
        """Withdraw the presence file, unless needed after all (checked under the lock)."""
        return retire(self.data_dir, os.getpid(), unless=self.needed)


def run_server(
    settings: ServerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8400,
    uds: str | None = None,
    idle_exit: float | None = None,
    announce_key: bool = True,
    log_level: str = "info",
) -> None:
    """Open the platform and serve until interrupted.

    ``idle_exit`` (with ``uds``) runs it as the local platform: it writes its presence
    file and stops itself after that many seconds with no client and no task.
    """
    # seeding too under the start-up lock: servers starting together seed once
    prepare_data_dir(Path(settings.data_dir))  # where a SQLite database and its lock go
    with startup_lock(settings.db_url):
        platform = Platform.open(settings)
        if settings.seed_demo:
            from .demo import seed_demo_workspace

            seed_demo_workspace(platform)
    if platform.new_admin_key and announce_key:
        # printed once, on the first start; afterwards it is only in the 0600 file
        print(
            f"Created the admin API key (saved to {Path(settings.data_dir) / 'admin.key'}):\n"
            f"  {platform.new_admin_key}\n",
            file=sys.stderr,
            flush=True,
        )
    app = create_app(platform=platform)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        uds=uds,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    install_log_redaction()  # after uvicorn.Config, which sets up uvicorn's log handlers
    local = None
    if idle_exit is not None:
        if uds is None:
            raise ValueError("the local platform listens on a Unix socket (uds)")
        local = _LocalRole(Path(settings.data_dir), uds, idle_exit, platform)
    try:
        _Server(config, local).run()
    finally:
        if local is not None and local.announced and local.data_dir.is_dir():
            retire(local.data_dir, os.getpid())  # stopped some other way (e.g. SIGTERM)
