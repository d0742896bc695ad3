"""The audit hash chain: tampering done directly in the SQLite file is caught and named."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monstrum_tui.cli import main as cli_main
from monstrum_tui.server.audit import AuditLog
from monstrum_tui.server.audit.chain import chain_hash, outcome_hash
from monstrum_tui.server.audit.log import datetime_to_micros


def spec(i: int, **overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "bot_id": f"bot_{i % 3}",
        "task_id": f"tsk_{i // 4}",
        "resource_id": f"res_{i % 2}",
        "tool_name": f"tool_{i % 5}",
        "operation": "deploy.read",
        "params": {"cluster": f"staging-{i}", "n": i, "nested": {"b": [1, 2.5, None]}},
        "status": ("success", "error", "denied")[i % 3],
        "reason": f"reason {i}",
        "decision": {"allowed": i % 3 != 2, "check": None},
        "duration_ms": i * 1.25,
        "result_size": i * 10,
    }
    base.update(overrides)
    return base


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "monstrum.db"


def open_log(db: Path, **kwargs: object) -> AuditLog:
    db.parent.mkdir(parents=True, exist_ok=True)
    return AuditLog.open(f"sqlite:///{db}", **kwargs)  # type: ignore[arg-type]


def seeded(db: Path, n: int = 20, **kwargs: object) -> tuple[AuditLog, list[str]]:
    """A log with ``n`` entries; returns it and the ids in chain order."""
    audit = open_log(db, **kwargs)
    audit.record_many(spec(i) for i in range(n))
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_log ORDER BY seq")]
    assert len(ids) == n
    return audit, ids


def tamper(db: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    conn = sqlite3.connect(db)
    with conn:
        for sql, args in statements:
            conn.execute(sql, args)
    conn.close()


def test_record_returns_the_stored_entry_and_the_chain_verifies(db: Path) -> None:
    audit = open_log(db)
    first = audit.record(**spec(1))  # type: ignore[arg-type]
    second = audit.record(**spec(2, params={"token": "***"}, decision=None))  # type: ignore[arg-type]
    assert first.seq == 1 and second.seq == 2
    assert second.prev_hash == first.hash
    assert first.params == spec(1)["params"] and first.decision == {"allowed": True,
                                                                     "check": None}
    assert audit.get(second.id) == second
    assert second.id > first.id and second.timestamp >= first.timestamp
    result = audit.verify()
    assert result.ok and result.checked == 2 and result.head_id == second.id


def test_record_rejects_a_bad_status(db: Path) -> None:
    audit = open_log(db)
    with pytest.raises(ValueError, match="status"):
        audit.record(**spec(1, status="allowed"))  # type: ignore[arg-type]


def test_concurrent_writers_keep_one_linear_chain(db: Path) -> None:
    audit = open_log(db)
    other_process_like = open_log(db)  # a second engine on the same file

    def write(log: AuditLog, base: int) -> None:
        for i in range(40):
            log.record(**spec(base + i))  # type: ignore[arg-type]

    threads = [threading.Thread(target=write, args=(audit if t % 2 else other_process_like,
                                                     t * 100)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify()
    assert result.ok, result
    assert result.checked == 240
    with sqlite3.connect(db) as conn:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM audit_log ORDER BY seq")]
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_log ORDER BY seq")]
        stamps = [r[0] for r in conn.execute("SELECT ts FROM audit_log ORDER BY seq")]
    assert seqs == list(range(1, 241))
    assert ids == sorted(ids) and stamps == sorted(stamps)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("params", '{"cluster":"prod-1","n":7,"nested":{"b":[1,2.5,null]}}'),
        ("reason", "allowed after all"),
        ("status", "success"),
        ("bot_id", "bot_other"),
        ("ts", 1),
        ("duration_ms", 0.5),
        ("decision", None),
    ],
)
def test_an_edited_row_is_named(db: Path, column: str, value: object) -> None:
    audit, ids = seeded(db)
    if column == "status":
        value = "denied" if spec(7)["status"] != "denied" else "success"
    tamper(db, (f"UPDATE audit_log SET {column} = ? WHERE id = ?", (value, ids[7])))
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_id == ids[7]
    assert "edited" in (result.problem or "")
    assert result.checked == 7


def test_a_deleted_row_is_caught_at_the_entry_after_it(db: Path) -> None:
    audit, ids = seeded(db)
    tamper(db, ("DELETE FROM audit_log WHERE id = ?", (ids[5],)))
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_id == ids[6]
    assert "1 entry missing" in (result.problem or "") and ids[4] in (result.problem or "")


def test_deleting_the_newest_rows_is_caught(db: Path) -> None:
    audit, ids = seeded(db)
    tamper(db, ("DELETE FROM audit_log WHERE id IN (?, ?)", (ids[-1], ids[-2])))
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_id == ids[-1]
    assert "deleted from the end" in (result.problem or "")


def test_reordered_rows_are_caught(db: Path) -> None:
    audit, ids = seeded(db)
    # swap the chain positions of entries 4 and 9
    tamper(
        db,
        ("UPDATE audit_log SET seq = -1 WHERE id = ?", (ids[3],)),
        ("UPDATE audit_log SET seq = 4 WHERE id = ?", (ids[8],)),
        ("UPDATE audit_log SET seq = 9 WHERE id = ?", (ids[3],)),
    )
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_id == ids[8]  # now at position 4, where it does not belong
    assert "does not belong" in (result.problem or "")


def test_swapped_timestamps_are_caught(db: Path) -> None:
    audit, ids = seeded(db)
    with sqlite3.connect(db) as conn:
        ts3, ts4 = (conn.execute("SELECT ts FROM audit_log WHERE id = ?", (i,)).fetchone()[0]
                    for i in (ids[3], ids[4]))
    tamper(db, ("UPDATE audit_log SET ts = ? WHERE id = ?", (ts4 + 5, ids[3])))
    result = audit.verify()
    assert result.first_bad_id == ids[3] and ts3 != ts4 + 5


def _shift_up_from(db: Path, seq: int) -> None:
    conn = sqlite3.connect(db)
    with conn:
        top = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        for s in range(top, seq - 1, -1):
            conn.execute("UPDATE audit_log SET seq = seq + 1 WHERE seq = ?", (s,))
    conn.close()


def _row(db: Path, entry_id: str) -> dict[str, object]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM audit_log WHERE id = ?", (entry_id,)).fetchone())
    conn.close()
    return row


def _insert(db: Path, row: dict[str, object]) -> None:
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    tamper(db, (f"INSERT INTO audit_log ({cols}) VALUES ({marks})", tuple(row.values())))


def test_an_inserted_row_is_named(db: Path) -> None:
    audit, ids = seeded(db)
    _shift_up_from(db, 6)
    forged = dict(_row(db, ids[4]), seq=6, id="aud_forged0000000001", reason="never happened")
    _insert(db, forged)
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_id == "aud_forged0000000001"


def test_an_inserted_row_with_a_recomputed_hash_breaks_the_next_link(db: Path) -> None:
    """A forger who rehashes the row they insert still cannot make the next entry link."""
    audit, ids = seeded(db)
    _shift_up_from(db, 6)
    before = _row(db, ids[4])
    forged = dict(before, seq=6, id="aud_forged0000000002", reason="never happened",
                  prev_hash=before["hash"])
    forged["hash"] = chain_hash(str(before["hash"]), dict(forged, timestamp=forged["ts"]))
    forged["outcome_hash"] = outcome_hash(forged["hash"], forged)
    _insert(db, forged)
    # without the key, the forged row itself holds; the next entry's link does not
    result = AuditLog.open(f"sqlite:///{db}", seal_key=None, data_dir=None).verify()
    assert not result.ok
    assert result.first_bad_id == ids[5]
    assert "aud_forged0000000002" in (result.problem or "")
    # with the key, the forged outcome's missing seal names the forged row itself
    sealed = audit.verify()
    assert not sealed.ok and sealed.first_bad_id == "aud_forged0000000002"
    assert "seal" in (sealed.problem or "")


def test_a_row_appended_with_a_bad_hash_is_named(db: Path) -> None:
    audit, ids = seeded(db)
    forged = dict(_row(db, ids[-1]), seq=21, id="aud_forged0000000003")
    _insert(db, forged)
    result = audit.verify()
    assert result.first_bad_id == "aud_forged0000000003"


def test_verify_starts_at_the_newest_checkpoint(db: Path) -> None:
    audit, ids = seeded(db, 35, checkpoint_every=10)
    result = audit.verify(fast=True)
    assert result.ok and result.from_checkpoint == ids[29] and result.checked == 6
    assert audit.verify().checked == 35
    # an edit before the checkpoint is only seen by a full walk
    tamper(db, ("UPDATE audit_log SET reason = 'x' WHERE id = ?", (ids[2],)))
    assert audit.verify(fast=True).ok
    full = audit.verify()
    assert full.first_bad_id == ids[2]


def test_a_tampered_checkpoint_entry_is_caught(db: Path) -> None:
    audit, ids = seeded(db, 35, checkpoint_every=10)
    tamper(db, ("UPDATE audit_log SET reason = 'x' WHERE id = ?", (ids[29],)))
    result = audit.verify(fast=True)
    assert not result.ok and result.first_bad_id == ids[29]
    # the checkpoint also catches a rehashed rewrite of its entry during a full walk
    row = _row(db, ids[19])
    rehashed = chain_hash(str(row["prev_hash"]), dict(row, params="{}", timestamp=row["ts"]))
    tamper(db, ("UPDATE audit_log SET params = '{}', hash = ?, outcome_hash = ? WHERE id = ?",
                (rehashed, outcome_hash(rehashed, row), ids[19])))
    full = AuditLog.open(f"sqlite:///{db}", seal_key=None, data_dir=None).verify()
    assert full.first_bad_id == ids[19] and "checkpoint" in (full.problem or "")
    # with the key its outcome's seal, which binds the entry's hash, breaks first
    sealed = audit.verify()
    assert sealed.first_bad_id == ids[19] and "seal" in (sealed.problem or "")


def test_deleting_a_checkpointed_entry_is_caught(db: Path) -> None:
    audit, ids = seeded(db, 35, checkpoint_every=10)
    tamper(db, ("DELETE FROM audit_log WHERE seq >= 30", ()),
           ("UPDATE audit_head SET seq = 29, entry_id = ?, hash = (SELECT hash FROM "
            "audit_log WHERE seq = 29)", (ids[28],)))
    result = audit.verify(fast=True)
    assert not result.ok and result.first_bad_id == ids[29]


def old_then_new(n_old: int, n_new: int) -> list[dict[str, object]]:
    now = datetime.now(timezone.utc)
    old = [spec(i, timestamp=now - timedelta(days=10, minutes=n_old - i)) for i in range(n_old)]
    new = [spec(n_old + i, timestamp=now - timedelta(minutes=n_new - i)) for i in range(n_new)]
    return old + new


def test_pruning_keeps_the_chain_verifiable_from_an_anchor(db: Path) -> None:
    audit = open_log(db, checkpoint_every=8)
    audit.record_many(old_then_new(25, 10))
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_log ORDER BY seq")]
    assert audit.prune(datetime.now(timezone.utc) - timedelta(days=1)) == 25
    assert audit.count() == 10
    for full in (False, True):
        result = audit.verify(fast=not full)
        assert result.ok, result
        assert result.from_anchor == ids[24]
    assert audit.verify().checked == 10
    audit.record(**spec(99))  # type: ignore[arg-type]
    assert audit.verify().ok
    # the pruned text is gone from the search index too
    from monstrum_tui.server.audit import AuditFilter

    assert audit.list(AuditFilter(q='staging-3"'))[0] == []
    assert [e.id for e in audit.list(AuditFilter(q="staging-30"))[0]] == [ids[30]]
    with sqlite3.connect(db) as conn:
        indexed = conn.execute("SELECT count(*) FROM audit_fts WHERE audit_fts MATCH "
                               "'\"staging\"'").fetchone()[0]
    assert indexed == 11
    # deleting the first entry after the anchor is still caught
    tamper(db, ("DELETE FROM audit_log WHERE id = ?", (ids[25],)))
    result = audit.verify()
    assert not result.ok and result.first_bad_id == ids[26]


def test_a_row_put_back_before_the_anchor_is_caught(db: Path) -> None:
    audit = open_log(db)
    audit.record_many(old_then_new(5, 5))
    with sqlite3.connect(db) as conn:
        kept = [r[0] for r in conn.execute("SELECT id FROM audit_log ORDER BY seq")][5]
    audit.prune(datetime.now(timezone.utc) - timedelta(days=1))
    _insert(db, dict(_row(db, kept), seq=2, id="aud_forged0000000004"))
    result = audit.verify(fast=True)
    assert result.first_bad_id == "aud_forged0000000004" and "inserted" in (result.problem or "")


def test_pruning_in_chunks_and_an_empty_log_after_pruning(db: Path) -> None:
    audit = open_log(db)
    audit.record_many(old_then_new(30, 0))
    assert audit.prune(datetime.now(timezone.utc), chunk=7) == 30
    assert audit.count() == 0 and audit.verify().ok
    entry = audit.record(**spec(1))  # type: ignore[arg-type]
    assert entry.seq == 31
    assert audit.verify().ok


def test_seeded_timestamps_never_go_back_along_the_chain(db: Path) -> None:
    audit = open_log(db)
    now = datetime.now(timezone.utc)
    audit.record_many([spec(1, timestamp=now), spec(2, timestamp=now - timedelta(days=1))])
    with sqlite3.connect(db) as conn:
        stamps = [r[0] for r in conn.execute("SELECT ts FROM audit_log ORDER BY seq")]
    assert stamps == [datetime_to_micros(now)] * 2


def test_cli_verifies_a_data_dir_offline(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit, ids = seeded(db)
    audit.close()
    assert cli_main(["audit", "verify", "--data-dir", str(db.parent)]) == 0
    assert "ok: " in capsys.readouterr().out
    tamper(db, ("UPDATE audit_log SET params = '{}' WHERE id = ?", (ids[11],)))
    assert cli_main(["audit", "verify", "--data-dir", str(db.parent), "--full"]) == 1
    err = capsys.readouterr().err
    assert ids[11] in err and "edited" in err
    assert cli_main(["audit", "verify", "--data-dir", str(db.parent / "nope")]) == 1
    assert "no database" in capsys.readouterr().err


# --- seals: the head, checkpoints and anchors carry an HMAC with the audit key ---------


def rewrite_from(db: Path | str, seq: int, *, head: bool = True, checkpoints: bool = False,
                 **changes: object) -> None:
    """What a forger without the key does: edit the entry at ``seq``, recompute every
    hash from it to the end, and (``head``) move the head's hash, (``checkpoints``) the
    checkpoints' hashes too, so the keyless chain verifies again.

    ``db``: a SQLite file, or a database URL (test_audit_api rewrites PostgreSQL too)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db if isinstance(db, str) else f"sqlite:///{db}")
    with engine.begin() as conn:
        if changes:
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            conn.execute(text(f"UPDATE audit_log SET {sets} WHERE seq = :seq"),
                         {**changes, "seq": seq})
        rows = [dict(r._mapping) for r in conn.execute(
            text("SELECT * FROM audit_log WHERE seq >= :seq ORDER BY seq"), {"seq": seq})]
        prev = conn.execute(text("SELECT hash FROM audit_log WHERE seq = :seq"),
                            {"seq": seq - 1}).first()
        prev_hash = prev[0] if prev else "0" * 64
        for row in rows:
            row["prev_hash"] = prev_hash
            prev_hash = chain_hash(prev_hash, dict(row, timestamp=row["ts"]))
            # the outcome hash is keyless too; only its seal needs the key
            bound = outcome_hash(prev_hash, row)
            conn.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h, "
                              "outcome_hash = :o WHERE seq = :s"),
                         {"p": row["prev_hash"], "h": prev_hash, "o": bound, "s": row["seq"]})
            if checkpoints:
                conn.execute(text("UPDATE audit_checkpoints SET hash = :h WHERE seq = :s"),
                             {"h": prev_hash, "s": row["seq"]})
        if head:
            conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev_hash})
    engine.dispose()


