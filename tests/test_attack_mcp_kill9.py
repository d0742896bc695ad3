"""kill -9 while an MCP client's calls are in flight on ``/v1/bots/{id}/mcp``.

A task's calls are settled on restart through the task (its lease, its owner); an MCP
client's have no task. They used to stay ``pending`` in the audit log for ever (never
``unknown``), and the call that waited for a person stayed an approval an approver could
still "approve", with nothing left to run it. After the restart the running call is
``unknown``, the waiting one ``denied`` (it never ran) with its approval cancelled, and
the chain verifies.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.attack_server import Api
from tests.serverproc import ServerProcess

ACCEPT = {"Accept": "application/json, text/event-stream"}


def _call(url: str, key: str, arguments: dict[str, object]) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "run_command", "arguments": arguments}}
    try:
        httpx.post(url, json=body, headers={**ACCEPT, "Authorization": f"Bearer {key}"},
                   timeout=120)
    except httpx.HTTPError:
        pass  # the server is killed under it


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_kill_9_settles_an_mcp_clients_calls_on_restart(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path / "data", extra_args=["--rate-limit", "0"])
    server.start()
    try:
        admin = Api(server, server.admin_key)
        folder = tmp_path / "work"
        folder.mkdir()
        res = admin.ok("POST", "/v1/resources", json={
            "type": "shell", "name": "kill9-shell",
            "config": {"allowed_commands": ["sleep", "echo"], "working_dir": str(folder),
                       "timeout_s": 60}})
        bot = admin.ok("POST", "/v1/bots", json={
            "name": "kill9-mcp", "allowed_operations": ["shell.exec"],
            "resource_bindings": [{
                "resource_id": res["id"], "allowed_tools": ["run_command"],
                "scope_constraints": {"commands": ["sleep", "echo"]},
                "require_approval": {"scope": {"commands": ["echo"]}, "timeout_s": 900}}]})
        key = admin.ok("POST", "/v1/api-keys", json={
            "name": "agent", "scopes": [f"mcp:call:{bot['id']}"]})["secret"]
        url = f"{server.url}/v1/bots/{bot['id']}/mcp"
        threads = [
            threading.Thread(target=_call, args=(url, key, {"command": "sleep", "args": ["30"]}),
                             daemon=True),
            threading.Thread(target=_call, args=(url, key, {"command": "echo", "args": ["hi"]}),
                             daemon=True),
        ]
        for thread in threads:
            thread.start()

        def both_in_flight() -> bool:
            entries = admin.ok("GET", "/v1/audit", params={"bot_id": bot["id"]})["data"]
            waiting = admin.ok("GET", "/v1/approvals",
                               params={"bot_id": bot["id"], "status": "pending"})["data"]
            return len([e for e in entries if e["status"] == "pending"]) == 2 and bool(waiting)

        _wait_for(both_in_flight)
        time.sleep(0.3)  # the sleep has started in its executor
        server.stop(kill=True)
        server.start()
        admin = Api(server, server.admin_key)

        def settled() -> bool:
            entries = admin.ok("GET", "/v1/audit", params={"bot_id": bot["id"]})["data"]
            return not [e for e in entries if e["status"] == "pending"]

        _wait_for(settled, timeout=30)
        entries = admin.ok("GET", "/v1/audit", params={"bot_id": bot["id"]})["data"]
        by_command = {e["params"]["command"]: e for e in entries}
        assert by_command["sleep"]["status"] == "unknown", by_command["sleep"]
        assert by_command["echo"]["status"] == "denied", by_command["echo"]
        assert "did not run" in by_command["echo"]["reason"]
        [approval] = admin.ok("GET", "/v1/approvals", params={"bot_id": bot["id"]})["data"]
        assert approval["status"] == "cancelled"
        r = admin.request("POST", f"/v1/approvals/{approval['id']}/approve", json={})
        assert r.status_code == 409, r.text
        verified = admin.ok("GET", "/v1/audit/verify")
        assert verified["ok"], verified
    finally:
        server.stop()
