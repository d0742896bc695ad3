"""``GET /v1/audit``'s page JSON: the same bytes as the entries' page, never a stale row.

Each entry's JSON is kept by its row's exact content; these check the bytes against
``Page[AuditEntry]``'s own serialisation and that a row edited in the database after
its page was served shows as edited on the next page, or is refused when invalid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text

from monstrum_tui.client.models import AuditEntry, Page
from monstrum_tui.server.audit.log import AuditLog
from monstrum_tui.server.audit.query import AuditFilter
from tests.databases import database_for_server

PAGE = TypeAdapter(Page[AuditEntry])


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[AuditLog]:
    log = AuditLog.open(database_for_server() or f"sqlite:///{tmp_path / 'a.db'}")
    for i in range(30):
        log.record(bot_id=f"bot_{i % 3}", task_id=None, resource_id="res_fs",
                   tool_name="read_file", operation="read", params={"path": f"a/{i}.md", "n": i},
                   status="success" if i % 4 else "denied", reason=f"reason ✓ {i}",
                   decision={"allowed": bool(i % 4)}, duration_ms=1.5, result_size=i)
    yield log
    log.close()


def _expected(audit: AuditLog, flt: AuditFilter, limit: int, cursor: str | None) -> bytes:
    items, next_cursor = audit.list(flt, limit, cursor)
    return PAGE.dump_json(Page[AuditEntry](data=items, next_cursor=next_cursor), by_alias=True)


def test_pages_are_the_entries_pages_byte_for_byte(audit: AuditLog) -> None:
    for flt in (AuditFilter(), AuditFilter(bot_id="bot_1"), AuditFilter(status="denied"),
                AuditFilter(q="reason")):
        cursor = None
        for _ in range(10):
            got = audit.list_json(flt, 7, cursor)
            assert got == _expected(audit, flt, 7, cursor)
            cursor = json.loads(got)["next_cursor"]
            if cursor is None:
                break
    assert audit.list_json(AuditFilter(), 100) == _expected(audit, AuditFilter(), 100, None)


def test_an_edited_row_shows_edited_on_the_next_page(audit: AuditLog) -> None:
    first = json.loads(audit.list_json(AuditFilter(), 100))["data"]
    target = first[4]["id"]
    with audit.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'rewritten' WHERE id = :id"),
                     {"id": target})
    again = {e["id"]: e for e in json.loads(audit.list_json(AuditFilter(), 100))["data"]}
    assert again[target]["reason"] == "rewritten"


def test_an_edited_invalid_row_is_refused_not_served_from_before(audit: AuditLog) -> None:
    target = json.loads(audit.list_json(AuditFilter(), 100))["data"][2]["id"]
    with audit.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET params = '[1, 2]' WHERE id = :id"),
                     {"id": target})
    with pytest.raises(ValidationError):
        audit.list_json(AuditFilter(), 100)
