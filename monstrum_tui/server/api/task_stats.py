"""``/v1/task-stats``: the overview of many tasks (scope ``tasks:read``).

Counts per status, the tasks that ended in the last ``recent`` seconds, decided tool
calls (and denials, errors) per time bucket over the last ``window`` seconds, and for
each ``task_id`` asked for its failed calls and its last event. Only counts and event
types: nothing here shows a param, a result or a reason.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ...client.models import TaskStats
from ..auth import Principal
from ..task_stats import MAX_BUCKETS, MAX_TASK_IDS, MAX_WINDOW_S, task_stats
from .deps import PlatformDep, require
from .errors import Invalid

router = APIRouter(prefix="/v1/task-stats", tags=["tasks"])
Reader = Annotated[Principal, Depends(require("tasks:read"))]


@router.get("", response_model=TaskStats)
async def get_task_stats(
    platform: PlatformDep,
    _: Reader,
    window: int = Query(300, ge=1, le=MAX_WINDOW_S,
                        description="seconds of throughput to count, ending now"),
    buckets: int = Query(60, ge=1, le=MAX_BUCKETS,
                         description="how many equal buckets the window is cut into"),
    recent: int = Query(3600, ge=1, le=MAX_WINDOW_S,
                        description="seconds back for the tasks that ended recently"),
    task_id: Annotated[list[str] | None, Query(
        description=f"tasks to summarise (repeat; at most {MAX_TASK_IDS})")] = None,
) -> TaskStats:
    """Tasks per status, recent endings, throughput, and summaries of the given tasks."""
    ids = task_id or []
    if len(ids) > MAX_TASK_IDS:
        raise Invalid(
            f"task_id: at most {MAX_TASK_IDS} per request, not {len(ids)}",
            fields=[{"field": "task_id", "message": f"at most {MAX_TASK_IDS}"}],
        )
    if buckets > window:
        raise Invalid(
            f"buckets ({buckets}) must not exceed window ({window} seconds): a bucket is at "
            "least a second",
            fields=[{"field": "buckets", "message": "more buckets than seconds"}],
        )
    return await asyncio.to_thread(
        task_stats, platform, window_s=window, buckets=buckets, recent_s=recent, task_ids=ids
    )
