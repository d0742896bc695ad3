"""The demo workspace: bots (and, later, resources) that work offline."""

from __future__ import annotations

from pathlib import Path

from ..client.models import BotCreate
from .platform import Platform

DEMO_BOTS: list[dict[str, object]] = [
    {
        "name": "release-notes",
        "description": "Drafts release notes from the repository folder",
        "model": "scripted",
        "allowed_operations": ["files.read"],
    },
    {
        "name": "ops-runner",
        "description": "Runs harmless allow-listed diagnostics",
        "model": "scripted",
        "allowed_operations": ["shell.exec"],
    },
    {
        "name": "triage-assistant",
        "description": "Reads incident notes and summarises them",
        "model": "scripted",
        "status": "paused",
        "allowed_operations": ["files.read"],
    },
]


MARKER = ".demo-seeded"


def seed_demo_workspace(platform: Platform) -> bool:
    """Seed the demo workspace once per data dir (deleting demo bots keeps them deleted)."""
    marker = Path(platform.settings.data_dir) / MARKER
    if marker.exists():
        return False
    for spec in DEMO_BOTS:
        platform.store.bots.create(BotCreate.model_validate(spec))
    marker.write_text("seeded\n", encoding="utf-8")
    return True