def test_the_data_dir_gets_a_private_audit_key_and_verify_checks_seals(db: Path) -> None:
    audit, _ = seeded(db, 5)
    key_file = db.parent / "audit.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text().strip()) == 64
    result = audit.verify()
    assert result.ok and result.sealed
    with sqlite3.connect(db) as conn:
        (mac,) = conn.execute("SELECT mac FROM audit_head").fetchone()
    assert mac and len(mac) == 64


def test_a_chain_rewritten_to_the_head_without_the_key_is_caught(db: Path) -> None:
    audit, ids = seeded(db, 35, checkpoint_every=10)
    rewrite_from(db, 33, reason="allowed", status="success")
    keyless = AuditLog.open(f"sqlite:///{db}", seal_key=None, data_dir=None)
    assert keyless.verify().ok  # the keyless chain is fooled...
    assert not keyless.verify().sealed
    for full in (False, True):  # ...each outcome's seal is not: named at the first rewrite
        result = audit.verify(fast=not full)
        assert not result.ok and result.first_bad_id == ids[32], result
        assert "outcome does not carry the audit key's seal" in (result.problem or "")


def test_a_rewrite_that_also_moves_the_checkpoints_breaks_their_seal(db: Path) -> None:
    audit, ids = seeded(db, 35, checkpoint_every=10)
    rewrite_from(db, 25, checkpoints=True, params="{}")
    assert AuditLog.open(f"sqlite:///{db}", seal_key=None, data_dir=None).verify().ok
    result = audit.verify()
    assert not result.ok and result.first_bad_id == ids[24]
    assert "seal" in (result.problem or "")
    assert not audit.verify(fast=True).ok  # verify from the newest checkpoint meets its seal first
    rewrite_from(db, 5, checkpoints=True, params="{}")
    result = audit.verify()
    assert result.first_bad_id == ids[4] and "seal" in (result.problem or "")


