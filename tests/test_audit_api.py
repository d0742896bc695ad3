"""The audit API, SDK and CLI against a real server on a seeded data dir."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

import monstrum
from monstrum_tui.cli import main as cli_main
from monstrum_tui.client.models import AuditEntry
from monstrum_tui.server.audit import AuditLog
from monstrum_tui.server.audit.chain import canonical_json
from monstrum_tui.server.audit.seal import load_audit_key
from tests.serverproc import ServerProcess

START = datetime(2026, 1, 25, tzinfo=timezone.utc)
N = 480
BOTS = ["bot_abc123", "bot_beta", "bot_gamma"]
RESOURCES = ["res_github_prod", "res_jira", "res_aws_staging", "res_files"]


def seed_spec(i: int) -> dict[str, Any]:
    words = ["deploy", "rollback", "Status", "search"]
    return {
        # every 12 hours from late January: the guide's February window has entries
        "timestamp": START + timedelta(hours=12 * i),
        "bot_id": BOTS[i % 3],
        "task_id": f"tsk_{i // 6:04d}",
        "resource_id": RESOURCES[(i // 2) % 4],
        "tool_name": f"{RESOURCES[(i // 2) % 4][4:]}_{words[i % 4].lower()}",
        "operation": f"{words[i % 4].lower()}.run",
        "params": {"target": f"{words[i % 4]}-{i % 7}", "note": "100%_done" if i % 50 == 0
                   else "ok", "n": i},
        "status": ("success", "success", "error", "denied")[(i // 3) % 4],
        "reason": "cluster not allowed" if (i // 3) % 4 == 3 else "allowed",
        "decision": {"allowed": (i // 3) % 4 != 3},
        "duration_ms": float(i % 17),
        "result_size": i,
    }


def open_audit(proc: ServerProcess, **kwargs: Any) -> AuditLog:
    """An audit log on the server's own database (SQLite or PostgreSQL), sealed with the
    key in its data dir, as the server's is."""
    proc.data_dir.mkdir(parents=True, exist_ok=True)
    return AuditLog.open(
        proc.db_url, seal_key=load_audit_key(proc.data_dir, create=True), **kwargs
    )


def seed(proc: ServerProcess) -> None:
    audit = open_audit(proc, checkpoint_every=100)
    audit.record_many((seed_spec(i) for i in range(N)), batch_size=97)
    audit.close()


@pytest.fixture(scope="module")
def audit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("audit") / "data"
    proc = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"])
    seed(proc)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def everything(audit_server: ServerProcess) -> list[AuditEntry]:
    """Every seeded entry, newest first, read once through the SDK."""
    with monstrum.Client(api_key=audit_server.admin_key, api_base=audit_server.url) as c:
        entries = list(c.audit.list(page_size=500))
    assert len(entries) == N
    return entries


@pytest.fixture
def sdk(audit_server: ServerProcess) -> Iterator[monstrum.Client]:
    c = monstrum.Client(api_key=audit_server.admin_key, api_base=audit_server.url)
    yield c
    c.close()


def http(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30,
                        headers={"Authorization": f"Bearer {server.admin_key}"})


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


# one value per filter, chosen so that combinations still match something (or nothing)
FILTERS: dict[str, Any] = {
    "bot_id": "bot_abc123",
    "resource_id": "res_github_prod",
    "tool_name": "github_prod_deploy",
    "status": "success",
    "task_id": "tsk_0010",
    "start_time": START + timedelta(days=40),
    "end_time": START + timedelta(days=200),
    "q": "rollback",
}


def matches(entry: AuditEntry, flt: dict[str, Any]) -> bool:
    for name, value in flt.items():
        if name == "start_time" and entry.timestamp < value:
            return False
        if name == "end_time" and entry.timestamp >= value:
            return False
        if name == "q":
            text = (canonical_json(entry.params) + "\n" + entry.reason).lower()
            if value.lower() not in text:
                return False
        if name not in ("start_time", "end_time", "q") and getattr(entry, name) != value:
            return False
    return True


COMBOS = [
    dict(zip(names, (FILTERS[n] for n in names), strict=True))
    for r in (1, 2, 3)
    for names in itertools.combinations(FILTERS, r)
]


@pytest.mark.parametrize("flt", COMBOS, ids=lambda f: "+".join(f))
def test_filters_and_their_combinations_match_the_oracle(
    sdk: monstrum.Client, everything: list[AuditEntry], flt: dict[str, Any]
) -> None:
    params = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in flt.items()}
    got = [e.id for e in sdk.audit.list(**params, page_size=23)]
    want = [e.id for e in everything if matches(e, flt)]
    assert got == want
    assert len(set(got)) == len(got)


