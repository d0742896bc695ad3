"""Seals: HMAC-SHA256, with a key kept out of the database, over the chain's trust points.

The hash chain alone is keyless: whoever can write the database can edit an entry
and recompute every hash from it to the head. So the points verification trusts —
the chain head, each checkpoint and each pruning anchor — also carry a seal,
``HMAC-SHA256(key, "KIND|seq|entry_id|hash")``, that only the key's holder can make.
Rewriting the chain without the key leaves a seal that no longer matches, and
verify names the first entry after the last point that still vouches for itself.

The key is ``MONSTRUM_AUDIT_KEY`` if set (servers sharing one database must share it),
else ``DATA_DIR/audit.key`` (mode 0600, made on the first start of an empty log, never
afterwards: a missing key is an error). Outcomes of write-ahead entries and the head
witness outside the database (``witness.py``) are sealed the same way; the witness is
what catches a database rolled back or truncated to an earlier, validly sealed state.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from ..datadir import write_private

AUDIT_KEY_FILE = "audit.key"
AUDIT_KEY_ENV = "MONSTRUM_AUDIT_KEY"

HEAD, CHECKPOINT, ANCHOR, OUTCOME = "head", "checkpoint", "anchor", "outcome"


def create_audit_key(data_dir: Path) -> bytes:
    """Make ``DATA_DIR/audit.key`` (0600) for a log that has never had a key."""
    write_private(data_dir / AUDIT_KEY_FILE, secrets.token_hex(32) + "\n")
    key = load_audit_key(data_dir, create=False)
    assert key is not None
    return key


def load_audit_key(data_dir: Path | None, *, create: bool) -> bytes | None:
    """The audit key: from the environment, else the data dir's file (made when ``create``;
    the platform itself only creates one through ``log.audit_key_for``).

    None when there is neither (a database verified without its data dir).
    """
    env = os.environ.get(AUDIT_KEY_ENV, "").strip()
    if env:
        return env.encode("utf-8")
    if data_dir is None:
        return None
    path = data_dir / AUDIT_KEY_FILE
    if not path.exists():
        if not create:
            return None
        write_private(path, secrets.token_hex(32) + "\n")
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"{path} is empty: it should hold the audit log's sealing key")
    return key.encode("utf-8")


def data_dir_of(url: str) -> Path | None:
    """The folder of a SQLite database file (its data dir), else None."""
    parsed = make_url(url)
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database:
        return None
    if database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve().parent


class Sealer:
    """Makes and checks the seals of one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def seal(self, kind: str, seq: int, entry_id: str, entry_hash: str) -> str:
        message = f"{kind}|{int(seq)}|{entry_id}|{entry_hash}".encode()
        # one-shot: the same HMAC-SHA256 without building an HMAC object (several a call)
        return hmac.digest(self._key, message, "sha256").hex()

    def holds(self, kind: str, seq: int, entry_id: str, entry_hash: str,
              mac: str | None) -> bool:
        """Whether ``mac`` is this key's seal of those values (a missing seal never is)."""
        if not mac:
            return False
        return hmac.compare_digest(self.seal(kind, seq, entry_id, entry_hash), mac)
