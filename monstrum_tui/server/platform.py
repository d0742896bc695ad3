"""``Platform``: the server's long-lived parts, built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .approvals import ApprovalGate
from .audit import AuditLog
from .audit.log import audit_key_for
from .calls import ToolCalls
from .catalog import ToolCatalog
from .credentials import CredentialCipher
from .datadir import ADMIN_KEY_FILE, prepare_data_dir, write_private
from .executors.confinement import private_zone
from .executors.registry import ExecutorRegistry
from .manifests.shipped import install_builtin_integrations
from .ratelimit import TokenBucketLimiter
from .services.events import EventService
from .services.policy import PolicyService
from .services.tasks import TaskService
from .settings import ServerSettings
from .store import Store
from .store.database import make_sqlite_file_private
from .store.migrate import startup_lock

if TYPE_CHECKING:
    from .runner import TaskRunner

log = logging.getLogger("monstrum.platform")


@dataclass
class Platform:
    """Every long-lived part, each built once with its real dependencies (``open``)."""

    settings: ServerSettings
    store: Store
    limiter: TokenBucketLimiter
    #: the hash-chained log of decided tool calls (``record`` is sync and thread-safe)
    audit: AuditLog
    #: encrypts resources' credentials at rest (DATA_DIR/secret.key or MONSTRUM_SECRET_KEY)
    cipher: CredentialCipher
    #: every executor kind, started and stopped with the platform
    executors: ExecutorRegistry
    #: the tools of every resource, and running them (server/catalog.py)
    catalog: ToolCatalog
    #: the one path of every governed tool call (server/calls.py)
    calls: ToolCalls
    #: tool calls waiting for a person (server/approvals.py)
    approvals: ApprovalGate
    #: runs tasks; started by ``start`` (it needs the event loop)
    runner: TaskRunner
    #: services the routes map onto (server/services)
    tasks: TaskService
    events: EventService
    policy: PolicyService
    #: the admin key's secret, only when this start created it (printed once by `serve`)
    new_admin_key: str | None = None

    @classmethod
    def open(cls, settings: ServerSettings) -> Platform:
        """Open the data dir and store; on first start create the admin key.

        All of it under the database's start-up lock (store/migrate.py): servers
        starting together on one database upgrade its schema, install the built-in
        integrations and create the admin key once, one after the other.
        """
        from .runner import TaskRunner

        data_dir = prepare_data_dir(Path(settings.data_dir))
        make_sqlite_file_private(settings.db_url)
        with startup_lock(settings.db_url):
            store = Store(settings.db_url, background_checkpoints=True)
            try:
                audit = AuditLog(store.engine, seal_key=audit_key_for(data_dir, store.engine),
                                 data_dir=data_dir)
            except BaseException:  # a missing audit key, a broken chain: nothing left open
                store.close()
                raise
            cipher = CredentialCipher.for_data_dir(data_dir)
            executors = ExecutorRegistry.default()
            catalog = ToolCatalog(store, cipher, executors, private_zone(data_dir))
            approvals = ApprovalGate(store, audit)
            calls = ToolCalls(store, catalog, audit, approvals)
            runner = TaskRunner(settings, store, audit, calls, approvals)
            platform = cls(
                settings=settings, store=store, limiter=TokenBucketLimiter(settings.rate_limit),
                audit=audit, cipher=cipher, executors=executors, catalog=catalog, calls=calls,
                approvals=approvals, runner=runner, tasks=TaskService(store, runner),
                events=EventService(store, runner), policy=PolicyService(calls),
            )
            install_builtin_integrations(store)
            if store.keys.count() == 0:
                _, secret = store.keys.create("admin", ["admin"])
                write_private(data_dir / ADMIN_KEY_FILE, secret + "\n")
                platform.new_admin_key = secret
                log.info("created the admin API key in %s", data_dir / ADMIN_KEY_FILE)
        return platform

    async def start(self) -> None:
        """Start what needs the event loop: the executors, then the task runner."""
        await self.executors.start()
        await self.runner.start()

    async def stop(self) -> None:
        await self.runner.stop()
        await self.executors.stop()

    def close(self) -> None:
        self.audit.close()
        self.store.close()
