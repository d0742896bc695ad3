"""Names wherever ids go on the command line, ``bots create/update``, and a clean Ctrl-C.

Run as a user would: ``python -m monstrum_tui.cli`` in a subprocess against the real server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from monstrum_tui.client.errors import NotFoundError
from monstrum_tui.client.names import AmbiguousName, UnknownName, pick_named


def monstrum(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args], capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL, env={**os.environ, **env},
    )


@pytest.fixture
def as_admin(server) -> dict[str, str]:
    return {"MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_API_BASE": server.url}


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:6]


def test_the_one_naming_rule() -> None:
    choices = [("bot_1", "ops-runner"), ("bot_2", "Ops-Runner-2"), ("bot_3", "release-notes")]
    assert pick_named("bot_3", choices, kind="bot") == "bot_3"
    assert pick_named("ops-runner", choices, kind="bot") == "bot_1"
    assert pick_named("RELEASE-NOTES", choices, kind="bot") == "bot_3"  # case aside
    # a piece of a name only for lookups, and only when it names one bot
    with pytest.raises(UnknownName, match="no bot named 'release'"):
        pick_named("release", choices, kind="bot")
    assert pick_named("release", choices, kind="bot", partial=True) == "bot_3"
    with pytest.raises(AmbiguousName, match="2 bots answer to 'ops'"):
        pick_named("ops", choices, kind="bot", partial=True)
    with pytest.raises(NotFoundError):  # an unknown name is a 404 to every caller
        pick_named("nobody", choices, kind="bot")
    with pytest.raises(UnknownName):
        pick_named("  ", choices, kind="bot", partial=True)


def test_bots_create_update_get_delete_by_name(as_admin, client, unique, tmp_path) -> None:
    name = f"cli-made-{unique}"
    made = monstrum("bots", "create", "--name", name, "--description", "made by the CLI",
                    "--operation", "files.read,files.search", "--status", "paused",
                    env=as_admin)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"created {name} (bot_") and "paused" in made.stdout
    bot = next(b for b in client.bots.list() if b.name == name)
    assert bot.allowed_operations == ["files.read", "files.search"]
    assert bot.model == "scripted" and bot.description == "made by the CLI"

    res = client.resources.create(type="filesystem", name=f"cli-res-{unique}",
                                  config={"root": str(tmp_path)})
    bindings = f"[{{resource_id: {res.id}, allowed_tools: [read_file], " \
               "scope_constraints: {paths: ['docs/*']}}]"
    updated = monstrum("bots", "update", name, "--status", "active", "--bindings", bindings,
                       env=as_admin)
    assert updated.returncode == 0, updated.stderr
    fresh = client.bots.get(bot_id=bot.id)
    assert fresh.status == "active" and fresh.description == "made by the CLI"  # kept
    assert fresh.resource_bindings[0].resource_id == res.id
    assert fresh.resource_bindings[0].scope_constraints == {"paths": ["docs/*"]}

    got = monstrum("bots", "get", name, env=as_admin)
    assert got.returncode == 0 and json.loads(got.stdout)["id"] == bot.id
    # resources by name too
    shown = monstrum("resources", "get", f"cli-res-{unique}", env=as_admin)
    assert shown.returncode == 0 and res.id in shown.stdout and name in shown.stdout

    nothing = monstrum("bots", "update", name, env=as_admin)
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    bad = monstrum("bots", "update", name, "--bindings", "[{resource_id: [", env=as_admin)
    assert bad.returncode == 2 and "--bindings is not valid YAML or JSON" in bad.stderr
    assert "Traceback" not in bad.stderr
    refused = monstrum("bots", "update", name, "--bindings",
                       "[{resource_id: res_nope, allowed_tools: [x]}]", env=as_admin)
    assert refused.returncode == 1 and "res_nope" in refused.stderr  # the server's 422

    gone = monstrum("bots", "delete", name, env=as_admin)
    assert gone.returncode == 0 and gone.stdout.strip() == f"deleted {name} ({bot.id})"
    client.resources.delete(resource_id=res.id)


def test_unknown_names_are_errors_never_empty_results(as_admin, unique) -> None:
    for args in (
        ("bots", "get", f"nobody-{unique}"),
        ("bots", "delete", f"nobody-{unique}"),
        ("tasks", "list", "--bot", f"nobody-{unique}"),
        ("audit", "list", "--bot", f"nobody-{unique}"),
        ("audit", "list", "--resource", f"No such resource {unique}"),
        ("resources", "get", f"nobody-{unique}"),
    ):
        out = monstrum(*args, env=as_admin)
        assert out.returncode == 1, args
        assert "not_found" in out.stderr and f"{unique}" in out.stderr, args
        assert out.stdout == "", args  # no empty table that reads as "nothing happened"


def test_audit_and_tasks_take_names_and_show_them(as_admin, client, unique, tmp_path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    res = client.resources.create(type="filesystem", name=f"Docs folder {unique}",
                                  config={"root": str(tmp_path)})
    bot = client.bots.create(
        name=f"cli-named-{unique}", allowed_operations=["files.read"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["read_file"],
                            "scope_constraints": {"paths": ["*"]}}],
    )
    task = client.tasks.run(bot_id=bot.id, input='call read_file {"path": "a.txt"}')
    listed = monstrum("audit", "list", "--resource", f"Docs folder {unique}", "--bot",
                      bot.name, env=as_admin)
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()[1:]
    assert len(rows) == 1 and f"{bot.name} ({bot.id})" in rows[0] and res.id in rows[0]
    tasks = monstrum("tasks", "list", "--bot", bot.name, env=as_admin)
    assert task.id in tasks.stdout and f"{bot.name} ({bot.id})" in tasks.stdout


@pytest.mark.parametrize("command", ["watch", "run"])
def test_ctrl_c_while_following_is_clean(as_admin, client, unique, command) -> None:
    bot = client.bots.create(name=f"cli-ctrl-c-{unique}")
    task = client.tasks.create(bot_id=bot.id, input="say hello\nwait 60")
    args = (["tasks", "watch", task.id] if command == "watch" else
            ["tasks", "run", "--bot", bot.name, "--input", "say hello\nwait 60", "--follow"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "monstrum_tui.cli", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, **as_admin},
    )
    try:
        # wait for the first event line: the stream is open, the loop waits for more
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("[1] started")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        for t in client.tasks.list(bot_id=bot.id):
            if t.status in ("queued", "running"):
                client.tasks.cancel(task_id=t.id)
    assert proc.returncode == 130
    assert "stopped watching; task" in err and "goes on" in err
    for noise in ("Traceback", "RuntimeError", "Task was destroyed", "asynchronous generator"):
        assert noise not in err, err
