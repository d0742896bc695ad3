"""Alerts: a toast (and, if asked for, the terminal bell) when a task fails or a call is
denied, whatever screen is shown.

A worker of the app polls what the server already serves: the newest failed tasks
(``tasks.list(status="failed")``) and the denied audit entries after the newest one seen
(``audit.list(status="denied", after_id=...)``, the audit tail). What was there when the
dashboard connected is not announced. A key that may not read one of them just gets no
alerts of that kind. ``[dashboard] alerts`` and ``bell`` in the config file set them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..client.errors import MonstrumError, NotFoundError, PermissionError, ValidationError
from ..client.models import AuditEntry, Task

if TYPE_CHECKING:
    from ..client.async_client import AsyncClient
    from .app import MonstrumApp

ALERT_KINDS = ("failed", "denied")
#: failed tasks and denied entries read per poll at most
PER_POLL = 50


@dataclass(frozen=True)
class AlertSettings:
    """Which alerts to raise (``kinds``), and whether to ring the terminal bell too."""

    kinds: frozenset[str] = frozenset(ALERT_KINDS)
    bell: bool = False
    #: seconds between polls
    interval: float = 3.0

    @property
    def enabled(self) -> bool:
        return bool(self.kinds)


def _short(text: str, width: int = 140) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class AlertWatcher:
    """The polling state of the alerts: what has been seen, bot names."""

    def __init__(self, app: MonstrumApp, settings: AlertSettings) -> None:
        self.app = app
        self.settings = settings
        self.kinds = set(settings.kinds)
        self.failed_seen: set[str] | None = None
        #: id of the newest denied entry seen; "" when there was none; None before the first look
        self.denied_after: str | None = None
        self.names: dict[str, str] = {}

    async def run(self) -> None:
        while self.kinds:
            client = await self.app.wait_for_client()
            try:
                if "failed" in self.kinds:
                    await self.check_failed(client)
                if "denied" in self.kinds:
                    await self.check_denied(client)
            except MonstrumError:
                pass  # the connection's own watch says what is wrong
            await asyncio.sleep(self.settings.interval)

    async def _name(self, client: AsyncClient, bot_id: str) -> str:
        if bot_id not in self.names:
            try:
                self.names[bot_id] = (await client.bots.get(bot_id)).name
            except NotFoundError:
                self.names[bot_id] = bot_id
            except MonstrumError:
                return bot_id
        return self.names[bot_id]

    async def check_failed(self, client: AsyncClient) -> None:
        try:
            page = await client.tasks.list(status="failed", limit=PER_POLL)
        except PermissionError:
            self.kinds.discard("failed")
            return
        ids = {t.id for t in page.data}
        if self.failed_seen is None:
            self.failed_seen = ids
            return
        new = [t for t in page.data if t.id not in self.failed_seen]
        self.failed_seen |= ids
        if new:
            await self.announce_failed(client, new)

    async def check_denied(self, client: AsyncClient) -> None:
        try:
            if self.denied_after is None:
                first = await client.audit.list(status="denied", page_size=1)
                self.denied_after = first.data[0].id if first.data else ""
                return
            pager = client.audit.list(status="denied", after_id=self.denied_after or None,
                                      page_size=PER_POLL)
            page = await pager
        except PermissionError:
            self.kinds.discard("denied")
            return
        except ValidationError:
            self.denied_after = None  # the entry we knew was pruned: look again
            return
        if page.data:
            self.denied_after = page.data[0].id  # newest first
            await self.announce_denied(client, page.data)

    async def announce_failed(self, client: AsyncClient, tasks: list[Task]) -> None:
        task = tasks[0]
        name = await self._name(client, task.bot_id)
        more = f" (and {len(tasks) - 1} more)" if len(tasks) > 1 else ""
        self._toast("task failed", f"{name} · {task.id}: {_short(task.error or 'failed')}{more}",
                    "error")

    async def announce_denied(self, client: AsyncClient, entries: list[AuditEntry]) -> None:
        entry = entries[-1]  # the oldest of the batch: the first thing that happened
        name = await self._name(client, entry.bot_id)
        more = f" (and {len(entries) - 1} more)" if len(entries) > 1 else ""
        self._toast("call denied", f"{name} · {entry.tool_name}: {_short(entry.reason)}{more}",
                    "warning")

    def _toast(self, title: str, message: str, severity: Any) -> None:
        self.app.notify(message, title=title, severity=severity, timeout=8, markup=False)
        if self.settings.bell:
            self.app.bell()


def parse_alert_settings(dashboard: dict[str, Any], problems: list[str]) -> AlertSettings:
    """``alerts`` (a list of failed/denied, or false) and ``bell`` from ``[dashboard]``."""
    raw = dashboard.get("alerts", list(ALERT_KINDS))
    if raw is False:
        raw = []
    if raw is True:
        raw = list(ALERT_KINDS)
    kinds: set[str] = set()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problems.append('[dashboard] alerts: expected a list such as ["failed", "denied"]')
        raw = list(ALERT_KINDS)
    for kind in raw:
        if kind in ALERT_KINDS:
            kinds.add(kind)
        else:
            problems.append(f"[dashboard] alerts: {kind!r} is not one of "
                            f"{', '.join(ALERT_KINDS)}")
    bell = dashboard.get("bell", False)
    if not isinstance(bell, bool):
        problems.append("[dashboard] bell: expected true or false")
        bell = False
    return AlertSettings(kinds=frozenset(kinds), bell=bell)
