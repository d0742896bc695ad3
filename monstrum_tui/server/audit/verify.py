"""Walking the hash chain: the first entry that does not verify, and why.

Per entry, in chain order: its position follows the one before (a gap means rows
were deleted, a repeat or step back means rows were moved); its ``prev_hash`` is the
hash of the entry before (else one was deleted, inserted or moved); its own hash
recomputes from its stored fields (else it was edited). Checkpoints on the way must
agree with the rows they name, and the walk must end where the chain head says.
The walk covers every entry from the start (or from the last pruned entry's anchor,
when retention has pruned the start); the fast mode starts at the newest checkpoint
(checked against its row) and so cannot see edits before it. Format-2 entries also
have their outcome checked against its hash and seal, and the chain's end against the
head witness kept outside the database (a truncated or emptied log).

With the audit key (seal.py), the anchor, every checkpoint met and the head must
also carry their seal. A chain rewritten from an edited entry to the head, hashes
and all, passes the keyless checks but not the seals: verify then names the first
entry after the last sealed point that still holds (the edit is at or after it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from ...client.models import AuditVerification
from .chain import FORMAT_2, GENESIS, chain_hash, outcome_hash
from .seal import ANCHOR, CHECKPOINT, HEAD, OUTCOME, Sealer
from .tables import audit_anchors, audit_checkpoints, audit_head, audit_log
from .witness import HeadWitness

_C = audit_log.c
BATCH = 5_000


def _recomputed(row: Any) -> str:
    return chain_hash(row.prev_hash, {**row._mapping, "timestamp": row.ts}, fmt=row.fmt)


def _outcome_problem(row: Any, sealer: Sealer | None) -> str | None:
    """Why a format-2 entry's outcome does not hold (None when it does, or for format 1)."""
    if row.fmt != FORMAT_2:
        return None
    if row.status == "pending":
        if row.outcome_hash is not None or row.outcome_mac is not None:
            return "entry says pending but carries an outcome hash: its status was edited"
        return None
    if row.outcome_hash != outcome_hash(row.hash, row._mapping):
        return ("entry's outcome (status, reason, duration, size) does not match its outcome "
                "hash: it was edited")
    if sealer is not None and not sealer.holds(OUTCOME, row.seq, row.id, row.outcome_hash,
                                                row.outcome_mac):
        return ("entry's outcome does not carry the audit key's seal: it was rewritten without "
                "the key, or audit.key was replaced")
    return None


def _entry_after(conn: Connection, seq: int) -> Any:
    """The first entry after position ``seq`` (id and seq), or None."""
    return conn.execute(
        select(_C.id, _C.seq).where(_C.seq > seq).order_by(_C.seq).limit(1)
    ).first()


