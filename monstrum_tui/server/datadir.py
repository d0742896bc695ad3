"""The data directory: private files (mode 0600) in a private folder (0700)."""

from __future__ import annotations

import os
from pathlib import Path

ADMIN_KEY_FILE = "admin.key"
#: folders inside the data dir that resources may use (everything else is private)
SHARED_FOLDERS = ("demo-workspace",)


def prepare_data_dir(path: Path) -> Path:
    """Create the data dir if needed and make sure only its owner can enter it."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:  # pragma: no cover - not our directory; leave it as the owner set it
        pass
    return path


def write_private(path: Path, text: str) -> None:
    """Write a file that only its owner can read, never world-readable even briefly."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def read_admin_key(data_dir: Path) -> str | None:
    """The admin key written on first start, if the file is there."""
    try:
        return (data_dir / ADMIN_KEY_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None

