"""Write SVG screenshots of every registered dashboard screen to ``screenshots/``.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Starts a fresh platform (``monstrum serve --demo``: the demo workspace and its short
history of real runs) on a temporary data dir, drives the dashboard with Textual's
pilot at 80x24 and 120x36, and saves one SVG per screen in ``navigation.SCREENS`` plus
the scenes listed in ``SCENES``. A new screen gets its screenshot by being registered;
add a scene here for views reached by keys (detail, forms). The home directory is the
temporary one too, so paths show as ``~/...``; the script fails if a temporary path, or
an API key's secret, shows in a screenshot anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monstrum_tui.ui.app import MonstrumApp  # noqa: E402
from monstrum_tui.ui.navigation import SCREENS  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

SIZES: tuple[tuple[int, int], ...] = ((80, 24), (120, 36))


@dataclass(frozen=True)
class Scene:
    """A view reached from a registered screen by pressing keys."""

    screen: str
    name: str
    keys: tuple[str, ...]


SCENES: tuple[Scene, ...] = (
    Scene("bots", "bot-detail", ("enter",)),
    Scene("bots", "bot-form", ("n",)),
    Scene("bots", "help", ("question_mark",)),
    Scene("bots", "bot-edit-bindings", ("e",)),
    # notes-keeper's approval rule (delete_note waits for a person) in the binding fields
    Scene("bots", "bot-edit-approval", ("down", "down", "e", *("tab",) * 11)),
    Scene("resources", "tool-browser", ("enter",)),
    Scene("resources", "what-if", ("enter", "w")),
    Scene("resources", "resource-form", ("n",)),
    Scene("resources", "resource-edit", ("down", "down", "e")),  # the notes: no paths shown
    Scene("integrations", "manifest-upload", ("u",)),
    Scene("audit", "audit-detail", ("down", "d")),
    # the on-call lookup: what did ops-runner do on the shell in the last hour (12 keys)
    Scene("audit", "audit-lookup", ("slash", "o", "p", "s", "tab", "s", "h", "tab", "1", "h",
                                    "enter")),
    Scene("tasks", "task-launch", ("r",)),
    Scene("tasks", "task-pane", ("enter",)),
    Scene("tasks", "tasks-query", ("slash", *"status:failed", "enter")),
    Scene("keys", "api-key-create", ("n", *"release-bot", "tab", "space")),
    # a key for one bot's MCP endpoint: the first bot under mcp:call ticked
    Scene("keys", "api-key-create-mcp-bot", ("n", *"claude-desktop", "tab", *("down",) * 10,
                                             "space")),
    # the one-time dialog as it opens: the secret masked (a screenshot must never hold one)
    Scene("keys", "api-key-secret", ("n", *"release-bot", "tab", "space", "ctrl+s")),
)

#: API keys besides the admin one, so the API keys screen lists a few
DEMO_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ci-deploy", ("bots:read", "tasks:write")),
    ("on-call", ("audit:read", "approvals:write")),
)
#: an API key's secret, in case one ever shows in a screenshot
SECRET = re.compile(r"mst_[A-Za-z0-9_-]{43}")


#: scripted tasks on the demo bots besides the demo's own history (its MCP notes)
DEMO_ACTIVITY: tuple[tuple[str, str], ...] = (
    ("notes-keeper", 'call list_notes {}\ncall read_note {"title": "oncall-handover"}'),
)

#: a call left waiting for a person (the Approvals screen, the header's count)
GATED_TASK: tuple[str, str] = ("notes-keeper", 'call delete_note {"title": "ideas/search"}')

#: a task still running while the screenshots are taken (a pane mid-stream)
LIVE_TASK: tuple[str, str] = (
    "release-notes",
    "say Drafting the notes for the next release.\ncall list_files {\"path\": \".\"}\n"
    "call read_file {\"path\": \"README.md\"}\ncall run_command {\"command\": \"ls\"}\nwait 600",
)


def seed_activity(server: ServerProcess) -> None:
    """One task left running (the demo's own history has ended by now)."""
    import monstrum

    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        for name, scopes in DEMO_KEYS:
            client.api_keys.create(name=name, scopes=list(scopes))
        bots = {bot.name: bot.id for bot in client.bots.list()}
        for name, script in DEMO_ACTIVITY:
            if name in bots:
                client.tasks.run(bot_id=bots[name], input=script)
        if GATED_TASK[0] in bots:
            gated = client.tasks.create(bot_id=bots[GATED_TASK[0]], input=GATED_TASK[1])
            for _ in range(600):
                if list(client.approvals.list(status="pending", task_id=gated.id)):
                    break
                time.sleep(0.1)
        if LIVE_TASK[0] in bots:
            # left running: the newest task, so the Tasks screen's pane shows it mid-stream
            client.tasks.create(bot_id=bots[LIVE_TASK[0]], input=LIVE_TASK[1])


async def settle(app: MonstrumApp, pilot: object, limit: float = 15.0) -> None:
    """Wait until connected and the current screen's workers have finished loading."""
    waited = 0.0
    while waited < limit:
        screen = app.screen
        busy = any(w.node is screen and w.is_running for w in app.workers)
        if app.connection.usable and not busy:
            break
        await pilot.pause(0.1)  # type: ignore[attr-defined]
        waited += 0.1
    await pilot.pause(0.3)  # type: ignore[attr-defined]


async def shoot(server: ServerProcess, out: Path, size: tuple[int, int]) -> list[Path]:
    suffix = "" if size == SIZES[0] else f"-{size[0]}x{size[1]}"
    written: list[Path] = []
    shots: list[tuple[str, str, tuple[str, ...]]] = [(e.name, e.name, ()) for e in SCREENS]
    shots += [(s.screen, s.name, s.keys) for s in SCENES]
    for screen_name, file_name, keys in shots:
        app = MonstrumApp(api_base=server.url, api_key=server.admin_key,
                          initial_screen=screen_name, watch_terminal=False)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            for key in keys:
                await pilot.press(key)
                await settle(app, pilot, limit=5.0)
            app.clear_notifications()  # the approvals toast: every screen would show it
            await pilot.pause(0.2)
            path = out / f"{file_name}{suffix}.svg"
            app.save_screenshot(str(path))
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="monstrum-shots-") as tmp:
        # the screenshots show the defaults, not this machine's keymap or theme, and a
        # home directory of their own (the help's config path reads ~/.monstrum/...)
        os.environ["HOME"] = tmp
        os.environ.pop("MONSTRUM_CONFIG", None)
        server = ServerProcess(data_dir=Path(tmp) / "data", extra_args=["--demo"]).start()
        written: list[Path] = []
        try:
            seed_activity(server)
            for size in SIZES:
                for path in asyncio.run(shoot(server, args.out, size)):
                    written.append(path)
                    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            server.stop()
        leaks = [p.name for p in written if tmp in p.read_text(encoding="utf-8")]
        if leaks:
            sys.exit(f"a temporary path shows in: {', '.join(leaks)}")
        secrets = [p.name for p in written if SECRET.search(p.read_text(encoding="utf-8"))]
        if secrets:
            sys.exit(f"an API key's secret shows in: {', '.join(secrets)}")


if __name__ == "__main__":
    main()
