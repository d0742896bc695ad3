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
        assert set(bots) == {"release-notes", "ops-runner", "triage-assistant", "notes-keeper"}
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
    # a restart neither seeds again nor duplicates the built-in integrations
    server.stop()
    server.start()
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        assert len(list(c.resources.list())) == 3
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
