"""Run the platform under uvicorn, on TCP or a Unix socket."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import uvicorn

from .app import create_app
from .datadir import prepare_data_dir
from .log_redaction import install_log_redaction
from .platform import Platform
from .settings import ServerSettings
from .store.migrate import startup_lock

log = logging.getLogger("monstrum.serve")


class _Server(uvicorn.Server):
    """uvicorn's server, which also exits when its parent process goes away."""

    def __init__(self, config: uvicorn.Config, parent_pid: int | None) -> None:
        super().__init__(config)
        self.parent_pid = parent_pid

    async def main_loop(self) -> None:
        if self.parent_pid is None:
            await super().main_loop()
            return
        watcher = asyncio.create_task(self._watch_parent())
        try:
            await super().main_loop()
        finally:
            watcher.cancel()

    async def _watch_parent(self) -> None:
        while not self.should_exit:
            if os.getppid() != self.parent_pid:
                log.info("parent process %s is gone; stopping", self.parent_pid)
                self.should_exit = True
                return
            await asyncio.sleep(0.5)


def run_server(
    settings: ServerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8400,
    uds: str | None = None,
    parent_pid: int | None = None,
    announce_key: bool = True,
    log_level: str = "info",
) -> None:
    """Open the platform and serve until interrupted."""
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
    _Server(config, parent_pid).run()
