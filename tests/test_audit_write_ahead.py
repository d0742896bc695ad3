"""The write-ahead audit: entries before calls, outcomes sealed after, a chain that refuses
to be extended when its head does not hold, a witness outside the database, and a key
that is never quietly replaced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monstrum_tui.server.audit import AuditLog
from monstrum_tui.server.audit.chain import chain_hash, outcome_hash
from monstrum_tui.server.audit.log import AuditChainBroken, AuditKeyMissing
from tests.test_audit_chain import open_log, rewrite_from, spec, tamper


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "monstrum.db"


def intent(i: int = 1) -> dict[str, object]:
    full = spec(i)
    return {k: full[k] for k in ("bot_id", "task_id", "resource_id", "tool_name", "operation",
                                 "params", "decision")}


def test_an_entry_is_pending_before_its_call_and_complete_after(db: Path) -> None:
    audit = open_log(db)
    pending = audit.begin(**intent())  # type: ignore[arg-type]
    shown = audit.get(pending.id)
    assert shown is not None and shown.status == "pending" and shown.reason == ""
    result = audit.verify()
    assert result.ok and result.pending == 1
    audit.complete(pending, status="success", reason="allowed", duration_ms=1.5, result_size=9)
    done = audit.get(pending.id)
    assert done is not None and (done.status, done.duration_ms, done.result_size) == (
        "success", 1.5, 9)
    assert done.hash == shown.hash  # the chain covers what was decided, not the outcome
    result = audit.verify()
    assert result.ok and result.pending == 0
    with pytest.raises(ValueError, match="not pending"):  # an outcome is written once
        audit.complete(pending, status="error", reason="rewritten")


def test_a_search_finds_the_outcome_reason_once_it_is_known(db: Path) -> None:
    from monstrum_tui.server.audit import AuditFilter

    audit = open_log(db)
    pending = audit.begin(**intent())  # type: ignore[arg-type]
    audit.complete(pending, status="error", reason="upstream said quokka-overflow")
    found, _ = audit.list(AuditFilter(q="quokka-overflow"))
    assert [e.id for e in found] == [pending.id]


def test_pending_entries_of_stopped_tasks_become_unknown(db: Path) -> None:
    audit = open_log(db)
    first = audit.begin(**dict(intent(1), task_id="tsk_dead"))  # type: ignore[arg-type]
    other = audit.begin(**dict(intent(2), task_id="tsk_alive"))  # type: ignore[arg-type]
    assert audit.resolve_pending(["tsk_dead"]) == 1
    dead = audit.get(first.id)
    assert dead is not None and dead.status == "unknown" and "may or may not" in dead.reason
    alive = audit.get(other.id)
    assert alive is not None and alive.status == "pending"
    assert audit.verify().ok


def test_an_outcome_edited_in_the_database_is_caught_even_with_its_hash_recomputed(
    db: Path,
) -> None:
    audit = open_log(db)
    pending = audit.begin(**intent())  # type: ignore[arg-type]
    audit.complete(pending, status="denied", reason="scope")
    forged = {"status": "success", "reason": "allowed", "duration_ms": None, "result_size": None}
    tamper(db, ("UPDATE audit_log SET status = 'success', reason = 'allowed', "
                "outcome_hash = ? WHERE id = ?", (outcome_hash(pending.hash, forged), pending.id)))
    keyless = AuditLog.open(f"sqlite:///{db}", seal_key=None, data_dir=None).verify()
    assert keyless.ok  # without the key, a consistent forgery passes the keyless checks...
    result = audit.verify()  # ...but not the outcome's seal
    assert not result.ok and result.first_bad_id == pending.id
    assert "seal" in (result.problem or "")
    # reverting a completed entry to pending is caught too
    tamper(db, ("UPDATE audit_log SET status = 'pending' WHERE id = ?", (pending.id,)))
    assert "pending but carries an outcome" in (audit.verify().problem or "")


def test_a_forged_chain_is_not_resealed_by_the_next_append(db: Path) -> None:
    """Hole 3: edit an entry, recompute every hash to the head; the next ordinary append
    used to re-seal the head over the forgery. Now it refuses, and verify still fails."""
    audit = open_log(db)
    audit.record_many(spec(i) for i in range(8))
    rewrite_from(db, 6, params='{"cluster":"prod-1"}')
    with pytest.raises(AuditChainBroken, match="seal of the chain's head"):
        audit.record(**spec(9))  # type: ignore[arg-type]
    with pytest.raises(AuditChainBroken):
        audit.begin(**intent())  # type: ignore[arg-type]
    assert not audit.health().ok and "seal" in (audit.health().problem or "")
    result = audit.verify()
    assert not result.ok
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 8


def test_the_last_row_must_be_the_head(db: Path) -> None:
    """A forger who leaves the sealed head alone but rewrites the rows after it."""
    audit = open_log(db)
    audit.record_many(spec(i) for i in range(5))
    tamper(db, ("DELETE FROM audit_log WHERE seq = 5", ()))
    with pytest.raises(AuditChainBroken, match="newest entry does not match"):
        audit.record(**spec(6))  # type: ignore[arg-type]


def test_emptying_or_truncating_the_log_is_caught_by_the_witness(db: Path) -> None:
    audit = open_log(db)
    audit.record_many(spec(i) for i in range(10))
    witness = db.parent / "audit.witness"
    assert witness.stat().st_mode & 0o777 == 0o600 and '"seq":10' in witness.read_text()
    # truncated: the newest three rows and the head moved back, all consistently
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT seq, id, hash, ts FROM audit_log WHERE seq = 7").fetchone()
    from monstrum_tui.server.audit.seal import HEAD, Sealer, load_audit_key

    key = load_audit_key(db.parent, create=False)
    assert key is not None
    mac = Sealer(key).seal(HEAD, row[0], row[1], row[2])  # even with the key to re-seal it
    tamper(db, ("DELETE FROM audit_log WHERE seq > 7", ()),
           ("UPDATE audit_head SET seq = ?, entry_id = ?, hash = ?, ts = ?, mac = ?",
            (*row, mac)))
    result = audit.verify()
    assert not result.ok and result.witnessed and "truncated" in (result.problem or "")
    with pytest.raises(AuditChainBroken, match="truncated"):
        audit.record(**spec(11))  # type: ignore[arg-type]
    # emptied entirely: no longer "ok: 0 entries"
    tamper(db, ("DELETE FROM audit_log", ()), ("DELETE FROM audit_head", ()),
           ("DELETE FROM audit_checkpoints", ()))
    result = audit.verify()
    assert not result.ok and "truncated" in (result.problem or "")
    # and a deleted witness is noticed while the log has entries
    fresh = db.parent.parent / "other" / "monstrum.db"
    log2 = open_log(fresh)
    log2.record_many(spec(i) for i in range(3))
    (fresh.parent / "audit.witness").unlink()
    assert "witness (audit.witness) is missing" in (log2.verify().problem or "")


def test_a_missing_audit_key_is_an_error_never_a_new_key(db: Path) -> None:
    audit = open_log(db)
    audit.record_many(spec(i) for i in range(3))
    audit.close()
    (db.parent / "audit.key").unlink()
    with pytest.raises(AuditKeyMissing, match="restore the key"):
        AuditLog.open(f"sqlite:///{db}")
    assert not (db.parent / "audit.key").exists()
    # an emptied log with its witness left behind is not "new" either
    tamper(db, ("DELETE FROM audit_log", ()), ("DELETE FROM audit_head", ()))
    with pytest.raises(AuditKeyMissing):
        AuditLog.open(f"sqlite:///{db}")


def test_a_changed_audit_key_stops_appends_and_verify(db: Path) -> None:
    audit = open_log(db)
    audit.record_many(spec(i) for i in range(3))
    audit.close()
    (db.parent / "audit.key").write_text("f" * 64 + "\n")
    other = AuditLog.open(f"sqlite:///{db}")
    assert not other.health().ok
    with pytest.raises(AuditChainBroken, match=r"audit\.key was replaced"):
        other.record(**spec(4))  # type: ignore[arg-type]
    assert not other.verify().ok


def test_a_lone_surrogate_is_stored_and_hashed_as_the_replacement_character(db: Path) -> None:
    """Hole 2: text that is not valid Unicode made hashing raise and the entry vanish."""
    audit = open_log(db)
    entry = audit.record(**spec(1, params={"note": "a\ud800b", "k\udfff": 1},  # type: ignore[arg-type]
                                reason="bad \udc00 text"))
    assert entry.params == {"note": "a\ufffdb", "k\ufffd": 1}
    assert entry.reason == "bad \ufffd text"
    assert audit.verify().ok


def test_a_format_1_chain_from_before_the_write_ahead_audit_still_verifies(db: Path) -> None:
    """Entries written by the previous release (one hash over everything) keep verifying,
    and new entries link on after them."""
    audit = open_log(db)
    audit.record_many(spec(i) for i in range(4))
    audit.close()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    with conn:  # rewrite them as the old writer did: format 1, no outcome hash
        prev = "0" * 64
        for row in [dict(r) for r in conn.execute("SELECT * FROM audit_log ORDER BY seq")]:
            row["prev_hash"] = prev
            prev = chain_hash(prev, dict(row, timestamp=row["ts"]), fmt=1)
            conn.execute("UPDATE audit_log SET fmt = 1, prev_hash = ?, hash = ?, "
                         "outcome_hash = NULL, outcome_mac = NULL WHERE seq = ?",
                         (row["prev_hash"], prev, row["seq"]))
        from monstrum_tui.server.audit.seal import HEAD, Sealer, load_audit_key

        key = load_audit_key(db.parent, create=False)
        assert key is not None
        head = conn.execute("SELECT seq, entry_id FROM audit_head").fetchone()
        conn.execute("UPDATE audit_head SET hash = ?, mac = ?",
                     (prev, Sealer(key).seal(HEAD, head[0], head[1], prev)))
    conn.close()
    (db.parent / "audit.witness").unlink()  # the old release kept none: made on open
    reopened = open_log(db)
    assert reopened.verify().ok
    reopened.record(**spec(5))  # type: ignore[arg-type]
    result = reopened.verify()
    assert result.ok and result.checked == 5


def test_a_server_whose_audit_key_went_missing_refuses_to_start(new_server, tmp_path) -> None:
    data_dir = tmp_path / "keyless"
    server = new_server("--rate-limit", "0", data_dir=data_dir)
    import monstrum

    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        bot = client.bots.list()
        assert bot is not None
        assert client.health().audit_ok
    server.stop()
    from monstrum_tui.server.audit import AuditLog as Log

    log = Log.open(f"sqlite:///{data_dir / 'monstrum.db'}")
    log.record(**spec(1))  # type: ignore[arg-type]
    log.close()
    (data_dir / "audit.key").unlink()
    with pytest.raises(RuntimeError, match="server exited early"):
        server.start()
    assert "restore the key" in server.log()
    assert not (data_dir / "audit.key").exists()


def test_a_broken_chain_fails_calls_closed_and_health_says_why(new_server, tmp_path) -> None:
    import monstrum

    data_dir = tmp_path / "broken"
    server = new_server("--rate-limit", "0", "--demo", data_dir=data_dir)
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        bot = next(b for b in client.bots.list() if b.name == "release-notes")
        done = client.tasks.run(bot_id=bot.id, input='call read_file {"path": "README.md"}')
        assert done.status == "completed"
        before = len(list(client.audit.list()))
        tamper(data_dir / "monstrum.db", ("UPDATE audit_head SET mac = ?", ("0" * 64,)))
        health = client.health()
        assert not health.audit_ok and "seal of the chain's head" in (health.audit_problem or "")
        task = client.tasks.run(bot_id=bot.id, input='call read_file {"path": "README.md"}\n'
                                'call list_files {}')
        assert task.status == "failed"
        assert "not run: the audit log cannot record it" in (task.error or "")
        events = list(client.tasks.events(task_id=task.id))
        assert not any(e.type in ("tool_call", "result") for e in events)
        assert len(list(client.audit.list())) == before  # nothing was appended
