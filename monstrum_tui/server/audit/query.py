"""Filtering the audit log: newest first, keyset pages, every filter on an index.

Order is chain order (``seq`` descending), which is also (timestamp, id) order
because the writer never lets either go back. Each equality filter has an index
(column, seq); a time range becomes a seq range with two probes of (ts, seq); the
cursor is the (timestamp, seq) of the last row served and becomes ``seq < n``. So a
first page and the thousandth page cost the same: one index seek, one short scan.

``q`` (text in params or reason): with a selective filter (task, tool, resource,
bot) that filter's index drives and ``q`` is a LIKE on each candidate row; otherwise,
on SQLite and for 3+ characters, the trigram full-text table drives, walked newest
first within the seq range; else (1-2 characters, or not SQLite) a LIKE scan, which
on PostgreSQL is an ILIKE that its trigram GIN indexes serve for 3+ characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, or_, select, text

from ..store.cursor import BadCursor, decode_cursor, encode_cursor
from .tables import FTS_TABLE, audit_log

_C = audit_log.c

#: the equality filters, by query parameter name
EQUALITY_FILTERS: dict[str, Any] = {
    "bot_id": _C.bot_id,
    "resource_id": _C.resource_id,
    "tool_name": _C.tool_name,
    "status": _C.status,
    "task_id": _C.task_id,
}


class UnknownAfterId(ValueError):
    """``after_id`` names no entry (never existed, or pruned)."""


@dataclass(frozen=True)
class AuditFilter:
    """What to list. Times: ``start_time`` inclusive, ``end_time`` exclusive (UTC micros).

    ``after_id`` keeps only entries newer than that entry: a live tail asks with the
    newest id it has and gets what came since, newest first.
    """

    bot_id: str | None = None
    resource_id: str | None = None
    tool_name: str | None = None
    status: str | None = None
    task_id: str | None = None
    start_us: int | None = None
    end_us: int | None = None
    q: str | None = None
    after_id: str | None = None


def _first_seq_at_or_after(conn: Connection, ts: int) -> int | None:
    return conn.execute(
        select(_C.seq).where(_C.ts >= ts).order_by(_C.ts, _C.seq).limit(1)
    ).scalar()


def _last_seq_before(conn: Connection, ts: int) -> int | None:
    return conn.execute(
        select(_C.seq).where(_C.ts < ts).order_by(_C.ts.desc(), _C.seq.desc()).limit(1)
    ).scalar()


def seq_bounds(
    conn: Connection, flt: AuditFilter, cursor: str | None
) -> tuple[int, int] | None:
    """The inclusive seq range to scan, or None when nothing can match."""
    lo, hi = 1, 2**62
    if flt.start_us is not None:
        first = _first_seq_at_or_after(conn, flt.start_us)
        if first is None:
            return None
        lo = max(lo, first)
    if flt.end_us is not None:
        last = _last_seq_before(conn, flt.end_us)
        if last is None:
            return None
        hi = min(hi, last)
    if flt.after_id is not None:
        after = conn.execute(select(_C.seq).where(_C.id == flt.after_id)).scalar()
        if after is None:
            raise UnknownAfterId(f"no audit entry {flt.after_id}")
        lo = max(lo, after + 1)
    if cursor:
        _ts, seq = decode_cursor(cursor, 2)
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise BadCursor("cursor is not valid")
        hi = min(hi, seq - 1)
    return (lo, hi) if lo <= hi else None


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: which filter's index drives a scan when several are given: the usually most
#: selective first; the others are checked on the way (from the index's trailing
#: columns where it has them). Fixed, so plans do not hinge on ANALYZE statistics.
DRIVING_ORDER = ("task_id", "tool_name", "resource_id", "bot_id", "status")
#: filters selective enough that checking ``q`` per row (LIKE) beats the text index
_ROW_DRIVEN = frozenset({"task_id", "tool_name", "resource_id", "bot_id"})


def _driver(flt: AuditFilter) -> str | None:
    return next((name for name in DRIVING_ORDER if getattr(flt, name) is not None), None)


def build_query(
    flt: AuditFilter, lo: int, hi: int, limit: int, *, fts: bool, ilike: bool = False
) -> Any:
    """The SELECT for one page (``limit + 1`` rows, to know whether more follow)."""
    driver = _driver(flt)
    if fts and flt.q is not None and len(flt.q) >= 3 and driver not in _ROW_DRIVEN:
        return _fts_query(flt, lo, hi, limit)
    conds: list[Any] = []
    for name, column in EQUALITY_FILTERS.items():
        value = getattr(flt, name)
        if value is None:
            continue
        if fts and name != driver:
            # SQLite: unary + keeps the planner off this column's index
            clause = text(f"+audit_log.{name} = :f_{name}")
            conds.append(clause.bindparams(**{f"f_{name}": value}))
        else:
            conds.append(column == value)
    # the time bounds again, exact even if a row's timestamp was tampered with
    if flt.start_us is not None:
        conds.append(_C.ts >= flt.start_us)
    if flt.end_us is not None:
        conds.append(_C.ts < flt.end_us)
    if flt.q:
        pattern = _like(flt.q)
        # ilike: PostgreSQL's LIKE is case-sensitive (SQLite's, and FTS5's trigrams, are
        # not); its trigram indexes (migration 0002) serve ILIKE
        match = "ilike" if ilike else "like"
        conds.append(or_(getattr(_C.params, match)(pattern, escape="\\"),
                         getattr(_C.reason, match)(pattern, escape="\\")))
    return (
        select(audit_log)
        .where(_C.seq >= lo, _C.seq <= hi, *conds)
        .order_by(_C.seq.desc())
        .limit(limit + 1)
    )


def _fts_query(flt: AuditFilter, lo: int, hi: int, limit: int) -> Any:
    """SQLite: the full-text table drives, its rowids newest first within the seq range,
    each joined to its row; CROSS JOIN pins that nesting for the planner."""
    where = [f"{FTS_TABLE} MATCH :q", f"{FTS_TABLE}.rowid >= :lo", f"{FTS_TABLE}.rowid <= :hi"]
    params: dict[str, Any] = {"q": _phrase(flt.q or ""), "lo": lo, "hi": hi,
                              "limit": limit + 1}
    for name in EQUALITY_FILTERS:
        value = getattr(flt, name)
        if value is not None:
            where.append(f"a.{name} = :{name}")
            params[name] = value
    if flt.start_us is not None:
        where.append("a.ts >= :start_us")
        params["start_us"] = flt.start_us
    if flt.end_us is not None:
        where.append("a.ts < :end_us")
        params["end_us"] = flt.end_us
    columns = ", ".join(f"a.{c.name}" for c in audit_log.c)
    sql = (
        f"SELECT {columns} FROM {FTS_TABLE} CROSS JOIN audit_log AS a "
        f"ON a.seq = {FTS_TABLE}.rowid WHERE {' AND '.join(where)} "
        f"ORDER BY {FTS_TABLE}.rowid DESC LIMIT :limit"
    )
    return text(sql).bindparams(**params)


def _phrase(q: str) -> str:
    """``q`` as one FTS5 phrase: with the trigram tokenizer, a substring match."""
    return '"' + q.replace('"', '""') + '"'


def list_entries(
    conn: Connection, flt: AuditFilter, limit: int, cursor: str | None, *, fts: bool
) -> tuple[Sequence[Row[Any]], str | None]:
    bounds = seq_bounds(conn, flt, cursor)
    if bounds is None:
        return [], None
    query = build_query(flt, *bounds, limit, fts=fts, ilike=conn.dialect.name == "postgresql")
    rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].ts, rows[-1].seq) if more and rows else None
    return rows, next_cursor


def parse_time(value: str) -> datetime:
    """ISO 8601 with a ``Z`` allowed; a time without a zone is UTC."""
    raw = value.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    return datetime.fromisoformat(raw)
