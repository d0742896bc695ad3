"""``Platform``: the server's long-lived parts, built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .audit import AuditLog
from .audit.seal import load_audit_key
from .catalog import ToolCatalog
from .credentials import CredentialCipher
from .datadir import ADMIN_KEY_FILE, prepare_data_dir, write_private
from .manifests.shipped import install_builtin_integrations
from .ratelimit import TokenBucketLimiter
from .settings import ServerSettings
from .store import Store
from .store.database import make_sqlite_file_private
from .store.migrate import startup_lock

if TYPE_CHECKING:
    from .runner import TaskRunner

log = logging.getLogger("monstrum.platform")


@dataclass
class Platform:
    settings: ServerSettings
    store: Store
    limiter: TokenBucketLimiter
    #: the hash-chained log of decided tool calls (``record`` is sync and thread-safe)
    audit: AuditLog
    #: the admin key's secret, only when this start created it (printed once by `serve`)
    new_admin_key: str | None = field(default=None)
    #: runs tasks; built and started by the app's lifespan (it needs the event loop)
    runner: TaskRunner = field(default=None)  # type: ignore[assignment]
    #: encrypts resources' credentials at rest (DATA_DIR/secret.key or MONSTRUM_SECRET_KEY)
    cipher: CredentialCipher = field(default=None)  # type: ignore[assignment]
    #: the tools of every resource, and running them (server/catalog.py)
    catalog: ToolCatalog = field(default=None)  # type: ignore[assignment]

    @classmethod
    def open(cls, settings: ServerSettings) -> Platform:
        """Open the data dir and store; on first start create the admin key.

        All of it under the database's start-up lock (store/migrate.py): servers
        starting together on one database upgrade its schema, install the built-in
        integrations and create the admin key once, one after the other.
        """
        data_dir = prepare_data_dir(Path(settings.data_dir))
        make_sqlite_file_private(settings.db_url)
        with startup_lock(settings.db_url):
            store = Store(settings.db_url)
            limiter = TokenBucketLimiter(settings.rate_limit)
            platform = cls(
                settings=settings, store=store, limiter=limiter,
                audit=AuditLog(store.engine, seal_key=load_audit_key(data_dir, create=True)),
            )
            platform.cipher = CredentialCipher.for_data_dir(data_dir)
            platform.catalog = ToolCatalog(store, platform.cipher)
            install_builtin_integrations(store)
            if store.keys.count() == 0:
                _, secret = store.keys.create("admin", ["admin"])
                write_private(data_dir / ADMIN_KEY_FILE, secret + "\n")
                platform.new_admin_key = secret
                log.info("created the admin API key in %s", data_dir / ADMIN_KEY_FILE)
        return platform

    def close(self) -> None:
        self.store.close()
