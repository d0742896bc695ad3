"""The demo workspace: a folder of files, filesystem and shell resources on it, an MCP
server of notes (the shipped test server, over stdio), bots bound to them, and a short
history of their runs, all working offline. Deleting a note waits for a person's
approval.

The history runs through the real task runner once the server is up (so its events and
audit entries are the real thing, hash chain included): completed runs, a run with a
failed call, runs with denied calls, a cancelled run, and a failed one (a bot on a
chat model while the server has no provider configured).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..client.models import FINISHED_TASK_STATUSES, Bot, BotCreate
from .datadir import SHARED_FOLDERS
from .manifests import manifest_digest, parse_manifest
from .platform import Platform
from .resource_values import with_defaults
from .runner.models import ProviderNotConfigured, provider_for

log = logging.getLogger("monstrum.demo")

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
    {
        "name": "incident-summarizer",
        "description": "Summarises incident notes with a chat model (needs OPENAI_API_KEY "
        "on the platform server)",
        "model": "gpt-4o-mini",
        "allowed_operations": ["files.read"],
        "resource_bindings": [
            {
                "resource_id": "res_demo_files",
                "allowed_tools": ["read_file"],
                "scope_constraints": {"paths": ["incidents/*"]},
            }
        ],
    },
]


MARKER = ".demo-seeded"
#: written with the workspace, removed once the history has run (so it runs once)
HISTORY_MARKER = ".demo-history-pending"
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
    specs: list[tuple[str, str, str, dict[str, Any]]] = [
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
    (Path(platform.settings.data_dir) / HISTORY_MARKER).write_text("pending\n", encoding="utf-8")
    marker.write_text("seeded\n", encoding="utf-8")
    return True


@dataclass(frozen=True)
class DemoRun:
    """One run of the demo history: which bot, its input, and whether to cancel it."""

    bot: str
    input: str
    cancel: str | None = None


DEMO_HISTORY: tuple[DemoRun, ...] = (
    DemoRun("release-notes", "say Drafting the notes for 2.4.1.\n"
            'call list_files {"path": "."}\ncall read_file {"path": "CHANGELOG.md"}'),
    DemoRun("ops-runner", 'call run_command {"command": "uname", "args": ["-s"]}\n'
            'call run_command {"command": "date", "args": ["-u"]}'),
    DemoRun("release-notes", 'call read_file {"path": "docs/deploy.md"}\n'
            'call read_file {"path": "docs/release-2.5.md"}\n'
            'call run_command {"command": "ls"}'),
    DemoRun("ops-runner", "say Checking the deploy host before the 2.4.1 rollout.\n"
            'call run_command {"command": "echo", "args": ["deploy 2.4.1 to staging"]}\n'
            'call run_command {"command": "cat", "args": ["docs/deploy.md"]}\n'
            'call run_command {"command": "rm", "args": ["-rf", "deploy-cache"]}'),
    DemoRun("ops-runner", "say Tailing the deploy log.\nwait 60",
            cancel="cancelled by the demo: a newer rollout superseded it"),
    DemoRun("incident-summarizer",
            "Summarise incidents/2026-02-11-checkout-latency.md for the weekly review."),
)

#: seconds one demo run may take before the seeding gives up waiting for it
RUN_TIMEOUT_S = 20.0


async def _until_finished(platform: Platform, task_id: str, *, started: bool = False) -> None:
    """Wait until the task has ended (or, ``started``, until its run has begun: its
    ``started`` event stored, which sets ``started_at`` in the same commit; a claim marks
    the task ``running`` a moment before, and a cancel then stops it before it begins)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RUN_TIMEOUT_S
    while loop.time() < deadline:
        task = await asyncio.to_thread(platform.store.tasks.get, task_id)
        if task is None or task.status in FINISHED_TASK_STATUSES:
            return
        if started and task.started_at is not None:
            return
        await asyncio.sleep(0.05)


def _would_call_a_provider(model: str) -> bool:
    """A chat-model bot with a provider configured would spend the user's credits: skip it."""
    try:
        provider_for(model)
    except ProviderNotConfigured:
        return False
    return model != "scripted"


async def seed_demo_history(platform: Platform) -> int:
    """Run the demo history once per data dir, through the real runner; returns the count."""
    pending = Path(platform.settings.data_dir) / HISTORY_MARKER
    if not pending.exists():
        return 0
    pending.unlink()  # first: a history that fails half-way is not run twice
    try:
        bots = {bot.name: bot for bot in await asyncio.to_thread(_all_bots, platform)}
    except Exception:  # the demo is a nicety: never keep the server from starting
        log.exception("demo history: could not read the demo bots")
        return 0
    ran = 0
    for run in DEMO_HISTORY:
        bot = bots.get(run.bot)
        if bot is None or bot.status != "active" or _would_call_a_provider(bot.model):
            continue
        try:
            task = await platform.runner.submit(bot.id, run.input, {"source": "demo"})
            if run.cancel:
                await _until_finished(platform, task.id, started=True)
                await platform.runner.cancel(task.id, run.cancel)
            await _until_finished(platform, task.id)
        except Exception:  # the demo is a nicety: never keep the server from starting
            log.exception("demo history: run of %s failed to seed", run.bot)
            continue
        ran += 1
    return ran


def _all_bots(platform: Platform) -> list[Bot]:
    bots: list[Bot] = []
    cursor: str | None = None
    while True:
        page, cursor = platform.store.bots.list(500, cursor)
        bots.extend(page)
        if not cursor:
            return bots