def test_the_whole_log_is_newest_first_with_complete_entries(
    everything: list[AuditEntry],
) -> None:
    seqs = [e.seq for e in everything]
    assert seqs == list(range(N, 0, -1))
    stamps = [e.timestamp for e in everything]
    assert stamps == sorted(stamps, reverse=True)
    oldest = everything[-1]
    assert oldest.params == seed_spec(0)["params"] and oldest.decision == {"allowed": True}
    assert oldest.timestamp == START and oldest.hash and oldest.prev_hash == "0" * 64


@pytest.mark.parametrize(
    "q", ["ROLLBACK", "status-3", "100%_done", "0%", "%_d", "not allowed", "zzz", "s-"]
)
def test_q_searches_params_and_reason_case_insensitively(
    sdk: monstrum.Client, everything: list[AuditEntry], q: str
) -> None:
    want = [e.id for e in everything if matches(e, {"q": q})]
    assert [e.id for e in sdk.audit.list(q=q)] == want
    # the same text with a row-driven filter takes the other path; same answer
    with_bot = [e.id for e in everything if matches(e, {"q": q, "bot_id": "bot_beta"})]
    assert [e.id for e in sdk.audit.list(q=q, bot_id="bot_beta")] == with_bot


def test_time_bounds_are_start_inclusive_end_exclusive(
    sdk: monstrum.Client, everything: list[AuditEntry]
) -> None:
    t = START + timedelta(hours=12 * 100)
    got = list(sdk.audit.list(start_time=iso(t), end_time=iso(t + timedelta(hours=36))))
    assert [e.timestamp for e in got] == [t + timedelta(hours=24), t + timedelta(hours=12), t]
    # offsets and naive datetimes (UTC) work too
    naive = t.replace(tzinfo=None)
    assert [e.id for e in sdk.audit.list(start_time=naive, end_time=naive +
                                         timedelta(hours=1))] == [got[-1].id]
    plus_two = (t + timedelta(hours=2)).astimezone(timezone(timedelta(hours=2)))
    assert [e.id for e in sdk.audit.list(start_time=plus_two.isoformat(),
                                         end_time=iso(t + timedelta(hours=13)))] == [got[1].id]


def test_the_sdk_guide_call(sdk: monstrum.Client, capsys: pytest.CaptureFixture[str]) -> None:
    client = sdk
    logs = client.audit.list(
        bot_id="bot_abc123",
        resource_id="res_github_prod",
        start_time="2026-02-01T00:00:00Z",
        end_time="2026-02-15T00:00:00Z",
    )
    for entry in logs:
        print(f"{entry.timestamp} | {entry.tool_name} | {entry.status}")
    lines = capsys.readouterr().out.splitlines()
    assert lines, "the February window has entries of that bot on that resource"
    for line in lines:
        stamp, tool, status = line.split(" | ")
        assert stamp.startswith("2026-02-") and tool.startswith("github_prod_")
        assert status in ("success", "error", "denied")


async def test_the_async_sdk_iterates_every_page(audit_server: ServerProcess) -> None:
    async with monstrum.AsyncClient(api_key=audit_server.admin_key,
                                    api_base=audit_server.url) as client:
        ids = [e.id async for e in client.audit.list(status="denied", page_size=7)]
        first = await client.audit.list(status="denied", page_size=7)
        entry = await client.audit.get(ids[0])
        verification = await client.audit.verify()
    assert len(ids) == len(set(ids)) == N // 4
    assert [e.id for e in first.data] == ids[:7] and first.next_cursor
    assert entry.id == ids[0] and entry.status == "denied"
    assert verification.ok and verification.checked == N


