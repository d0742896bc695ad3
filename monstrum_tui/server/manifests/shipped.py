"""Manifests shipped with the project (``integrations/``), and installing the built-in ones.

In a source checkout ``monstrum_tui/integrations`` is a link to the top-level
``integrations/`` folder; a built wheel carries the files themselves as package
data of ``monstrum_tui``, so the same lookup works installed or not.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from . import manifest_digest, parse_manifest

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger("monstrum.manifests")

#: installed (or upgraded) automatically at every server start
BUILTIN_INTEGRATIONS = ("filesystem", "shell")


def shipped_manifest_text(name: str) -> str:
    """The YAML of a shipped manifest (``jira``, ``filesystem``, ``shell``...)."""
    packaged = resources.files("monstrum_tui") / "integrations" / f"{name}.yaml"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[3] / "integrations" / f"{name}.yaml"
    return checkout.read_text(encoding="utf-8")


def shipped_manifest_names() -> list[str]:
    folder = resources.files("monstrum_tui") / "integrations"
    if not folder.is_dir():
        folder = Path(__file__).resolve().parents[3] / "integrations"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def install_builtin_integrations(store: Store) -> None:
    """Install the built-in manifests, upgrading older installed versions."""
    from ..store.integrations import IntegrationConflict

    for name in BUILTIN_INTEGRATIONS:
        text = shipped_manifest_text(name)
        manifest = parse_manifest(text)
        try:
            _, outcome = store.integrations.install(
                manifest, text, manifest_digest(manifest), builtin=True
            )
        except IntegrationConflict as exc:  # e.g. a newer version uploaded by hand: keep it
            log.info("kept the installed %s integration: %s", name, exc)
            continue
        if outcome != "unchanged":
            log.info("%s the built-in %s integration %s", outcome, name, manifest.version)
