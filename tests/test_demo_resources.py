"""The demo workspace: a folder of files, filesystem and shell resources, bound demo bots."""

from __future__ import annotations

import monstrum


def test_demo_seeds_resources_and_binds_the_demo_bots(new_server) -> None:
    server = new_server("--demo")
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        resources = {r.id: r for r in c.resources.list()}
        assert set(resources) == {"res_demo_files", "res_demo_shell", "res_demo_notes"}
        files, shell = resources["res_demo_files"], resources["res_demo_shell"]
        root = server.data_dir / "demo-workspace"
        assert files.type == "filesystem" and files.config["root"] == str(root)
        assert (root / "README.md").is_file() and (root / "CHANGELOG.md").is_file()
        assert any((root / "incidents").iterdir())
        assert shell.config["allowed_commands"][:3] == ["echo", "date", "uname"]
        assert shell.config["working_dir"] == str(root)
        bots = {b.name: b for b in c.bots.list()}
        assert set(bots) == {"release-notes", "ops-runner", "triage-assistant", "notes-keeper",
                             "incident-summarizer"}
        by_bot = {b.bot_name: b for b in files.bindings + shell.bindings}
        assert by_bot["release-notes"].scope_constraints == {"paths": ["*"]}
        assert by_bot["release-notes"].tools == ["list_files", "read_file"]
        assert by_bot["triage-assistant"].scope_constraints == {
            "paths": ["incidents/*", "docs/*"]}
        assert by_bot["ops-runner"].scope_constraints == {"commands": ["echo", "date", "uname"]}
        # the demo works offline: a task reads a file through the governed tools
        task = c.tasks.run(bot_id=bots["release-notes"].id,
                           input='call read_file {"path": "CHANGELOG.md"}')
        assert task.status == "completed"
        denied = c.bots.authorize(bot_id=bots["ops-runner"].id, tool="run_command",
                                  params={"command": "cat", "args": ["README.md"]})
        assert not denied.allowed and denied.message == "command cat is not allowed for this bot"
        history = list(c.tasks.list())
    # a restart neither seeds again nor duplicates the built-in integrations
    server.stop()
    server.start()
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        assert len(list(c.resources.list())) == 3
        assert len(list(c.tasks.list())) == len(history)  # the history ran once
        names = [i.name for i in c.integrations.list()]
        assert names.count("filesystem") == 1 and names.count("shell") == 1


def test_demo_notes_run_on_the_shipped_mcp_server_and_deleting_waits_for_approval(
    new_server,
) -> None:
    import time

    server = new_server("--demo")
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        notes = c.resources.get("res_demo_notes")
        assert notes.type == "notes" and notes.credentials_set == ["token"]
        assert {t.name for t in notes.tools} == {"list_notes", "read_note", "add_note",
                                                 "delete_note"}
        bot = next(b for b in c.bots.list() if b.name == "notes-keeper")
        task = c.tasks.run(bot_id=bot.id, input='call read_note {"title": "release-2.4.1"}')
        assert task.status == "completed" and "JPY" in (task.output or ""), task
        gated = c.tasks.create(bot_id=bot.id, input='call delete_note {"title": "ideas/search"}')
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = list(c.approvals.list(status="pending", task_id=gated.id))
            if pending:
                break
            time.sleep(0.1)
        assert pending and pending[0].tool_name == "delete_note"
        c.approvals.approve(pending[0].id, reason="stale idea")
        done = c.tasks.wait(gated.id)
        assert done.status == "completed" and done.denials == 0


def test_demo_history_is_real_and_every_state_is_there(new_server) -> None:
    """The seeded runs went through the runner: events, audit entries and a valid chain."""
    server = new_server("--demo")
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        bots = {b.id: b.name for b in c.bots.list()}
        tasks = list(c.tasks.list())
        statuses = {t.status for t in tasks}
        assert {"completed", "failed", "cancelled"} <= statuses
        assert all(t.metadata == {"source": "demo"} for t in tasks)
        failed = next(t for t in tasks if t.status == "failed")
        assert bots[failed.bot_id] == "incident-summarizer" and "OPENAI_API_KEY" in failed.error
        assert any(t.denials for t in tasks if t.status == "completed")
        for task in tasks:  # every run has its real event stream, ending in a terminal event
            events = list(c.tasks.events(task_id=task.id))
            assert events[0].type == "started" and events[-1].is_terminal
        entries = list(c.audit.list())
        assert {"success", "error", "denied"} <= {e.status for e in entries}
        ops = next(i for i, n in bots.items() if n == "ops-runner")
        denied = list(c.audit.list(bot_id=ops, resource_id="res_demo_shell", status="denied",
                                   q="deploy"))
        assert denied and all("not allowed" in e.reason for e in denied)
        verified = c.audit.verify(full=True)
        assert verified.ok and verified.checked == len(entries)
        # the Server screen's view of it: who verified, when; no path or secret in it
        info = c.server.info()
        assert info.audit.entries == len(entries) and info.audit.sealed
        assert info.audit.last_verification is not None
        assert info.audit.last_verification.by == "admin" and info.audit.last_verification.ok
        raw = c.request("GET", "/v1/server")
        text = str(raw)
        assert str(server.data_dir) not in text and "mst_" not in text and "sqlite:" not in text