def test_get_returns_the_whole_entry_and_404s(
    audit_server: ServerProcess, everything: list[AuditEntry]
) -> None:
    with http(audit_server) as h:
        body = h.get(f"/v1/audit/{everything[5].id}").json()
        missing = h.get("/v1/audit/aud_nope")
    assert AuditEntry.model_validate(body) == everything[5]
    for key in ("id", "timestamp", "bot_id", "task_id", "resource_id", "tool_name",
                "operation", "params", "status", "reason", "decision", "duration_ms",
                "result_size", "hash", "prev_hash", "seq"):
        assert key in body
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_time": "yesterday"}, "start_time"),
        ({"end_time": "2026-13-01T00:00:00Z"}, "end_time"),
        ({"start_time": "2026-02-02T00:00:00Z", "end_time": "2026-02-01T00:00:00Z"},
         "end_time"),
        ({"status": "allowed"}, "status"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4Il0"}, "cursor"),
        ({"after_id": "aud_missing"}, "after_id"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"full": "maybe"}, "full"),
        # NUL ends an FTS5 string (it was a 500) and PostgreSQL cannot compare it
        ({"q": "\x00abc"}, "q"),
        ({"q": "a\x00"}, "q"),
        ({"q": "abc", "tool_name": "t\x00"}, "tool_name"),
        ({"bot_id": "\x00"}, "bot_id"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    audit_server: ServerProcess, params: dict[str, str], field: str
) -> None:
    path = "/v1/audit/verify" if field == "full" else "/v1/audit"
    with http(audit_server) as h:
        resp = h.get(path, params=params)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["type"] == "validation_error"
    assert field in [f["field"] for f in error["fields"]]
    assert field in error["message"] or field == "cursor"


def test_audit_needs_the_audit_read_scope(audit_server: ServerProcess) -> None:
    with monstrum.Client(api_key=audit_server.admin_key, api_base=audit_server.url) as admin:
        bots_only = admin.api_keys.create(name="bots-only", scopes=["bots:read"])
        auditor = admin.api_keys.create(name="auditor", scopes=["audit:read"])
    for path in ("/v1/audit", "/v1/audit/verify"):
        resp = httpx.get(audit_server.url + path,
                         headers={"Authorization": f"Bearer {bots_only.secret}"})
        assert resp.status_code == 403
        assert resp.json()["error"]["required_scope"] == "audit:read"
        ok = httpx.get(audit_server.url + path,
                       headers={"Authorization": f"Bearer {auditor.secret}"})
        assert ok.status_code == 200


def test_paging_returns_every_entry_once_while_entries_arrive(
    new_server: Any, tmp_path: Path
) -> None:
    server = new_server("--rate-limit", "0", data_dir=tmp_path / "live", before_start=seed)
    writer = open_audit(server)
    stop = threading.Event()
    written: list[str] = []

    def write() -> None:
        while not stop.is_set():
            written.append(writer.record(**{k: v for k, v in seed_spec(7).items()
                                            if k != "timestamp"}).id)

    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        newest = client.audit.list(page_size=1).first_page().data[0].id
        thread = threading.Thread(target=write)
        thread.start()
        try:
            seen = [e.id for e in client.audit.list(page_size=13)]
            bots = [e.id for e in client.audit.list(bot_id="bot_gamma", page_size=11)]
        finally:
            stop.set()
            thread.join()
        # the live tail: what arrived after the newest entry we had, newest first
        tail = [e.id for e in client.audit.list(after_id=newest, page_size=50)]
        verification = client.audit.verify()
    assert written, "the writer ran while we paged"
    assert len(seen) == len(set(seen))
    old = [i for i in seen if i not in written]
    assert len(old) == N and old[0] == newest
    assert len(set(bots)) == len(bots) == N // 3
    assert tail == list(reversed(written))
    assert verification.ok and verification.checked == N + len(written)


