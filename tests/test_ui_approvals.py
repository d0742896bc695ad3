"""The Approvals screen, the header's count and toast, and approve/reject from a task pane,
driven with the pilot against a real server; snapshots at 80x24 and 120x36."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label

import monstrum
from monstrum_tui.client.models import Approval
from monstrum_tui.ui import app as app_module
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens import approvals as approvals_screen
from monstrum_tui.ui.screens.approval_decision import ApprovalDecisionScreen
from monstrum_tui.ui.screens.approvals import ApprovalsLoaded, ApprovalsScreen
from monstrum_tui.ui.widgets.keyed_table import KeyedTable
from monstrum_tui.ui.widgets.task_pane import TaskPane
from tests.ui_pilot import screen_text, wait_until

LINE = 'call run_command {"command": "echo", "args": ["%s"]}'


@pytest.fixture
def gated(new_server, tmp_path: Path):
    """A server with a bot whose every call waits for approval, and two waiting tasks."""
    srv = new_server("--rate-limit", "0")
    folder = tmp_path / "work"
    folder.mkdir()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        res = c.resources.create(type="shell", name="ui-shell", id="res_ui_shell", config={
            "allowed_commands": ["echo"], "working_dir": str(folder)})
        bot = c.bots.create(name="gated-bot", allowed_operations=["shell.exec"],
                            resource_bindings=[{
                                "resource_id": res.id, "allowed_tools": ["run_command"],
                                "scope_constraints": {"commands": ["echo"]},
                                "require_approval": {"tools": ["run_command"],
                                                     "timeout_s": 900}}])
        tasks = [c.tasks.create(bot_id=bot.id, input=LINE % word) for word in ("one", "two")]
        deadline = time.monotonic() + 60
        while len(list(c.approvals.list(status="pending"))) < 2:
            assert time.monotonic() < deadline, "the tasks never asked for approval"
            time.sleep(0.1)
    return srv, bot, tasks


def make_app(srv, **kw) -> MonstrumApp:
    return MonstrumApp(api_base=srv.url, api_key=srv.admin_key, watch_terminal=False, **kw)


def _table(app) -> KeyedTable:
    return app.screen.query_one(KeyedTable)


async def test_approve_and_reject_from_the_approvals_screen(gated) -> None:
    srv, _, tasks = gated
    app = make_app(srv, initial_screen="approvals")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen)
                         and _table(app).row_count == 2)
        await wait_until(pilot, lambda: app.pending_approvals == 2)
        header = app.screen.query_one("#header-approvals", Label)
        assert "2 approvals" in str(header.render())
        assert any("wait for approval" in n.message for n in app._notifications)
        text = screen_text(app)
        assert "run_command" in text and "pending" in text
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalDecisionScreen))
        app.screen.query_one(Input).value = "looks harmless"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen)
                         and _table(app).row_count == 1)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalDecisionScreen))
        await pilot.press("escape")  # cancel: nothing is decided
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen))
        assert _table(app).row_count == 1
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalDecisionScreen))
        await pilot.press(*"no", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen)
                         and _table(app).row_count == 0)
        await wait_until(pilot, lambda: not app.pending_approvals, limit=20)
        await pilot.press("f")  # all approvals: both decided ones are listed
        await wait_until(pilot, lambda: _table(app).row_count == 2)
        # rows are in the table a frame before they are painted: wait for what a user sees
        await wait_until(pilot, lambda: "approved" in screen_text(app)
                         and "rejected" in screen_text(app))
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        done = [c.tasks.wait(t.id) for t in tasks]
        assert sorted(t.denials for t in done) == [0, 1]
        approvals = {a.status: a for a in c.approvals.list()}
        assert approvals["approved"].decision_reason == "looks harmless"
        assert approvals["rejected"].decision_reason == "no"


async def test_a_read_only_key_sees_approvals_but_cannot_decide(gated) -> None:
    srv, _, _ = gated
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        key = c.api_keys.create(name="viewer", scopes=["approvals:read", "bots:read"])
    app = MonstrumApp(api_base=srv.url, api_key=key.secret, watch_terminal=False,
                      initial_screen="approvals")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen)
                         and _table(app).row_count == 2)
        await wait_until(pilot, lambda: app.connection.read_only)
        await pilot.press("a")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ApprovalDecisionScreen)


async def test_the_task_pane_approves_the_call_its_task_waits_on(gated) -> None:
    srv, _, tasks = gated
    app = make_app(srv, initial_screen="tasks")
    async with app.run_test(size=(120, 36)) as pilot:
        from monstrum_tui.ui.messages import OpenTaskRequested

        await wait_until(pilot, lambda: app.current_mode == "tasks")
        app.screen.post_message(OpenTaskRequested(tasks[0].id))
        await wait_until(pilot, lambda: bool(app.screen.query(TaskPane)))
        pane = app.screen.query_one(TaskPane)
        await wait_until(pilot, lambda: pane.waiting_approval is not None)
        assert "waiting for approval" in screen_text(app)
        pane.event_log.focus()
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalDecisionScreen))
        await pilot.press(*"ok", "enter")
        await wait_until(pilot, lambda: pane.status == "completed", limit=30)
        assert pane.waiting_approval is None
        assert "approved by admin" in screen_text(app)


def _fixed(approvals: list[Approval]) -> list[Approval]:
    now = datetime.now(timezone.utc)
    base = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    return [
        a.model_copy(update={
            "id": f"apr_{i:018d}", "bot_id": "bot_000000000000000001",
            "task_id": f"task_{i:017d}", "audit_id": f"aud_{i:018d}", "created_at": base,
            "expires_at": now + timedelta(seconds=930 + i * 60),
        })
        for i, a in enumerate(sorted(approvals, key=lambda a: a.params["args"][0]))
    ]


def _snapshot_before(size: tuple[int, int]):
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen)
                         and _table(app).row_count == 2)
        await wait_until(pilot, lambda: app.pending_approvals == 2)
        screen = app.screen
        screen.post_message(ApprovalsLoaded(_fixed(list(screen.approvals.values()))))
        await pilot.pause(0.2)
        app.screen.query_one("#header-server", Label).update("http://127.0.0.1:8400")
        app.clear_notifications()
        await pilot.pause(0.2)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_approvals(gated, snap_compare, monkeypatch, size) -> None:
    # no refresh while the screenshot is taken: the masked rows stay as they are
    monkeypatch.setattr(approvals_screen, "POLL_SECONDS", 3600.0)
    monkeypatch.setattr(app_module, "APPROVALS_POLL", 3600.0)
    srv, _, _ = gated
    assert snap_compare(make_app(srv, initial_screen="approvals"), terminal_size=size,
                        run_before=_snapshot_before(size))


async def test_the_audit_filter_offers_would_deny_and_shows_shadow_runs(new_server, tmp_path):
    from monstrum_tui.ui.screens.audit import AuditScreen
    from tests.test_ui_audit import apply_filters, audit_loaded, shown_entries

    srv = new_server("--rate-limit", "0")
    folder = tmp_path / "shadow"
    folder.mkdir()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        res = c.resources.create(type="shell", name="shadow-shell", config={
            "allowed_commands": ["echo", "date"], "working_dir": str(folder)})
        bot = c.bots.create(name="shadowed", allowed_operations=["shell.exec"], enforce="log_only",
                            resource_bindings=[{"resource_id": res.id,
                                                "allowed_tools": ["run_command"],
                                                "scope_constraints": {"commands": ["echo"]}}])
        c.tasks.run(bot_id=bot.id, input='call run_command {"command": "echo"}\n'
                                         'call run_command {"command": "date"}')
    app = make_app(srv, initial_screen="audit")
    async with app.run_test(size=(120, 36)) as pilot:
        await audit_loaded(pilot)
        assert isinstance(app.screen, AuditScreen)
        # a value the Select does not offer would raise here
        await apply_filters(pilot, status="would_deny", time="all")
        rows = shown_entries(app)
        assert [e.status for e in rows] == ["would_deny"]
        assert "would_deny" in screen_text(app)


async def test_params_that_hide_or_reorder_text_are_shown_escaped(gated) -> None:
    """A hostile model writes params an approver must read right: a right-to-left
    override (U+202E) makes a terminal draw 'rm -rf /\u202etxt.lmth' as something else, a
    zero-width space or a C1 control hides characters. The Approvals screen and the
    decision dialog show each as a visible escape."""
    srv, bot, _ = gated
    tricky = "report\u202egnp.exe\u200b\x85"
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        c.tasks.create(bot_id=bot.id, input="call run_command " + json.dumps(
            {"command": "echo", "args": [tricky]}))
        deadline = time.monotonic() + 60
        while len(list(c.approvals.list(status="pending"))) < 3:
            assert time.monotonic() < deadline, "the task never asked for approval"
            time.sleep(0.1)
    app = make_app(srv, initial_screen="approvals")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen)
                         and _table(app).row_count == 3)
        await pilot.press("down", "down")  # the newest is listed last
        await wait_until(pilot, lambda: "gnp.exe" in screen_text(app))
        text = screen_text(app)
        for hidden in ("\u202e", "\u200b", "\x85"):
            assert hidden not in text
        assert "\\u202e" in text
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalDecisionScreen))
        await wait_until(pilot, lambda: "gnp.exe" in screen_text(app))
        text = screen_text(app)
        assert "\u202e" not in text and "\\u202e" in text
        await pilot.press("escape")
