"""The head witness: a sealed copy of the chain's head kept outside the database.

The database alone cannot show that its newest entries were cut off, or that it was
emptied: a truncated chain is a valid chain. So every append also writes the head it
made (position, entry id, hash, HMAC with the audit key) to ``DATA_DIR/audit.witness``.
A database whose head is behind its witness, or differs from it at the witness's
position, was truncated or rewritten; appending refuses, and verify says so.

Several processes sharing the data dir (PostgreSQL team servers on one machine) keep
one witness: each write is under ``flock`` and only ever moves it forward. A witness
may lag the database (a crash between commit and write), never lead it.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .seal import Sealer

WITNESS_FILE = "audit.witness"
WITNESS_KIND = "witness"
#: the file is rewritten in place at this size, padded, so a write is one pwrite
_RECORD_BYTES = 512
#: what ``read`` reads at most: a witness is one record; anything longer is not one
_MAX_READ = 65_536


@dataclass(frozen=True)
class HeadWitness:
    seq: int
    entry_id: str
    hash: str
    mac: str | None

    def holds(self, sealer: Sealer | None) -> bool:
        """Whether its seal is the audit key's (a witness without a key checks nothing)."""
        if sealer is None:
            return True
        return sealer.holds(WITNESS_KIND, self.seq, self.entry_id, self.hash, self.mac)


class WitnessFile:
    """Reads and advances the witness file of one data dir."""

    def __init__(self, path: Path, sealer: Sealer | None) -> None:
        self.path = path
        self.sealer = sealer
        self._fd: int | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path | None, sealer: Sealer | None) -> WitnessFile | None:
        return cls(data_dir / WITNESS_FILE, sealer) if data_dir is not None else None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def read(self) -> HeadWitness | None:
        """The witness, None when there is none; ``ValueError`` when it is garbled."""
        # read at every append: one open and one read (no stat before, no whole-file read)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            raw = os.read(fd, _MAX_READ).rstrip(b"\0 \n")
        finally:
            os.close(fd)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return HeadWitness(int(data["seq"]), str(data["entry_id"]), str(data["hash"]),
                               data.get("mac"))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{self.path} is not an audit head witness: {exc}") from None

    def advance(self, seq: int, entry_id: str, entry_hash: str) -> None:
        """Record a new head, unless the file already names a later one."""
        mac = self.sealer.seal(WITNESS_KIND, seq, entry_id, entry_hash) if self.sealer else None
        record = json.dumps({"seq": seq, "entry_id": entry_id, "hash": entry_hash, "mac": mac},
                            separators=(",", ":")).encode("ascii")
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = os.pread(fd, _RECORD_BYTES, 0).rstrip(b"\0 \n")
            if current:
                try:
                    if int(json.loads(current)["seq"]) >= seq:
                        return
                except (ValueError, KeyError, TypeError):
                    pass  # garbled: overwrite with the truth
            os.pwrite(fd, record.ljust(_RECORD_BYTES, b" "), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def reset(self, seq: int, entry_id: str, entry_hash: str) -> None:
        """Write the witness whatever it said (first start, or after a deliberate repair)."""
        mac = self.sealer.seal(WITNESS_KIND, seq, entry_id, entry_hash) if self.sealer else None
        record = json.dumps({"seq": seq, "entry_id": entry_id, "hash": entry_hash, "mac": mac},
                            separators=(",", ":")).encode("ascii")
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.pwrite(fd, record.ljust(_RECORD_BYTES, b" "), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