def test_a_rewrite_without_moving_the_head_is_named_after_the_last_sealed_point(
    db: Path,
) -> None:
    audit, ids = seeded(db, 35, checkpoint_every=10)
    rewrite_from(db, 33, head=False, reason="x")
    result = audit.verify(fast=True)
    assert not result.ok and result.first_bad_id == ids[32]
    assert "seal" in (result.problem or "")


def test_cutting_the_end_back_to_a_checkpoint_and_dropping_the_head_is_caught(
    db: Path,
) -> None:
    audit, _ = seeded(db, 35, checkpoint_every=10)
    tamper(db, ("DELETE FROM audit_log WHERE seq > 30", ()), ("DELETE FROM audit_head", ()))
    result = audit.verify(fast=True)
    assert not result.ok and "no head record" in (result.problem or "")


def test_a_forged_anchor_cannot_hide_entries_deleted_from_the_start(db: Path) -> None:
    audit, ids = seeded(db, 12)
    row = _row(db, ids[4])
    tamper(db, ("DELETE FROM audit_log WHERE seq <= 5", ()),
           ("INSERT INTO audit_anchors (seq, entry_id, hash, pruned, created_at) "
            "VALUES (5, ?, ?, 5, 0)", (ids[4], row["hash"])))
    keyless = AuditLog.open(f"sqlite:///{db}", seal_key=None, data_dir=None)
    assert keyless.verify().ok
    result = audit.verify()
    assert not result.ok and result.first_bad_id == ids[5]
    assert "anchor" in (result.problem or "")


