"""``Platform``: the server's long-lived parts, built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .audit import AuditLog
from .datadir import ADMIN_KEY_FILE, prepare_data_dir, write_private
from .ratelimit import TokenBucketLimiter
from .settings import ServerSettings
from .store import Store

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

    @classmethod
    def open(cls, settings: ServerSettings) -> Platform:
        """Open the data dir and store; on first start create the admin key."""
        data_dir = prepare_data_dir(Path(settings.data_dir))
        store = Store(settings.db_url)
        limiter = TokenBucketLimiter(settings.rate_limit)
        platform = cls(
            settings=settings, store=store, limiter=limiter, audit=AuditLog(store.engine)
        )
        if store.keys.count() == 0:
            _, secret = store.keys.create("admin", ["admin"])
            write_private(data_dir / ADMIN_KEY_FILE, secret + "\n")
            platform.new_admin_key = secret
            log.info("created the admin API key in %s", data_dir / ADMIN_KEY_FILE)
        return platform

    def close(self) -> None:
        self.store.close()
