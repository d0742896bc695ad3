"""The order of one tool call, seen from outside the real server: the policy is read for
every call (a binding changed mid-task applies to the very next call), the audit entry
exists, ``pending``, while the executor runs, and holds the outcome after.

The upstream the call reaches asks the platform's own API what the audit log says
about the call it is serving, while serving it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from tests.attack_server import Api, call_line
from tests.attack_upstream import HostileUpstream, SeenRequest, echo_json
from tests.serverproc import ServerProcess

MANIFEST = """\
name: ordered
version: 1.0.0
resource_type: {id: ordered, name: Ordered}
config_schema:
  - {field: api_base, type: url, required: true}
tools:
  - name: ping
    operation: o.write
    input_schema: {type: object, properties: {n: {type: string}}, required: [n]}
    http: {method: POST, path: /ping, query: {n: "{params.n}"}}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    s = ServerProcess(data_dir=tmp_path / "data", extra_args=["--rate-limit", "0"])
    s.start()
    yield s
    s.stop()


def test_entry_is_pending_while_the_call_runs_and_a_binding_change_applies_to_the_next_call(
    server: ServerProcess,
) -> None:
    admin = Api(server, server.admin_key)
    seen_in_flight: dict[str, dict[str, Any]] = {}
    bot: dict[str, str] = {}  # filled in once made

    def respond(seen: SeenRequest) -> tuple[int, str, bytes]:
        n = parse_qs(seen.query)["n"][0]
        newest = httpx.get(f"{server.url}/v1/audit", headers=admin.headers, timeout=30,
                           params={"tool_name": "ping", "limit": 1}).json()["data"][0]
        seen_in_flight[n] = newest
        if n == "b":  # take the resource away while the task runs
            httpx.patch(f"{server.url}/v1/bots/{bot['id']}", headers=admin.headers,
                        timeout=30, json={"resource_bindings": []}).raise_for_status()
        return echo_json(seen)

    upstream = HostileUpstream(respond)
    try:
        assert admin.request("POST", "/v1/integrations", content=MANIFEST).status_code == 201
        res = admin.ok("POST", "/v1/resources", json={
            "type": "ordered", "name": "ordered", "config": {"api_base": upstream.url}})
        bot["id"] = admin.ok("POST", "/v1/bots", json={
            "name": "ordered", "model": "scripted", "allowed_operations": ["*"],
            "resource_bindings": [{"resource_id": res["id"], "allowed_tools": ["ping"]}],
        })["id"]
        task, _ = admin.run(bot["id"], [call_line("ping", {"n": n}) for n in "abc"])
    finally:
        upstream.close()

    assert task["status"] == "completed"
    # a and b ran; each one's entry was there, pending, while the upstream served it
    assert sorted(seen_in_flight) == ["a", "b"]
    for n, entry in seen_in_flight.items():
        assert entry["params"] == {"n": n} and entry["status"] == "pending", entry
    entries = {e["params"]["n"]: e for e in admin.audit(task_id=task["id"])}
    assert entries["a"]["status"] == entries["b"]["status"] == "success"
    assert entries["a"]["id"] == seen_in_flight["a"]["id"]
    # c was decided on the binding as changed during b: denied, never sent upstream
    assert entries["c"]["status"] == "denied"
    assert [parse_qs(r.query)["n"][0] for r in upstream.requests] == ["a", "b"]
    assert entries["c"]["decision"]["allowed"] is False


def test_a_resource_row_that_cannot_be_read_is_not_offered_and_its_call_is_a_denial(
    server: ServerProcess,
) -> None:
    """The policy is read straight off the database for every call: a resource whose
    stored config is not JSON (edited in the database) fails closed, as a denial on the
    audit log, and the task goes on."""
    import sqlite3

    from tests.databases import on_postgresql

    if on_postgresql():
        pytest.skip("edits the SQLite file under the server")
    admin = Api(server, server.admin_key)
    upstream = HostileUpstream(echo_json)
    try:
        assert admin.request("POST", "/v1/integrations", content=MANIFEST).status_code == 201
        res = admin.ok("POST", "/v1/resources", json={
            "type": "ordered", "name": "ordered", "config": {"api_base": upstream.url}})
        bot = admin.ok("POST", "/v1/bots", json={
            "name": "unreadable", "model": "scripted", "allowed_operations": ["*"],
            "resource_bindings": [{"resource_id": res["id"], "allowed_tools": ["ping"]}],
        })
        with sqlite3.connect(server.data_dir / "monstrum.db") as db:
            db.execute("UPDATE resources SET config = '{not json' WHERE id = ?", (res["id"],))
        task, _ = admin.run(bot["id"], [call_line("ping", {"n": "x"}), "say done"])
    finally:
        upstream.close()
    assert task["status"] == "completed", task
    [entry] = admin.audit(task_id=task["id"])
    assert entry["status"] == "denied" and entry["decision"]["allowed"] is False, entry
    assert upstream.requests == []
