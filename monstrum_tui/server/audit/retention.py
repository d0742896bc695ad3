"""The retention loop: prune audit entries older than the configured days, periodically."""

from __future__ import annotations

import asyncio
import logging
import os

from .log import AuditLog

log = logging.getLogger("monstrum.audit")

#: seconds between prunes (the first runs at start); MONSTRUM_AUDIT_PRUNE_INTERVAL overrides
DEFAULT_INTERVAL_S = 3600.0


def prune_interval() -> float:
    raw = os.environ.get("MONSTRUM_AUDIT_PRUNE_INTERVAL")
    try:
        return max(1.0, float(raw)) if raw else DEFAULT_INTERVAL_S
    except ValueError:
        return DEFAULT_INTERVAL_S


async def run_retention(audit: AuditLog, days: float, interval_s: float | None = None) -> None:
    """Prune now and then every ``interval_s``, off the event loop, until cancelled."""
    interval = interval_s or prune_interval()
    while True:
        try:
            await asyncio.to_thread(audit.prune_older_than, days)
        except Exception:  # a failed prune must not stop the server; the next one retries
            log.exception("audit retention: pruning failed")
        await asyncio.sleep(interval)


def start_retention(audit: AuditLog, days: int | None) -> asyncio.Task[None] | None:
    """The background task for ``--audit-retention DAYS``, or None when keeping all."""
    if days is None:
        return None
    if days < 1:  # now minus a negative age is the future: it would prune everything
        raise ValueError(f"audit retention must be at least 1 day, not {days}")
    return asyncio.create_task(run_retention(audit, days), name="audit-retention")
