"""The demo workspace: a folder of files, filesystem and shell resources on it, an MCP
server of notes (the shipped test server, over stdio), and bots bound to them, all
working offline. Deleting a note waits for a person's approval."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from ..client.models import BotCreate
from .datadir import SHARED_FOLDERS
from .manifests import manifest_digest, parse_manifest
from .platform import Platform
from .resource_values import with_defaults

DEMO_BOTS: list[dict[str, object]] = [
    {
        "name": "release-notes",
        "description": "Drafts release notes from the repository folder",
        "model": "scripted",
        "allowed_operations": ["files.read"],
        "resource_bindings": [
            {
                "resource_id": "res_demo_files",
                "allowed_tools": ["list_files", "read_file"],
                "scope_constraints": {"paths": ["*"]},
            }
        ],
    },
    {
        "name": "ops-runner",
        "description": "Runs harmless allow-listed diagnostics",
        "model": "scripted",
        "allowed_operations": ["shell.exec"],
        "resource_bindings": [
            {
                "resource_id": "res_demo_shell",
                "allowed_tools": ["run_command"],
                "scope_constraints": {"commands": ["echo", "date", "uname"]},
            }
        ],
    },
    {
        "name": "notes-keeper",
        "description": "Keeps the team's notes on an MCP server; deleting one needs approval",
        "model": "scripted",
        "allowed_operations": ["notes.read", "notes.write", "notes.destructive"],
        "resource_bindings": [
            {
                "resource_id": "res_demo_notes",
                "allowed_tools": ["list_notes", "read_note", "add_note", "delete_note"],
                "scope_constraints": {"titles": ["*"]},
                "require_approval": {"tools": ["delete_note"], "timeout_s": 900},
            }
        ],
    },
    {
        "name": "triage-assistant",
        "description": "Reads incident notes and summarises them",
        "model": "scripted",
        "status": "paused",
        "allowed_operations": ["files.read", "files.search"],
        "resource_bindings": [
            {
                "resource_id": "res_demo_files",
                "allowed_tools": ["*"],
                "scope_constraints": {"paths": ["incidents/*", "docs/*"]},
            }
        ],
    },
]


MARKER = ".demo-seeded"
DEMO_FOLDER = SHARED_FOLDERS[0]

DEMO_FILES: dict[str, str] = {
    "README.md": "# acme-shop\n\nThe storefront service: catalogue, basket and checkout.\n"
    "Deployed to staging on every merge and to production on tags.\n",
    "CHANGELOG.md": "# Changelog\n\n## 2.4.1\n- Fix: basket totals rounded twice for JPY.\n"
    "- Faster catalogue search (new index on sku).\n\n## 2.4.0\n"
    "- Checkout supports saved cards.\n- Deprecate /v1/cart (use /v2/basket).\n",
    "docs/deploy.md": "# Deploying\n\n1. Merge to main: CI deploys to staging.\n"
    "2. Tag vX.Y.Z: the release pipeline deploys to production.\n"
    "Roll back with `deploy rollback --to vX.Y.Z`.\n",
    "docs/architecture.md": "# Architecture\n\nweb -> api (user-api, basket-api) -> "
    "postgres; search on opensearch; jobs on a queue.\n",
    "incidents/2026-02-11-checkout-latency.md": "# Incident: checkout latency\n\n"
    "Started 14:02 UTC, resolved 14:47 UTC. p99 checkout latency rose from 300 ms to 4 s.\n"
    "Cause: a missing index after the 2.4.0 migration. Fix: index on basket_items(sku).\n"
    "Follow-up: add migration checks to CI.\n",
}

DEMO_SHELL_COMMANDS = ["echo", "date", "uname", "ls", "cat", "wc", "head"]


def _seed_demo_resources(platform: Platform) -> None:
    """A demo folder in the data dir, and a filesystem and a shell resource on it."""
    folder = Path(platform.settings.data_dir) / DEMO_FOLDER
    for name, text in DEMO_FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    specs = [
        ("res_demo_files", "filesystem", "Demo workspace files", {"root": str(folder)}),
        ("res_demo_shell", "shell", "Demo shell (harmless commands)", {
            "allowed_commands": DEMO_SHELL_COMMANDS, "working_dir": str(folder),
        }),
    ]
    for resource_id, type_id, name, config in specs:
        if platform.store.resources.get(resource_id) is not None:
            continue
        compiled = platform.store.integrations.for_type(type_id)
        if compiled is None:  # pragma: no cover - built-ins are installed at start
            continue
        platform.store.resources.create(
            resource_id, type_id, name, with_defaults(compiled.manifest, config),
            platform.cipher.encrypt({}), [],
        )


#: the demo's MCP tools (the test server lists more: those are for the tests' attacks)
DEMO_NOTES_TOOLS = ("list_notes", "read_note", "add_note", "delete_note")


def demo_notes_manifest() -> str:
    """The notes integration, made as ``import-mcp`` makes one (from the server's own tool
    definitions, so no child process is started to seed), reviewed: four tools and a
    ``titles`` scope dimension. The server is this Python running the shipped module."""
    import yaml

    from ..mcp_testserver import tool_specs
    from .manifests.mcp_import import ListedTool, dump_manifest, propose_manifest

    listed = [
        ListedTool(name=t["name"], description=t["description"], input_schema=t["input_schema"],
                   read_only=t["annotations"].get("read_only_hint"),
                   destructive=t["annotations"].get("destructive_hint"))
        for t in tool_specs() if t["name"] in DEMO_NOTES_TOOLS
    ]
    server = {"command": sys.executable, "args": ["-m", "monstrum_tui.mcp_testserver", "stdio"],
              "env": {"NOTES_TOKEN": "{credentials.token}"}}
    proposal = propose_manifest(name="notes", server=server, listed=listed,
                                description="Team notes on an MCP server (the demo's, offline)",
                                type_name="Notes (MCP)")
    data = yaml.safe_load(proposal.yaml_text)
    data["scope_dimensions"] = [{
        "key": "titles", "param_paths": ["title", "prefix"], "match_mode": "pattern",
        "description": "which notes a bot may touch",
        "error_template": "note {value} is outside this bot's notes",
    }]
    return dump_manifest(data)


def _seed_demo_notes(platform: Platform) -> None:
    if platform.store.resources.get("res_demo_notes") is not None:
        return
    text = demo_notes_manifest()
    manifest = parse_manifest(text)
    platform.store.integrations.install(manifest, text, manifest_digest(manifest))
    platform.store.resources.create(
        "res_demo_notes", "notes", "Team notes (MCP, stdio)", {},
        platform.cipher.encrypt({"token": "demo-" + secrets.token_urlsafe(12)}), ["token"],
    )


def seed_demo_workspace(platform: Platform) -> bool:
    """Seed the demo workspace once per data dir (deleting demo bots keeps them deleted)."""
    marker = Path(platform.settings.data_dir) / MARKER
    if marker.exists():
        return False
    _seed_demo_resources(platform)
    _seed_demo_notes(platform)
    for spec in DEMO_BOTS:
        platform.store.bots.create(BotCreate.model_validate(spec))
    marker.write_text("seeded\n", encoding="utf-8")
    return True
