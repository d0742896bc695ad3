"""``/v1/bots/{id}/mcp`` with the official MCP SDK's own client: a bot's governed tools,
the same decision and audit as a task's, and the hostile client that tries to get out."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError as McpError

import monstrum


def _mcp(server, bot_id: str, key: str | None, *, mode: str = "auto") -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = streamable_http_client(
        f"{server.url}/v1/bots/{bot_id}/mcp", http_client=httpx2.AsyncClient(headers=headers)
    )
    return Client(transport, mode=mode, cache=None)


@pytest.fixture
def shell_bot(client, tmp_path: Path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha\n")
    res = client.resources.create(type="shell", name="mcp-shell", config={
        "allowed_commands": ["echo", "cat", "ls"], "working_dir": str(folder)})
    files = client.resources.create(type="filesystem", name="mcp-files",
                                    config={"root": str(folder)})
    bot = client.bots.create(
        name="mcp-served", allowed_operations=["shell.exec", "files.read"],
        resource_bindings=[
            {"resource_id": res.id, "allowed_tools": ["run_command"],
             "scope_constraints": {"commands": ["echo", "cat"]},
             "require_approval": {"scope": {"commands": ["cat"]}, "timeout_s": 120}},
            # bound, but read_file only: list_files/search_files must not be served
            {"resource_id": files.id, "allowed_tools": ["read_file"],
             "scope_constraints": {"paths": ["*"]}},
        ],
    )
    return bot


def _key(client, *scopes: str) -> tuple[str, str]:
    key = client.api_keys.create(name=f"mcp-{'-'.join(scopes)}"[:90], scopes=list(scopes))
    return key.id, key.secret


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_mcp_client_sees_exactly_the_callable_tools_and_is_governed(
    client, server, shell_bot, mode
):
    key_id, secret = _key(client, f"mcp:call:{shell_bot.id}")
    expected = sorted(a.call_name for a in client.bots.tools(shell_bot.id) if a.may_call)
    async with _mcp(server, shell_bot.id, secret, mode=mode) as mcp:
        listed = await mcp.list_tools()
        assert sorted(t.name for t in listed.tools) == expected == ["read_file", "run_command"]
        ok = await mcp.call_tool("run_command", {"command": "echo", "args": ["over", "mcp"]})
        assert not ok.is_error and "over mcp" in ok.structured_content["stdout"]
        denied = await mcp.call_tool("run_command", {"command": "ls"})
        assert denied.is_error
        assert denied.structured_content["denied"] is True
        assert denied.structured_content["check"] == "scope"
        assert "ls" in denied.structured_content["reason"]
        unbound = await mcp.call_tool("list_files", {})
        assert unbound.is_error and unbound.structured_content["check"] == "allowed_tools"
        unknown = await mcp.call_tool("rm_rf", {"path": "/"})
        assert unknown.is_error and unknown.structured_content["check"] == "binding"
        bad = await mcp.call_tool("run_command", {"command": 5})
        assert bad.is_error and bad.structured_content["check"] == "input_schema"
    entries = [e for e in client.audit.list(bot_id=shell_bot.id, limit=5)][::-1]
    assert [e.status for e in entries] == ["success", "denied", "denied", "denied", "denied"]
    for entry in entries:
        assert entry.task_id is None
        caller = dict(entry.decision["caller"])
        # the server process that ran it (a restart settles its calls if it died)
        assert caller.pop("process").count(":") == 3
        assert caller == {"via": "mcp", "key_id": key_id,
                          "key_name": f"mcp-mcp:call:{shell_bot.id}"[:90]}


async def test_keys_that_must_not_reach_the_bot(client, server, shell_bot):
    url = f"{server.url}/v1/bots/{shell_bot.id}/mcp"
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream"}
    other = client.bots.create(name="someone-else", allowed_operations=[])
    _, other_secret = _key(client, f"mcp:call:{other.id}")
    _, tasks_secret = _key(client, "tasks:write", "bots:write", "approvals:write")
    _, any_secret = _key(client, "mcp:call")
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(url, json=ping, headers=accept)
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
        r = await http.post(url, json=ping, headers={**accept, "Authorization": "Bearer mst_x"})
        assert r.status_code == 401
        for secret in (other_secret, tasks_secret):
            r = await http.post(url, json=ping,
                                headers={**accept, "Authorization": f"Bearer {secret}"})
            assert r.status_code == 403, r.text
            assert r.json()["error"]["required_scope"] == "mcp:call"
            assert r.headers.get("x-request-id")
        r = await http.post(f"{server.url}/v1/bots/bot_nothere/mcp", json=ping,
                            headers={**accept, "Authorization": f"Bearer {any_secret}"})
        assert r.status_code == 404
        # a bot id that tries to climb out of its path is just not a bot
        r = await http.post(f"{server.url}/v1/bots/..%2Fapi-keys/mcp", json=ping,
                            headers={**accept, "Authorization": f"Bearer {any_secret}"})
        assert r.status_code in (403, 404)
        r = await http.post(url, content=b"{not json", headers={
            **accept, "Authorization": f"Bearer {any_secret}", "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500
        r = await http.post(url, content=b"x" * (2 * 1024 * 1024), headers={
            **accept, "Authorization": f"Bearer {any_secret}", "Content-Type": "application/json"})
        assert r.status_code == 413
    # the SDK's client does not get a session either (the 403 ends its handshake)
    with pytest.raises((httpx2.HTTPError, McpError, ExceptionGroup)):  # noqa: F821
        async with _mcp(server, shell_bot.id, other_secret) as mcp:
            await mcp.list_tools()
    assert "Traceback" not in server.log()


async def test_an_approval_gated_call_over_mcp_waits_for_a_person(client, server, shell_bot):
    key_id, secret = _key(client, f"mcp:call:{shell_bot.id}", "approvals:write")
    _, approver_secret = _key(client, "approvals:write")

    async def approve_when_pending() -> None:
        async with monstrum.AsyncClient(api_key=approver_secret, api_base=server.url) as a:
            own = monstrum.AsyncClient(api_key=secret, api_base=server.url)
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    pending = [p async for p in a.approvals.list(status="pending",
                                                                  bot_id=shell_bot.id)]
                    if pending:
                        break
                    await asyncio.sleep(0.1)
                [approval] = pending
                assert approval.via == "mcp" and approval.requested_by == key_id
                # the key that made the call cannot approve it
                with pytest.raises(monstrum.exceptions.PermissionError):
                    await own.approvals.approve(approval.id)
                await a.approvals.approve(approval.id, reason="read-only, fine")
            finally:
                await own.aclose()

    async with _mcp(server, shell_bot.id, secret) as mcp:
        helper = asyncio.create_task(approve_when_pending())
        result = await mcp.call_tool("run_command", {"command": "cat", "args": ["a.txt"]},
                                     read_timeout_seconds=90)
        await helper
    assert not result.is_error and "alpha" in result.structured_content["stdout"]
    [entry] = list(client.audit.list(bot_id=shell_bot.id, limit=1))
    assert entry.status == "success" and "read-only, fine" in entry.reason
    assert json.dumps(entry.decision).count(key_id) == 1


async def test_a_deleted_keys_waiting_call_never_runs(client, server, shell_bot):
    """Revoking an agent's key while its call waits for a person: an approver who then
    approves (not knowing) must not run a call for a key that no longer exists."""
    key_id, secret = _key(client, f"mcp:call:{shell_bot.id}")
    _, approver_secret = _key(client, "approvals:write")

    async def revoke_then_approve() -> str:
        async with monstrum.AsyncClient(api_key=approver_secret, api_base=server.url) as a:
            deadline = time.monotonic() + 60
            pending: list = []
            while not pending and time.monotonic() < deadline:
                pending = [p async for p in a.approvals.list(status="pending",
                                                              bot_id=shell_bot.id)]
                await asyncio.sleep(0.1)
            [approval] = pending
            await asyncio.to_thread(client.api_keys.delete, key_id)
            with pytest.raises(monstrum.exceptions.ConflictError):
                await a.approvals.approve(approval.id, reason="looks fine")
            return approval.id

    async with _mcp(server, shell_bot.id, secret) as mcp:
        helper = asyncio.create_task(revoke_then_approve())
        result = await mcp.call_tool("run_command", {"command": "cat", "args": ["a.txt"]},
                                     read_timeout_seconds=90)
        approval_id = await helper
    assert result.is_error and "alpha" not in json.dumps(result.structured_content)
    assert client.approvals.get(approval_id).status == "cancelled"
    [entry] = list(client.audit.list(bot_id=shell_bot.id, limit=1))
    assert entry.status == "denied" and "did not run" in entry.reason
    assert "deleted" in entry.reason


async def test_no_event_stream_is_held_open(client, server, shell_bot):
    """The endpoint is stateless: a GET (the spec's server-to-client stream) has nothing to
    carry, so it is a 405 as the spec allows, not a stream held open for ever (a key
    could pile them up, and one opened before its key was revoked would stay open)."""
    _, secret = _key(client, f"mcp:call:{shell_bot.id}")
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{server.url}/v1/bots/{shell_bot.id}/mcp", headers={
            "Authorization": f"Bearer {secret}", "Accept": "text/event-stream"})
    assert r.status_code == 405, r.headers
    assert "POST" in r.headers["allow"]
    assert "POST" in r.json()["error"]["message"]
