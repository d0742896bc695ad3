"""What the Audit screen asks for: its filters, their one-line summary, the SDK's arguments,
and the same filters as a query line (``bot:ops-runner res:res_demo_shell since:1h deploy``).

Relative times (``last 1h``, any ``since:90m``) stay relative: they are turned into a
concrete ``start_time`` each time a view is loaded, so a filter remembered for the
session still means "the last hour" when the user comes back to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from ..client.models import AUDIT_STATUSES
from .query import Query, QueryKey, QuerySyntax, parse_duration

#: time presets: name -> how far back (None: no lower bound; "custom": the start/end fields)
TIME_PRESETS: dict[str, timedelta | None] = {
    "all": None,
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "custom": None,
}
STATUSES = AUDIT_STATUSES

#: the Audit screen's query line: each key is one of the filters below
AUDIT_SYNTAX = QuerySyntax(
    keys=(
        QueryKey("bot", "the bot's name or id"),
        QueryKey("res", "the resource's id or name", aliases=("resource",)),
        QueryKey("tool", "the tool's name"),
        QueryKey("status", ", ".join(STATUSES), choices=STATUSES),
        QueryKey("task", "a task id"),
        QueryKey("since", "within the last 15m, 1h, 24h, 7d (a bare 1h works too)",
                 duration=True),
        QueryKey("from", "from an ISO 8601 time"),
        QueryKey("to", "until an ISO 8601 time"),
    ),
    text_help="text in params or reason",
)


#: shortest free text the screen searches for: the server's text index works on
#: trigrams, so 1-2 characters would scan the whole log
MIN_TEXT = 3


class BadFilter(ValueError):
    """A filter value that cannot be used; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BadTimeRange(BadFilter):
    """A custom range that cannot be used; the message names the field and the value."""


def parse_iso_time(field: str, value: str) -> datetime:
    """An ISO 8601 time (``Z`` allowed; no zone means UTC), or BadTimeRange naming it."""
    raw = value.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise BadTimeRange(
            field, f"{field}: not an ISO 8601 time: {value.strip()!r} (e.g. 2026-02-01T00:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def iso_z(value: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, as the API documents it."""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditQuery:
    """The Audit screen's filters. Ids filter; labels (names) are only for display."""

    bot_id: str | None = None
    bot_label: str | None = None
    resource_id: str | None = None
    resource_label: str | None = None
    tool_name: str | None = None
    status: str | None = None
    task_id: str | None = None
    time_preset: str = "all"
    start: str = ""
    end: str = ""
    q: str | None = None

    def __post_init__(self) -> None:
        if self.time_preset not in TIME_PRESETS and parse_duration(self.time_preset) is None:
            raise ValueError(f"unknown time preset {self.time_preset!r}")
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")

    def checked(self) -> AuditQuery:
        """This query if its custom range and text are usable; else BadFilter naming the
        bad value (BadTimeRange for the range)."""
        if self.q is not None and len(self.q.strip()) < MIN_TEXT:
            raise BadFilter(
                "q", f"text: at least {MIN_TEXT} characters ({self.q.strip()!r} is too short "
                "for the search index; it would scan every entry)",
            )
        if self.time_preset == "custom":
            start = parse_iso_time("start", self.start) if self.start.strip() else None
            end = parse_iso_time("end", self.end) if self.end.strip() else None
            if start is not None and end is not None and end <= start:
                raise BadTimeRange(
                    "end", f"end: {self.end.strip()!r} is not after start {self.start.strip()!r}"
                )
        return self

    def time_bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """The concrete (start inclusive, end exclusive) for a load happening at ``now``."""
        if self.time_preset == "custom":
            self.checked()
            start = parse_iso_time("start", self.start) if self.start.strip() else None
            end = parse_iso_time("end", self.end) if self.end.strip() else None
            return start, end
        back = TIME_PRESETS.get(self.time_preset) or parse_duration(self.time_preset)
        return (now - back if back is not None else None), None

    def sdk_params(self, now: datetime | None = None) -> dict[str, Any]:
        """Keyword arguments for ``client.audit.list`` (times made concrete at ``now``)."""
        start, end = self.time_bounds(now or datetime.now(timezone.utc))
        params: dict[str, Any] = {
            "bot_id": self.bot_id,
            "resource_id": self.resource_id,
            "tool_name": self.tool_name,
            "status": self.status,
            "task_id": self.task_id,
            "start_time": iso_z(start) if start else None,
            "end_time": iso_z(end) if end else None,
            "q": self.q,
        }
        return {k: v for k, v in params.items() if v is not None}

    def summary(self) -> str:
        """One line, e.g. ``bot=deploy-bot status=denied last 24h q="prod"``."""
        parts: list[str] = []
        if self.bot_id:
            parts.append(f"bot={self.bot_label or self.bot_id}")
        if self.resource_id:
            parts.append(f"resource={self.resource_label or self.resource_id}")
        if self.tool_name:
            parts.append(f"tool={self.tool_name}")
        if self.status:
            parts.append(f"status={self.status}")
        if self.task_id:
            parts.append(f"task={self.task_id}")
        if self.time_preset == "custom":
            start, end = self.start.strip(), self.end.strip()
            if start and end:
                parts.append(f"from {start} to {end}")
            elif start:
                parts.append(f"since {start}")
            elif end:
                parts.append(f"before {end}")
        elif self.time_preset != "all":
            parts.append(f"last {self.time_preset}")
        if self.q:
            escaped = self.q.replace('"', '\\"')
            parts.append(f'q="{escaped}"')
        return " ".join(parts) if parts else "all entries"

    @property
    def is_empty(self) -> bool:
        return self == AuditQuery()

    def with_changes(self, **changes: Any) -> AuditQuery:
        return replace(self, **changes)


def line_query(query: AuditQuery) -> tuple[Query, dict[str, str]]:
    """The filters as a query line, and how its chips name things (``res`` by its name)."""
    terms: dict[str, str] = {}
    labels: dict[str, str] = {}
    if query.bot_id:
        terms["bot"] = query.bot_label or query.bot_id
    if query.resource_id:
        terms["res"] = query.resource_id
        if query.resource_label:
            labels["res"] = query.resource_label
    for key, value in (("tool", query.tool_name), ("status", query.status),
                       ("task", query.task_id)):
        if value:
            terms[key] = value
    if query.time_preset == "custom":
        if query.start.strip():
            terms["from"] = query.start.strip()
        if query.end.strip():
            terms["to"] = query.end.strip()
    elif query.time_preset != "all":
        terms["since"] = query.time_preset
    words = tuple(query.q.split()) if query.q else ()
    return Query(terms, words), labels