def test_verify_over_the_api_and_the_cli_names_a_tampered_entry(
    new_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = new_server("--rate-limit", "0", data_dir=tmp_path / "tampered", before_start=seed)
    db = create_engine(server.db_url)
    monkeypatch.setenv("MONSTRUM_API_BASE", server.url)
    monkeypatch.setenv("MONSTRUM_API_KEY", server.admin_key)
    assert cli_main(["audit", "verify"]) == 0
    assert "ok: " in capsys.readouterr().out
    with db.begin() as conn:
        victim = conn.execute(text("SELECT id FROM audit_log WHERE seq = 10")).scalar_one()
        conn.execute(text("UPDATE audit_log SET status = 'success', reason = 'allowed' "
                          "WHERE seq = 10"))  # a denial made to look allowed
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        quick = client.audit.verify(fast=True)
        assert quick.ok and quick.sealed  # from the newest checkpoint (position 400)
        result = client.audit.verify()
    assert not result.ok and result.first_bad_id == victim and result.checked == 9
    assert cli_main(["audit", "verify", "--full"]) == 1
    assert victim in capsys.readouterr().err
    # rewriting every hash after the newest checkpoint does not get past the server's key
    from tests.test_audit_chain import rewrite_from

    rewrite_from(server.db_url, 450, reason="nothing to see")
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        rewritten = client.audit.verify(fast=True)
    assert not rewritten.ok and "seal" in (rewritten.problem or "")
    with db.connect() as conn:  # each outcome is sealed: the first rewritten entry, exactly
        first_rewritten = conn.execute(
            text("SELECT id FROM audit_log WHERE seq = 450")).scalar_one()
    db.dispose()
    assert rewritten.first_bad_id == first_rewritten


def test_a_row_edited_to_the_wrong_shape_is_not_served(
    new_server: Any, tmp_path: Path
) -> None:
    """A page (or the entry itself) holding a row edited to another shape is an error, not
    that row sent with a list for its params; pages without it are still served."""
    server = new_server("--rate-limit", "0", data_dir=tmp_path / "edited", before_start=seed)
    db = create_engine(server.db_url)
    with db.begin() as conn:
        victim, task = conn.execute(
            text("SELECT id, task_id FROM audit_log WHERE seq = 470")).one()
        conn.execute(text("UPDATE audit_log SET params = '[\"smuggled\"]' WHERE seq = 470"))
    db.dispose()

    def get(path: str, **params: Any) -> httpx.Response:
        with http(server) as c:  # a connection each: the server drops one after its 500
            return c.get(path, params=params)

    newest = get("/v1/audit", limit=50)
    of_its_task = get("/v1/audit", task_id=task)
    itself = get(f"/v1/audit/{victim}")
    other_task = get("/v1/audit", task_id="tsk_0001")
    for refused in (newest, of_its_task, itself):
        assert refused.status_code == 500, refused.text
        assert refused.json()["error"]["type"] == "api_error"
        assert "smuggled" not in refused.text
    assert other_task.status_code == 200 and len(other_task.json()["data"]) == 6


def test_retention_prunes_old_entries_and_the_chain_still_verifies(
    new_server: Any, tmp_path: Path
) -> None:
    now = datetime.now(timezone.utc)
    old = [dict(seed_spec(i), timestamp=now - timedelta(days=20) + timedelta(minutes=i))
           for i in range(30)]
    recent = [dict(seed_spec(i), timestamp=now - timedelta(hours=1) + timedelta(minutes=i))
              for i in range(30, 40)]

    def seed_old_and_new(proc: ServerProcess) -> None:
        audit = open_audit(proc)
        audit.record_many(old + recent)
        audit.close()

    server = new_server("--rate-limit", "0", "--audit-retention", "7",
                        data_dir=tmp_path / "retention", before_start=seed_old_and_new)
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        import time

        deadline = time.monotonic() + 15
        while len(list(client.audit.list())) != 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        remaining = list(client.audit.list())
        result = client.audit.verify()
    assert len(remaining) == 10
    assert all(e.timestamp > now - timedelta(days=7) for e in remaining)
    assert result.ok and result.checked == 10 and result.from_anchor


def test_cli_list_formats(audit_server: ServerProcess, everything: list[AuditEntry],
                          monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MONSTRUM_API_BASE", audit_server.url)
    monkeypatch.setenv("MONSTRUM_API_KEY", audit_server.admin_key)
    want = [e for e in everything if e.bot_id == "bot_beta" and e.status == "denied"]
    assert cli_main(["audit", "list", "--bot", "bot_beta", "--status", "denied",
                     "--limit", "0", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data] == [e.id for e in want]
    assert cli_main(["audit", "list", "--tool", "jira_search", "--limit", "5",
                     "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("id,timestamp,bot_id") and len(lines) == 6
    assert cli_main(["audit", "list", "--task", "tsk_0003"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:2] == ["TIME", "(UTC)"] and len(table) == 7
    assert cli_main(["audit", "get", everything[0].id]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == everything[0].id
    assert cli_main(["audit", "list", "--since", "7d", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # the seeded log ends months ago
    assert cli_main(["audit", "list", "--since", "last tuesday"]) == 2
    assert "--since" in capsys.readouterr().err


def test_cli_list_takes_a_bot_name(audit_server: ServerProcess, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MONSTRUM_API_BASE", audit_server.url)
    monkeypatch.setenv("MONSTRUM_API_KEY", audit_server.admin_key)
    with monstrum.Client(api_key=audit_server.admin_key, api_base=audit_server.url) as c:
        bot = c.bots.create(name="audit-cli-bot", model="scripted")
        c.audit.list()  # nothing recorded for it yet
    assert cli_main(["audit", "list", "--bot", "audit-cli-bot", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli_main(["audit", "list", "--bot", "nobody-by-that-name"]) == 1
    assert "no bot named 'nobody-by-that-name'" in capsys.readouterr().err
    assert bot.id.startswith("bot_")