def test_pruning_seals_its_anchor(db: Path) -> None:
    audit = open_log(db, checkpoint_every=4)
    audit.record_many(old_then_new(9, 3))
    audit.prune(datetime.now(timezone.utc) - timedelta(days=1))
    for full in (False, True):
        result = audit.verify(fast=not full)
        assert result.ok and result.sealed and result.from_anchor


def test_another_key_does_not_verify_and_no_key_checks_only_the_chain(db: Path) -> None:
    seeded(db, 8)
    other = AuditLog.open(f"sqlite:///{db}", seal_key=b"not the key")
    result = other.verify(fast=True)
    assert not result.ok and "audit.key was replaced" in (result.problem or "")
    assert AuditLog.open(f"sqlite:///{db}", seal_key=None, data_dir=None).verify(fast=True).ok


def test_a_database_from_before_seals_is_sealed_once_when_opened(db: Path) -> None:
    audit, _ = seeded(db, 25, checkpoint_every=10)
    audit.close()
    # such a database also predates the schema migrations (which now add the columns)
    tamper(db, *((f"ALTER TABLE {t} DROP COLUMN mac", ())
                 for t in ("audit_head", "audit_checkpoints", "audit_anchors")),
           ("DROP TABLE alembic_version", ()))
    reopened = open_log(db, checkpoint_every=10)
    assert reopened.verify().ok and reopened.verify(fast=True).from_checkpoint
    # from then on a removed seal is a broken one
    tamper(db, ("UPDATE audit_head SET mac = NULL", ()))
    assert not open_log(db, checkpoint_every=10).verify(fast=True).ok


