"""The Audit screen, driven with Textual's pilot against real servers.

A module server holds 3,000 entries seeded with fixed timestamps straight into its
data dir (``AuditLog.record_many``), so rows, scrolling and snapshots are
deterministic; live-tail and picker tests write to the session server's audit log
while the dashboard watches it.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select

from monstrum_tui.client.models import AuditEntry
from monstrum_tui.server.audit import AuditLog
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.audit_query import AuditQuery, BadFilter, BadTimeRange
from monstrum_tui.ui.audit_window import MAX_PAGES, PAGE_SIZE, AuditWindow, PageRequest
from monstrum_tui.ui.messages import ShowAuditRequested
from monstrum_tui.ui.screens.audit import AuditScreen
from monstrum_tui.ui.screens.audit_export_dialog import AuditExportScreen
from monstrum_tui.ui.widgets.audit_detail import AuditDetail
from monstrum_tui.ui.widgets.audit_filter_bar import AuditFilterBar
from monstrum_tui.ui.widgets.fuzzy_picker import FuzzyPicker, fuzzy_matches
from tests.serverproc import ServerProcess
from tests.ui_pilot import screen_text, wait_until

N_SEEDED = 3_000
T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
BOTS = ("bot_deploy", "bot_triage", "bot_notes")
RESOURCES = ("res_k8s", "res_files")
TOOLS = ("deploy_service", "read_file", "list_dir")
SERVER_LABEL = "http://127.0.0.1:8400"


def seeded_spec(i: int) -> dict[str, Any]:
    """Entry ``i`` (oldest first) of the fixed data set."""
    status = "denied" if i % 7 == 0 else ("error" if i % 5 == 0 else "success")
    cluster = "prod-1" if i % 2 else "staging-2"
    return {
        "timestamp": T0 + timedelta(minutes=i),
        "bot_id": BOTS[i % 3],
        "task_id": f"tsk_{i // 4:06d}",
        "resource_id": RESOURCES[i % 2],
        "tool_name": TOOLS[i % 3],
        "operation": "deploy.write" if i % 3 == 0 else "files.read",
        "params": {"cluster": cluster, "build": i},
        "status": status,
        "reason": {
            "denied": f"cluster '{cluster}' is not in the allowed clusters",
            "error": "tool failed: upstream returned 502",
            "success": "allowed",
        }[status],
        "decision": (
            {"allowed": False, "check": "scope", "dimension": "clusters",
             "param_path": "cluster", "value": cluster, "allowed_patterns": ["staging-*"],
             "message": f"cluster '{cluster}' is not in the allowed clusters"}
            if status == "denied" else {"allowed": True}
        ),
        "duration_ms": 12.5 + i % 10,
        "result_size": 1000 + i,
    }


def newest_first(predicate: Any = lambda s: True) -> list[dict[str, Any]]:
    return [s for s in (seeded_spec(i) for i in reversed(range(N_SEEDED))) if predicate(s)]


@pytest.fixture(scope="module")
def audit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("audit-ui") / "data"
    data_dir.mkdir(parents=True)
    log = AuditLog.open(f"sqlite:///{data_dir / 'monstrum.db'}")
    log.record_many(seeded_spec(i) for i in range(N_SEEDED))
    log.close()
    proc = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start()
    yield proc
    proc.stop()


def make_app(srv: ServerProcess) -> MonstrumApp:
    return MonstrumApp(api_base=srv.url, api_key=srv.admin_key, watch_terminal=False,
                       initial_screen="audit")


def audit_screen(app: MonstrumApp) -> AuditScreen:
    screen = app.screen
    assert isinstance(screen, AuditScreen), type(screen)
    return screen


def shown_ids(app: MonstrumApp) -> list[str]:
    """Ids of the rows in memory, in row order (head, then loaded pages)."""
    window = audit_screen(app).table.window
    return [e.id for e in (window.entry(r) for r in range(window.row_count)) if e is not None]


def shown_entries(app: MonstrumApp) -> list[AuditEntry]:
    window = audit_screen(app).table.window
    return [e for e in (window.entry(r) for r in range(window.row_count)) if e is not None]


def status_text(app: MonstrumApp) -> str:
    return str(app.screen.query_one("#audit-status", Label).content)


def summary_text(app: MonstrumApp) -> str:
    """The filters in force, in words (the chips show the same query)."""
    return f"filter: {audit_screen(app).audit_query.summary()}"


async def audit_loaded(pilot: Pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
    await wait_until(pilot, lambda: audit_screen(app).table.window.first_loaded)
    await pilot.pause()


async def apply_filters(pilot: Pilot, **fields: str) -> None:
    """Open the form, fill fields (by form id suffix), apply with enter, wait for rows."""
    app = pilot.app
    screen = audit_screen(app)
    await pilot.press("f")
    bar = screen.query_one(AuditFilterBar)
    assert bar.is_editing
    for name, value in fields.items():
        if name in ("status", "time"):
            bar.query_one(f"#filter-{name}", Select).value = value
        elif name in ("bot", "resource"):
            bar.query_one(f"#filter-{name}", FuzzyPicker).input.value = value
        else:
            bar.query_one(f"#filter-{name}", Input).value = value
    await pilot.pause()
    bar.query_one("#filter-q", Input).focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not bar.is_editing)
    await wait_until(pilot, lambda: screen.table.window.first_loaded)
    await pilot.pause()


# --- pure parts ----------------------------------------------------------------


def test_query_summary_and_sdk_params() -> None:
    query = AuditQuery(bot_id="bot_1", bot_label="deploy-bot", status="denied",
                       time_preset="24h", q='prod "eu"')
    assert query.summary() == 'bot=deploy-bot status=denied last 24h q="prod \\"eu\\""'
    now = datetime(2026, 2, 2, 12, tzinfo=timezone.utc)
    assert query.sdk_params(now) == {"bot_id": "bot_1", "status": "denied",
                                     "start_time": "2026-02-01T12:00:00Z", "q": 'prod "eu"'}
    custom = AuditQuery(time_preset="custom", start="2026-01-01", end="2026-01-02T00:00:00Z")
    assert custom.summary() == "from 2026-01-01 to 2026-01-02T00:00:00Z"
    assert custom.sdk_params()["start_time"] == "2026-01-01T00:00:00Z"
    assert AuditQuery().summary() == "all entries"
    with pytest.raises(BadTimeRange, match="start: not an ISO 8601 time: 'soon'"):
        AuditQuery(time_preset="custom", start="soon").checked()
    with pytest.raises(BadTimeRange, match="end: '2026-01-01' is not after start"):
        AuditQuery(time_preset="custom", start="2026-01-02", end="2026-01-01").checked()
    # 1-2 characters cannot use the trigram index: the form asks for 3
    with pytest.raises(BadFilter, match="text: at least 3 characters"):
        AuditQuery(q="ab").checked()
    assert AuditQuery(q="abc").checked().q == "abc"


def _entries(first: int, count: int) -> list[AuditEntry]:
    return [AuditEntry(id=f"aud_{n:06d}", timestamp=T0, bot_id="b", tool_name="t",
                       status="success", seq=n) for n in range(first, first - count, -1)]


def test_window_keeps_a_bounded_set_of_pages_and_refetches_by_cursor() -> None:
    window = AuditWindow(page_size=10, max_pages=3)
    (first,) = window.wanted(0, 5)
    assert first == PageRequest(window.generation, 0, None)
    window.store_page(first, _entries(1000, 10), "c1")
    for index in range(1, 8):
        (request,) = [r for r in window.wanted(index * 10, index * 10 + 5, margin=0)]
        assert request.cursor == f"c{index}"
        window.store_page(request, _entries(1000 - 10 * index, 10), f"c{index + 1}",
                          visible={index})
        assert len(window.pages) <= 3 and 0 in window.pages and index in window.pages
    assert window.row_count == 90  # 8 pages known plus one page that is known to exist
    assert window.entry(15) is None  # evicted; asking again fetches it from its cursor
    (again,) = window.wanted(15, 15, margin=0)
    assert again.cursor == "c1"
    # live-tail arrivals go on top; stale answers after a reset are ignored
    assert window.prepend(_entries(1002, 2)) and window.entry(0).id == "aud_001002"
    assert window.newest.id == "aud_001002"
    assert not window.prepend(_entries(5000, 2000))  # past the head's bound
    window.reset()
    assert not window.store_page(again, _entries(990, 10), "c2")


def test_fuzzy_matches_rank_names_and_ids() -> None:
    choices = [("bot_a1", "deploy-bot"), ("bot_b2", "release-notes"), ("bot_c3", "triage")]
    assert fuzzy_matches("dpl", choices)[0] == ("bot_a1", "deploy-bot")
    assert fuzzy_matches("rnotes", choices)[0] == ("bot_b2", "release-notes")
    assert fuzzy_matches("bot_c", choices)[0] == ("bot_c3", "triage")
    assert fuzzy_matches("zzz", choices) == []


# --- the screen ----------------------------------------------------------------


async def test_filters_change_rows_and_summary_and_are_remembered(audit_server) -> None:
    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        assert summary_text(app) == "filter: all entries"
        newest = newest_first()
        assert [e.timestamp for e in shown_entries(app)[:PAGE_SIZE]] == [
            s["timestamp"] for s in newest[:PAGE_SIZE]]

        await apply_filters(pilot, bot="bot_triage", status="denied", q="prod")
        want = newest_first(lambda s: s["bot_id"] == "bot_triage" and s["status"] == "denied"
                            and s["params"]["cluster"] == "prod-1")
        assert summary_text(app) == 'filter: bot=bot_triage status=denied q="prod"'
        await wait_until(pilot, lambda: audit_screen(app).table.window.complete)
        rows = shown_entries(app)
        assert [(e.timestamp, e.bot_id, e.status) for e in rows] == [
            (s["timestamp"], s["bot_id"], s["status"]) for s in want]
        assert f"{len(want)} entries" in status_text(app)

        await apply_filters(pilot, tool="list_dir", resource="res_k8s")
        assert summary_text(app) == (
            'filter: bot=bot_triage resource=res_k8s tool=list_dir status=denied q="prod"')
        assert shown_ids(app) == []  # bot_triage never calls list_dir
        assert "no entries match these filters" in screen_text(app)

        # a custom range (end exclusive), the other filters cleared
        await pilot.press("c")
        await wait_until(pilot, lambda: summary_text(app) == "filter: all entries")
        await apply_filters(pilot, start="2025-03-01T00:10:00Z", end="2025-03-01T00:20:00Z")
        assert summary_text(app) == (
            "filter: from 2025-03-01T00:10:00Z to 2025-03-01T00:20:00Z")
        assert [e.params["build"] for e in shown_entries(app)] == list(range(19, 9, -1))

        # a relative preset: the seeded data is from 2025, so nothing in the last 24h
        await apply_filters(pilot, time="24h")
        assert summary_text(app) == "filter: last 24h"
        assert shown_ids(app) == [] and "0 entries" in status_text(app)

        # leaving and coming back keeps the filters
        await apply_filters(pilot, time="all", status="error", bot="bot_notes")
        ids = shown_ids(app)
        assert ids and all(e.status == "error" for e in shown_entries(app))
        await pilot.press("1")
        await wait_until(pilot, lambda: app.current_mode == "bots")
        await pilot.press("4")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
        assert summary_text(app) == "filter: bot=bot_notes status=error"
        assert shown_ids(app)[:20] == ids[:20]


async def test_bad_custom_time_range_is_named_and_nothing_applied(audit_server) -> None:
    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        before = shown_ids(app)[:10]
        screen = audit_screen(app)
        bar = screen.query_one(AuditFilterBar)
        await pilot.press("f")
        bar.query_one("#filter-start", Input).value = "yesterday"
        await pilot.pause()
        bar.query_one("#filter-start", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        error = bar.query_one("#audit-filter-error", Label)
        assert "start: not an ISO 8601 time: 'yesterday'" in str(error.content)
        assert error.has_class("-shown") and bar.is_editing
        assert "yesterday" in screen_text(app)
        bar.query_one("#filter-start", Input).value = "2025-03-02T00:00:00Z"
        bar.query_one("#filter-end", Input).value = "2025-03-01"
        await pilot.press("enter")
        await pilot.pause()
        assert "end: '2025-03-01' is not after start" in str(error.content)
        assert bar.query_one("#filter-end", Input).has_focus
        bar.query_one("#filter-end", Input).value = ""
        bar.query_one("#filter-start", Input).value = ""
        bar.query_one("#filter-q", Input).value = "ro"
        bar.query_one("#filter-q", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "text: at least 3 characters" in str(error.content)
        assert bar.query_one("#filter-q", Input).has_focus and bar.is_editing
        await pilot.press("escape")
        await wait_until(pilot, lambda: not bar.is_editing)
        assert summary_text(app) == "filter: all entries"
        assert shown_ids(app)[:10] == before


async def test_scrolling_far_pages_in_rows_within_a_bounded_window(audit_server) -> None:
    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        screen = audit_screen(app)
        table, window = screen.table, screen.table.window
        most = 0
        # each `end` goes to the last row known; its page loads and shows the next cursor
        while not window.complete:
            known = window.row_count
            await pilot.press("end")
            await wait_until(pilot, lambda k=known: window.row_count != k or window.complete)
            most = max(most, window.loaded_rows)
        await pilot.press("end")  # the last page may have come in ahead, as a neighbour
        await wait_until(pilot, lambda: table.current_entry is not None)
        assert window.row_count == N_SEEDED
        assert most <= MAX_PAGES * PAGE_SIZE and window.loaded_rows <= MAX_PAGES * PAGE_SIZE
        oldest = table.current_entry
        assert oldest.timestamp == T0 and oldest.params == {"cluster": "staging-2", "build": 0}
        assert "03-01 00:00:00" in screen_text(app)  # no year at 80 columns
        # back to the middle: that page was dropped, and is read again from its cursor
        assert window.entry(1_500) is None
        table.move_cursor(1_500)
        await wait_until(pilot, lambda: table.current_entry is not None)
        assert table.current_entry.params["build"] == N_SEEDED - 1 - 1_500
        await pilot.press("home")
        assert table.current_entry.params["build"] == N_SEEDED - 1
        assert window.loaded_rows <= MAX_PAGES * PAGE_SIZE


async def test_detail_pane_shows_the_whole_entry(audit_server) -> None:
    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        screen = audit_screen(app)
        await pilot.press("d")
        detail = screen.query_one(AuditDetail)
        await wait_until(pilot, lambda: detail.display and detail.entry is not None)
        await pilot.press("down", "down", "down")  # build 2996: a denial
        await wait_until(pilot, lambda: detail.entry.params["build"] == 2996)
        entry = detail.entry
        assert entry.status == "denied"
        await pilot.resize_terminal(80, 60)
        await pilot.pause()
        text = screen_text(app)
        for expected in (
            entry.id, "tsk_000749", '"cluster": "staging-2"', '"build": 2996',
            "check      scope", "dimension  clusters", "param path cluster",
            "value      staging-2", '["staging-*"]', "cluster 'staging-2' is not in the allowed",
            "18.5 ms", "3,996 bytes",
        ):
            assert expected in text, expected
        detail.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        text = screen_text(app)
        assert entry.hash in text and entry.prev_hash in text and "seq        2997" in text
        await pilot.press("d")
        await wait_until(pilot, lambda: not detail.display)


async def test_verify_reports_the_chain(audit_server) -> None:
    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        await pilot.press("v")
        await wait_until(pilot, lambda: "chain verified" in status_text(app))
        assert f"{N_SEEDED:,} entries ok" in status_text(app)
        assert "seals not checked" not in status_text(app)


async def test_export_writes_csv_and_json(audit_server, tmp_path: Path) -> None:
    want = newest_first(lambda s: s["bot_id"] == "bot_deploy" and s["status"] == "denied")
    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        await apply_filters(pilot, bot="bot_deploy", status="denied")
        for fmt in ("csv", "json"):
            target = tmp_path / f"denied.{fmt}"
            await pilot.press("e")
            await wait_until(pilot, lambda: isinstance(app.screen, AuditExportScreen))
            dialog = app.screen
            assert "bot=bot_deploy status=denied" in screen_text(app)
            dialog.query_one("#export-format", Select).value = fmt
            path_input = dialog.query_one("#export-path", Input)
            path_input.value = str(tmp_path)  # a directory: refused, named
            await pilot.press("enter")
            await pilot.pause()
            assert "is a directory" in str(dialog.query_one("#export-error", Label).content)
            path_input.value = str(target)
            await pilot.press("enter")
            await wait_until(pilot, lambda d=dialog: d.written is not None, limit=30)
            assert f"wrote {len(want)} entries" in screen_text(app)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
            if fmt == "csv":
                with target.open(newline="", encoding="utf-8") as fh:
                    rows = list(csv.DictReader(fh))
                got = [(r["timestamp"], r["bot_id"], r["status"], json.loads(r["params"]))
                       for r in rows]
                assert rows[0]["hash"] and json.loads(rows[0]["decision"])["check"] == "scope"
            else:
                data = json.loads(target.read_text(encoding="utf-8"))
                got = [(r["timestamp"], r["bot_id"], r["status"], r["params"]) for r in data]
            assert got == [
                (s["timestamp"].isoformat().replace("+00:00", "Z"), s["bot_id"], s["status"],
                 s["params"]) for s in want
            ]
            assert not list(tmp_path.glob(".*partial"))


async def test_export_refuses_an_existing_file(audit_server, tmp_path: Path) -> None:
    existing = tmp_path / "keep.csv"
    existing.write_text("mine\n")
    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditExportScreen))
        app.screen.query_one("#export-path", Input).value = str(existing)
        await pilot.press("enter")
        await pilot.pause()
        assert "already exists" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
    assert existing.read_text() == "mine\n"


def _record(server: ServerProcess, **fields: Any) -> AuditEntry:
    log = AuditLog.open(f"sqlite:///{server.data_dir / 'monstrum.db'}")
    try:
        spec = {"task_id": None, "resource_id": "res_tail", "operation": "files.read",
                "params": {"path": "/tmp"}, "status": "success", "reason": "allowed",
                "decision": {"allowed": True}, "duration_ms": 1.0, "result_size": 10}
        return log.record(**(spec | fields))
    finally:
        log.close()


async def test_live_tail_shows_new_entries_on_top(server) -> None:
    bot_id = f"bot_tail{uuid.uuid4().hex[:8]}"
    first = _record(server, bot_id=bot_id, tool_name="list_dir")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        # as a task pane would ask: the audit log narrowed to one bot
        app.post_message(ShowAuditRequested(bot_id=bot_id))
        await wait_until(pilot, lambda: summary_text(app) == f"filter: bot={bot_id}")
        await wait_until(pilot, lambda: shown_ids(app) == [first.id])
        await pilot.press("t")
        assert "live tail" in status_text(app)
        second = _record(server, bot_id=bot_id, tool_name="read_file", status="denied",
                         reason="path not allowed")
        _record(server, bot_id="bot_someone_else", tool_name="read_file")
        await wait_until(pilot, lambda: shown_ids(app) == [second.id, first.id])
        third = _record(server, bot_id=bot_id, tool_name="read_file")
        await wait_until(pilot, lambda: shown_ids(app) == [third.id, second.id, first.id])
        assert "read_file" in screen_text(app)
        await pilot.press("t")
        assert "live tail" not in status_text(app)
        _record(server, bot_id=bot_id, tool_name="read_file")
        await pilot.pause(1.5)
        assert len(shown_ids(app)) == 3


async def test_bot_picker_matches_fuzzily_and_enter_opens_the_task(server, client) -> None:
    tag = uuid.uuid4().hex[:6]
    name = f"audit-{tag}-deployer"
    bot = client.bots.create(name=name)
    entry = _record(server, bot_id=bot.id, tool_name="list_dir", task_id="tsk_from_audit")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        screen = audit_screen(app)
        picker = screen.query_one("#filter-bot", FuzzyPicker)
        await wait_until(pilot, lambda: any(i == bot.id for i, _ in picker.choices))
        await pilot.press("f")
        await pilot.press(*tag, *"dply")  # fuzzy: the letters in order
        await wait_until(pilot, lambda: picker.is_open)
        assert name in screen_text(app)
        await pilot.press("enter")  # takes the highlighted match
        assert picker.input.value == name and picker.value == bot.id
        await pilot.press("enter")  # applies
        await wait_until(pilot, lambda: summary_text(app) == f"filter: bot={name}")
        await wait_until(pilot, lambda: shown_ids(app) == [entry.id])
        assert name in screen_text(app)  # the table shows bot names once known
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_mode == "tasks")


# --- snapshots -----------------------------------------------------------------


def mask_header(app: MonstrumApp) -> None:
    app.screen.query_one("#header-server", Label).update(SERVER_LABEL)


async def snapshot_ready(pilot: Pilot) -> None:
    await audit_loaded(pilot)
    await wait_until(pilot, lambda: not any(
        w.is_running and w.group == "audit-names" for w in pilot.app.workers))
    mask_header(pilot.app)
    await pilot.pause()


def test_snapshot_audit(audit_server, snap_compare) -> None:
    assert snap_compare(make_app(audit_server), terminal_size=(80, 24),
                        run_before=snapshot_ready)


def test_snapshot_audit_detail(audit_server, snap_compare) -> None:
    async def open_detail(pilot: Pilot) -> None:
        await snapshot_ready(pilot)
        await pilot.press("down", "down", "down", "d")
        await pilot.pause(0.2)
        mask_header(pilot.app)

    assert snap_compare(make_app(audit_server), terminal_size=(80, 24), run_before=open_detail)


def test_snapshot_audit_filter_form(audit_server, snap_compare) -> None:
    async def open_form(pilot: Pilot) -> None:
        await snapshot_ready(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the snapshot flaky
        await pilot.press("f")
        await pilot.pause(0.2)
        mask_header(pilot.app)

    assert snap_compare(make_app(audit_server), terminal_size=(80, 24), run_before=open_form)



@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_snapshot_audit_query_chips(audit_server, snap_compare, size) -> None:
    """After ``/res:res_k8s status:denied staging``: chips, the fixed columns left out, the
    reasons with the room."""
    async def query(pilot: Pilot) -> None:
        await snapshot_ready(pilot)
        await pilot.press("slash", *"res:res_k8s status:denied staging", "enter")
        screen = audit_screen(pilot.app)
        await wait_until(pilot, lambda: screen.audit_query.status == "denied")
        await wait_until(pilot, lambda: screen.table.window.first_loaded)
        await pilot.pause(0.2)
        mask_header(pilot.app)

    assert snap_compare(make_app(audit_server), terminal_size=size, run_before=query)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_snapshot_audit_query_line_completing(audit_server, snap_compare, size) -> None:
    async def typing(pilot: Pilot) -> None:
        await snapshot_ready(pilot)
        line = audit_screen(pilot.app).filter_bar.query_line
        line.input.cursor_blink = False
        await pilot.press("slash", *"status:d")
        await pilot.pause(0.2)
        mask_header(pilot.app)

    assert snap_compare(make_app(audit_server), terminal_size=size, run_before=typing)


async def test_show_audit_request_from_another_screen_opens_it_filtered(audit_server) -> None:
    app = MonstrumApp(api_base=audit_server.url, api_key=audit_server.admin_key,
                      watch_terminal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.connection.usable and app.current_mode == "bots")
        app.screen.post_message(ShowAuditRequested("tsk_000010"))
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen))
        await wait_until(pilot, lambda: summary_text(app) == "filter: task=tsk_000010")
        await wait_until(pilot, lambda: audit_screen(app).table.window.complete)
        assert [e.params["build"] for e in shown_entries(app)] == [43, 42, 41, 40]


async def test_help_lists_the_audit_bindings_by_id(audit_server) -> None:
    from textual.binding import Binding

    from monstrum_tui.ui.screens.help import HelpScreen

    app = make_app(audit_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await audit_loaded(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = {row.binding_id for row in app.screen.rows}
        declared = {b.id for b in AuditScreen.BINDINGS if isinstance(b, Binding)}
        assert {"audit.filter", "audit.tail", "audit.export", "audit.verify",
                "audit.detail", "audit.open_task"} <= declared <= listed
        assert "audit.page_down" in listed  # the focused table's own keys


async def test_cancelled_export_leaves_no_file(tmp_path: Path) -> None:
    import asyncio

    from monstrum_tui.ui.audit_export import export_entries

    first_page_written = asyncio.Event()

    async def pages():
        yield _entries(10, 5)
        first_page_written.set()
        await asyncio.sleep(30)  # a slow server: the user cancels meanwhile
        yield _entries(5, 5)

    seen: list[int] = []
    target = tmp_path / "slow.json"
    task = asyncio.create_task(
        export_entries(pages(), target, "json", lambda n, _t: seen.append(n)))
    await asyncio.wait_for(first_page_written.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [5]
    assert list(tmp_path.iterdir()) == []


HOSTILE = "ok\u202etxt.exe\u200b\x1b[2J\x9b31m[b]markup[/b]"


async def test_model_text_is_shown_escaped_in_the_table_and_the_detail(server) -> None:
    """A hostile model's tool name, params and a reason quoting them: the terminal gets
    escapes for ESC, a right-to-left override, a zero-width space and a C1 control, and
    markup stays literal (nothing reorders, hides, clears or styles the screen)."""
    bot_id = f"bot_hostile{uuid.uuid4().hex[:8]}"
    entry = _record(server, bot_id=bot_id, tool_name="read\u202efile", status="denied",
                    params={"path": HOSTILE, HOSTILE: 1}, reason=f"path '{HOSTILE}' is out")
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await audit_loaded(pilot)
        app.post_message(ShowAuditRequested(bot_id=bot_id))
        await wait_until(pilot, lambda: shown_ids(app) == [entry.id])
        await pilot.press("d")
        detail = audit_screen(app).query_one(AuditDetail)
        await wait_until(pilot, lambda: detail.display and detail.entry is not None)
        await pilot.pause()
        text = screen_text(app)
        for raw in ("\u202e", "\u200b", "\x1b", "\x9b"):
            assert raw not in text, repr(raw)
        for shown in ("read\\u202efile", "\\u202etxt.exe\\u200b\\u001b[2J\\u009b31m",
                      "[b]markup[/b]"):
            assert shown in text, shown
        # the detail's params and reason, escaped the same way
        assert text.count("\\u202etxt.exe") >= 3
