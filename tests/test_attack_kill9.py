"""kill -9 in the middle of tool calls, several times, on one data dir: every request the
upstream saw has its audit entry (its outcome, or ``unknown`` for a call in flight at the
kill), none is left ``pending`` after the restart, and the chain verifies.

Issue 8 hole 5: the entry used to be written after the executor returned, so 8 of 74
executed calls had no entry after three kills.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.attack_server import Api, call_line, verify_offline
from tests.attack_upstream import HostileUpstream, SeenRequest, echo_json
from tests.serverproc import ServerProcess

MANIFEST = """\
name: counted
version: 1.0.0
resource_type: {id: counted, name: Counted}
config_schema:
  - {field: api_base, type: url, required: true}
tools:
  - name: ping
    operation: c.write
    input_schema: {type: object, properties: {n: {type: string}}, required: [n]}
    http: {method: POST, path: /ping, query: {n: "{params.n}"}}
"""
KILLS = 3
TASKS = 4
CALLS = 30


def _slow_echo(seen: SeenRequest) -> tuple[int, str, bytes]:
    time.sleep(0.02)  # long enough that a kill often lands while a call is in flight
    return echo_json(seen)


@pytest.fixture
def upstream() -> Iterator[HostileUpstream]:
    u = HostileUpstream(_slow_echo)
    yield u
    u.close()


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_kill_9_mid_run_loses_no_audit_entry(tmp_path: Path, upstream: HostileUpstream) -> None:
    server = ServerProcess(data_dir=tmp_path / "data",
                           extra_args=["--rate-limit", "0", "--max-running-per-bot", "8"])
    server.start()
    admin = Api(server, server.admin_key)
    assert admin.request("POST", "/v1/integrations", content=MANIFEST).status_code == 201
    res = admin.ok("POST", "/v1/resources", json={"type": "counted", "name": "counted",
                                                  "config": {"api_base": upstream.url}})
    bot = admin.ok("POST", "/v1/bots", json={
        "name": "pinger", "model": "scripted", "allowed_operations": ["*"],
        "resource_bindings": [{"resource_id": res["id"], "allowed_tools": ["*"]}]})["id"]
    try:
        for round_ in range(KILLS):
            if round_:
                server.start()
            before = len(upstream.requests)
            for t in range(TASKS):
                lines = [call_line("ping", {"n": f"r{round_}-t{t}-c{c}"}) for c in range(CALLS)]
                admin.ok("POST", "/v1/tasks", json={"bot_id": bot, "input": "\n".join(lines)})
            # kill it once it is well into the calls, with several tasks running at once
            enough = before + 12 + 5 * round_
            _wait_for(lambda: len(upstream.requests) >= enough)  # noqa: B023
            server.stop(kill=True)
        server.start()
        # the interrupted tasks are taken over and go on: let them all finish first
        _wait_for(lambda: all(
            t["status"] in ("completed", "failed", "cancelled")
            for t in admin.ok("GET", "/v1/tasks", params={"limit": 100})["data"]
        ), timeout=120)
        entries = admin.audit()
        tasks = admin.ok("GET", "/v1/tasks", params={"limit": 100})["data"]
    finally:
        server.stop()

    sent = [parse_qs(r.query)["n"][0] for r in upstream.requests]
    assert len(sent) >= KILLS * 12 and len(set(sent)) == len(sent)
    by_n = {e["params"]["n"]: e for e in entries}
    missing = [n for n in sent if n not in by_n]
    assert not missing, f"{len(missing)} executed call(s) have no audit entry: {missing}"
    statuses = {n: by_n[n]["status"] for n in sent}
    assert set(statuses.values()) <= {"success", "error", "unknown"}, statuses
    assert not [e for e in entries if e["status"] == "pending"]
    unknown = [e for e in entries if e["status"] == "unknown"]
    # at most the calls in flight at each kill: one per task running then (the tasks of
    # every round so far, since interrupted tasks are taken over and go on)
    assert len(unknown) <= TASKS * KILLS * (KILLS + 1) // 2
    for entry in unknown:
        assert "outcome unknown" in entry["reason"]
    # the tasks the kills interrupted were taken over and resumed, none run twice
    assert {t["status"] for t in tasks} == {"completed"}
    assert any("resumed after" in (t["output"] or "") for t in tasks)
    for t in range(TASKS):  # every call of every task ran exactly once, or is unknown
        for round_ in range(KILLS):
            ns = [f"r{round_}-t{t}-c{c}" for c in range(CALLS)]
            assert all(n in by_n for n in ns), [n for n in ns if n not in by_n]
    done = verify_offline(server.data_dir)
    assert done.returncode == 0, done.stderr