def test_cli_verify_catches_a_rewrite_and_says_when_seals_were_not_checked(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audit, ids = seeded(db, 6)
    audit.close()
    rewrite_from(db, 3, reason="allowed")
    assert cli_main(["audit", "verify", "--data-dir", str(db.parent)]) == 1
    assert ids[2] in capsys.readouterr().err
    # a copy elsewhere, without its key: the keyless chain passes, and the CLI says so
    copy = tmp_path / "elsewhere" / "copy.db"
    copy.parent.mkdir()
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    monkeypatch.delenv("MONSTRUM_AUDIT_KEY", raising=False)
    # without its key verify is an error, never a quiet pass...
    assert cli_main(["audit", "verify", "--database-url", f"sqlite:///{copy}"]) == 1
    assert "no audit key" in capsys.readouterr().err
    # ...unless asked to check only the keyless chain, which it then says plainly
    assert cli_main(["audit", "verify", "--keyless", "--database-url",
                     f"sqlite:///{copy}"]) == 0
    assert "seals not checked" in capsys.readouterr().out
    assert not (copy.parent / "audit.key").exists()
    # with the key given through the environment, the rewrite shows again
    monkeypatch.setenv("MONSTRUM_AUDIT_KEY", (db.parent / "audit.key").read_text().strip())
    assert cli_main(["audit", "verify", "--database-url", f"sqlite:///{copy}"]) == 1
    capsys.readouterr()


def test_a_retention_below_one_day_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """Pruning "older than now minus -3 days" would delete the whole log."""
    for days in ("-3", "0"):
        with pytest.raises(SystemExit):
            cli_main(["serve", "--audit-retention", days])
        assert "would prune the whole audit log" in capsys.readouterr().err
    from monstrum_tui.server.audit.retention import start_retention

    with pytest.raises(ValueError, match="at least 1 day"):
        start_retention(None, -1)  # type: ignore[arg-type]


def test_a_row_edited_to_the_wrong_shape_is_refused_not_served() -> None:
    """Every entry read is validated, one at a time or a page at once: a row edited in
    the database to other types is refused instead of going out with a list for params
    or a number for a decision."""
    import pydantic

    from monstrum_tui.server.audit.log import row_to_entry, rows_to_entries

    good = {"id": "aud_1", "seq": 1, "ts": 1_700_000_000_000_000, "bot_id": "bot_1",
            "task_id": None, "resource_id": None, "tool_name": "t", "operation": None,
            "params": '{"a": 1}', "status": "denied", "reason": "no", "decision": None,
            "duration_ms": None, "result_size": None, "prev_hash": "0" * 64, "hash": "1" * 64}
    assert row_to_entry(good).params == {"a": 1}
    assert [e.params for e in rows_to_entries([good, {**good, "id": "aud_2"}])] == [
        {"a": 1}, {"a": 1}]
    for column, value in (("params", '["s"]'), ("decision", "7"), ("duration_ms", "abc"),
                          ("status", "fine"), ("seq", "x")):
        with pytest.raises(pydantic.ValidationError):
            row_to_entry({**good, column: value})
        with pytest.raises(pydantic.ValidationError):
            rows_to_entries([good, {**good, column: value}, good])