def verify_chain(
    conn: Connection,
    *,
    full: bool = True,
    sealer: Sealer | None = None,
    witness: HeadWitness | None = None,
    witness_problem: str | None = None,
    witnessed: bool = False,
) -> AuditVerification:
    """Verify the chain: every entry (``full``) or from the newest checkpoint; its seals
    with ``sealer``; its head against the ``witness`` kept outside the database."""
    anchor = conn.execute(
        select(audit_anchors).order_by(audit_anchors.c.seq.desc()).limit(1)
    ).first()
    expected_seq = (anchor.seq if anchor else 0) + 1
    expected_prev = anchor.hash if anchor else GENESIS
    prev_id = anchor.entry_id if anchor else None
    result: dict[str, Any] = {"from_anchor": anchor.entry_id if anchor else None,
                              "sealed": sealer is not None, "mode": "full" if full else "fast",
                              "witnessed": witnessed}
    pending = 0

    def bad(entry_id: str | None, problem: str, checked: int) -> AuditVerification:
        return AuditVerification(
            ok=False, checked=checked, first_bad_id=entry_id, problem=problem, **result
        )

    def unsealed(kind: str, row: Any) -> bool:
        return sealer is not None and not sealer.holds(
            kind, row.seq, row.entry_id, row.hash, row.mac
        )

    # the last position a seal vouches for (and its entry's id): a rewrite is after it
    # (seq, entry id, entries verified up to it): what is reported as verified then
    trusted: tuple[int, str | None, int] = (expected_seq - 1, prev_id, 0)

    def rewritten_after(what: str) -> AuditVerification:
        seq, entry_id, checked = trusted
        first = _entry_after(conn, seq)
        since = f"after {entry_id} (position {seq})" if entry_id else "from the start"
        return bad(first.id if first else entry_id,
                   f"{what}: the chain {since} was rewritten without the audit key (an "
                   "entry edited, deleted or inserted and the hashes recomputed), or "
                   "audit.key was replaced", checked)

    if anchor is not None and unsealed(ANCHOR, anchor):
        first = _entry_after(conn, 0)
        return bad(first.id if first else anchor.entry_id,
                   f"the pruning anchor at position {anchor.seq} does not carry the audit "
                   "key's seal: entries before it were deleted and the anchor forged",
                   0)

    # a row placed before the anchor (or before the start) is never walked otherwise
    stray = conn.execute(
        select(_C.id, _C.seq).where(_C.seq < expected_seq).order_by(_C.seq).limit(1)
    ).first()
    if stray is not None:
        where = f"at or before the pruned anchor {prev_id}" if anchor else "before the start"
        return bad(stray.id, f"entry at position {stray.seq} is {where}: it was inserted", 0)

    checkpoints = {
        cp.seq: cp
        for cp in conn.execute(
            select(audit_checkpoints).where(audit_checkpoints.c.seq >= expected_seq)
        ).all()
    }
    checked = 0
    cp: Row[Any] | None  # the checkpoint started from, then the one at each entry, if any
    if not full and checkpoints:
        cp = checkpoints[max(checkpoints)]
        row = conn.execute(select(audit_log).where(_C.seq == cp.seq)).first()
        if row is None:
            return bad(cp.entry_id, f"entry {cp.entry_id} of the checkpoint at position "
                       f"{cp.seq} is missing: it was deleted", 0)
        if row.id != cp.entry_id or row.hash != cp.hash:
            return bad(row.id, f"entry at position {cp.seq} does not match the checkpoint "
                       f"taken when it was written ({cp.entry_id}): it was replaced or "
                       "edited", 0)
        if _recomputed(row) != row.hash:
            return bad(row.id, "entry's fields do not match its hash: it was edited", 0)
        outcome = _outcome_problem(row, sealer)
        if outcome is not None:
            return bad(row.id, outcome, 0)
        if unsealed(CHECKPOINT, cp):
            return rewritten_after(f"the seal of the checkpoint at position {cp.seq} "
                                   "does not match")
        trusted = (cp.seq, cp.entry_id, 1)
        expected_seq, expected_prev, prev_id = cp.seq + 1, row.hash, row.id
        result["from_checkpoint"] = cp.entry_id
        checked = 1

    last_seq = expected_seq - 1
    after = last_seq
    while True:
        rows = conn.execute(
            select(audit_log).where(_C.seq > after).order_by(_C.seq).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            own_ok = _recomputed(row) == row.hash
            link_ok = row.prev_hash == expected_prev
            if row.seq != expected_seq:
                if row.seq > expected_seq and link_ok is False and own_ok:
                    missing = row.seq - expected_seq
                    return bad(row.id, f"{missing} entr{'y' if missing == 1 else 'ies'} "
                               f"missing before it (after {prev_id or 'the start'}): "
                               "deleted", checked)
                return bad(row.id, f"entry is out of place: position {row.seq} where "
                           f"{expected_seq} was expected (moved or inserted)", checked)
            if not own_ok and not link_ok:
                return bad(row.id, "entry does not belong here: neither its fields nor its "
                           f"link to {prev_id or 'the start'} match (moved, replaced or "
                           "inserted)", checked)
            if not own_ok:
                return bad(row.id, "entry's fields do not match its hash: it was edited",
                           checked)
            if not link_ok:
                return bad(row.id, f"entry's prev_hash does not match the hash of "
                           f"{prev_id or 'the start'} before it: an entry between was "
                           "deleted or inserted, or that one was rewritten", checked)
            outcome = _outcome_problem(row, sealer)
            if outcome is not None:
                return bad(row.id, outcome, checked)
            if row.status == "pending":
                pending += 1
            cp = checkpoints.get(row.seq)
            if cp is not None:
                if unsealed(CHECKPOINT, cp):
                    return rewritten_after(f"the seal of the checkpoint at position "
                                           f"{cp.seq} does not match")
                if cp.entry_id != row.id or cp.hash != row.hash:
                    return bad(row.id, "entry does not match the checkpoint taken when it "
                               f"was written ({cp.entry_id}): it was replaced or rewritten",
                               checked)
                trusted = (cp.seq, cp.entry_id, checked + 1)
            checked += 1
            expected_seq, expected_prev, prev_id = row.seq + 1, row.hash, row.id
            last_seq = row.seq
        after = rows[-1].seq

    missing_cp = [cp for s, cp in checkpoints.items() if s > last_seq]
    if missing_cp:
        cp = min(missing_cp, key=lambda c: c.seq)
        return bad(cp.entry_id, f"entry {cp.entry_id} at position {cp.seq} (from a "
                   "checkpoint) is missing: entries were deleted from the end", checked)
    head = conn.execute(select(audit_head).where(audit_head.c.key == 1)).first()
    if sealer is not None:
        if head is None and last_seq > 0:
            return rewritten_after("the chain has no head record")
        if head is not None and unsealed(HEAD, head):
            return rewritten_after("the seal of the chain's head does not match")
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        if head.seq > last_seq:
            return bad(head.entry_id, f"the chain ends at {prev_id or 'the start'} (position "
                       f"{last_seq}) but its head is {head.entry_id} (position {head.seq}): "
                       "entries were deleted from the end", checked)
        if sealer is not None and head.seq == last_seq:
            return rewritten_after(f"the chain's last entry (position {last_seq}) does not "
                                   "match its sealed head")
        return bad(prev_id, f"the chain's last entry (position {last_seq}) does not match "
                   f"its recorded head {head.entry_id}: entries were rewritten or added "
                   "at the end", checked)
    if witness_problem is not None:
        return bad(None, witness_problem, checked)
    if witness is not None:
        problem = _witness_problem(conn, witness, sealer, last_seq, expected_prev)
        if problem is not None:
            return bad(witness.entry_id, problem, checked)
    elif witnessed and last_seq > 0 and conn.execute(
        select(_C.seq).where(_C.fmt == FORMAT_2).limit(1)
    ).first() is not None:
        # entries written since witnesses exist (format 2) were witnessed from the first
        return bad(None, "the head witness (audit.witness) is missing while the log has "
                   "entries: it was deleted", checked)
    return AuditVerification(ok=True, checked=checked, head_id=prev_id, pending=pending,
                             **result)


def _witness_problem(
    conn: Connection, witness: HeadWitness, sealer: Sealer | None, last_seq: int,
    last_hash: str,
) -> str | None:
    if not witness.holds(sealer):
        return ("the head witness (audit.witness) does not carry the audit key's seal: it was "
                "edited, or audit.key was replaced")
    if witness.seq > last_seq:
        return (f"the audit log was truncated: its witness names entry {witness.entry_id} at "
                f"position {witness.seq}, but the chain ends at position {last_seq}")
    if witness.seq == last_seq:
        ok = witness.hash == last_hash
    else:
        row = conn.execute(select(_C.hash).where(_C.seq == witness.seq)).first()
        ok = row is None or row.hash == witness.hash  # None: pruned since, nothing to compare
    if not ok:
        return (f"the entry at position {witness.seq} is not the one the witness saw "
                f"({witness.entry_id}): the chain was rewritten from there or before")
    return None
