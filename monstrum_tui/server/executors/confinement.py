"""Places no resource may reach, and the path arithmetic executors confine with.

The platform's data dir holds the database, the API, credential and audit keys and the
log. A resource folder may live inside it (the demo workspace does) but may never be
it, contain it, or lead into the rest of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..datadir import SHARED_FOLDERS


def is_within(path: Path, root: Path) -> bool:
    """Whether ``path`` is ``root`` or below it (both already resolved).

    Compared by parts: the same answer as ``root in path.parents``, which builds every
    ancestor as a ``Path`` (13 µs against 0.5, several times a call)."""
    parts = root.parts
    return path.parts[:len(parts)] == parts


@dataclass(frozen=True)
class PrivateZone:
    """The data dir, less the folders in it that resources may use (``shared``)."""

    root: Path | None = None
    shared: tuple[Path, ...] = ()

    @classmethod
    def empty(cls) -> PrivateZone:
        return cls()

    @classmethod
    def of_data_dir(cls, data_dir: Path, shared: tuple[Path, ...] = ()) -> PrivateZone:
        root = data_dir.resolve()
        return cls(root, tuple(p.resolve() for p in shared))

    def holds(self, real: Path) -> bool:
        """Whether a resolved path is private (in the data dir, outside its shared folders)."""
        if self.root is None or not is_within(real, self.root):
            return False
        return not any(is_within(real, folder) for folder in self.shared)

    def exposed_by(self, folder: Path) -> bool:
        """Whether a resource folder would expose private places: it is private, or holds
        the data dir."""
        if self.root is None:
            return False
        real = folder.resolve()
        return self.holds(real) or is_within(self.root, real)


def private_zone(data_dir: Path) -> PrivateZone:
    """What no resource may reach: the data dir, less its shared folders."""
    return PrivateZone.of_data_dir(data_dir, tuple(data_dir / name for name in SHARED_FOLDERS))
