"""The overview of many tasks: counts by status, throughput, and per-task summaries.

Read-only queries over the task tables and the audit log: tasks per status (an index
scan of ``ix_tasks_status``), tasks that ended in a recent window, decided tool calls
per time bucket (a range of ``ix_audit_ts``), and for a page of tasks their failed
calls (``ix_audit_task``) and last event (the primary key of ``task_events``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, select

from ..client.models import TASK_STATUSES, TaskStats, TaskSummary, Throughput
from .audit.tables import audit_log
from .platform import Platform
from .store.columns import to_micros
from .store.schema import task_events, tasks

#: the largest window and the most buckets a caller may ask for
MAX_WINDOW_S = 24 * 3600
MAX_BUCKETS = 240
#: task ids a caller may ask summaries for in one request
MAX_TASK_IDS = 500


def _counts(conn: object, since: datetime) -> tuple[dict[str, int], dict[str, int]]:
    by_status = {status: 0 for status in TASK_STATUSES}
    rows = conn.execute(  # type: ignore[attr-defined]
        select(tasks.c.status, func.count()).group_by(tasks.c.status)
    ).all()
    for status, count in rows:
        by_status[str(status)] = int(count)
    recent = {status: 0 for status in TASK_STATUSES}
    rows = conn.execute(  # type: ignore[attr-defined]
        select(tasks.c.status, func.count())
        .where(tasks.c.finished_at >= since)
        .group_by(tasks.c.status)
    ).all()
    for status, count in rows:
        recent[str(status)] = int(count)
    return by_status, recent


def _throughput(conn: object, start: datetime, bucket_s: int, buckets: int) -> Throughput:
    calls, denials, errors = [0] * buckets, [0] * buckets, [0] * buckets
    start_us = to_micros(start)
    width_us = bucket_s * 1_000_000
    bucket = ((audit_log.c.ts - start_us) // width_us).label("bucket")
    rows = conn.execute(  # type: ignore[attr-defined]
        select(bucket, audit_log.c.status, func.count())
        .where(audit_log.c.ts >= start_us)
        .group_by(bucket, audit_log.c.status)
    ).all()
    for index, status, count in rows:
        i = int(index)
        if not 0 <= i < buckets:
            continue  # a clock step: an entry stamped after "now"
        calls[i] += int(count)
        if status == "denied":
            denials[i] += int(count)
        elif status == "error":
            errors[i] += int(count)
    return Throughput(start=start, bucket_seconds=bucket_s, calls=calls, denials=denials,
                      errors=errors)


def _summaries(task_conn: object, audit_conn: object, task_ids: Sequence[str]
               ) -> list[TaskSummary]:
    if not task_ids:
        return []
    errors: dict[str, int] = {}
    rows = audit_conn.execute(  # type: ignore[attr-defined]
        select(audit_log.c.task_id, func.count())
        .where(audit_log.c.task_id.in_(task_ids), audit_log.c.status == "error")
        .group_by(audit_log.c.task_id)
    ).all()
    for task_id, count in rows:
        errors[str(task_id)] = int(count)
    newest = (
        select(task_events.c.task_id, func.max(task_events.c.seq).label("seq"))
        .where(task_events.c.task_id.in_(task_ids))
        .group_by(task_events.c.task_id)
        .subquery()
    )
    last = {
        row.task_id: row
        for row in task_conn.execute(  # type: ignore[attr-defined]
            select(task_events.c.task_id, task_events.c.type, task_events.c.timestamp,
                   task_events.c.payload)
            .join(newest, and_(task_events.c.task_id == newest.c.task_id,
                               task_events.c.seq == newest.c.seq))
        ).all()
    }
    out = []
    for task_id in dict.fromkeys(task_ids):
        row = last.get(task_id)
        payload = row.payload if row is not None and isinstance(row.payload, dict) else {}
        tool = payload.get("tool_name")
        out.append(TaskSummary(
            task_id=task_id,
            errors=errors.get(task_id, 0),
            last_event_type=row.type if row is not None else None,
            last_event_at=row.timestamp if row is not None else None,
            last_event_tool=str(tool) if tool else None,
        ))
    return out


def task_stats(
    platform: Platform,
    *,
    window_s: int = 300,
    buckets: int = 60,
    recent_s: int = 3600,
    task_ids: Sequence[str] = (),
    now: datetime | None = None,
) -> TaskStats:
    """The overview at ``now``: the caller has checked the bounds (see the route)."""
    now = now or datetime.now(timezone.utc)
    bucket_s = max(1, window_s // buckets)
    start = now - timedelta(seconds=bucket_s * buckets)
    with platform.store.read() as conn:
        counts, recent = _counts(conn, now - timedelta(seconds=recent_s))
        with platform.audit.engine.connect() as audit_conn:
            throughput = _throughput(audit_conn, start, bucket_s, buckets)
            summaries = _summaries(conn, audit_conn, list(task_ids))
    return TaskStats(
        generated_at=now, counts=counts, recent_seconds=recent_s, recent=recent,
        throughput=throughput, tasks=summaries,
    )
