"""Secrets canary: a credential set on a resource never comes back.

One unique value is stored as a resource's credential, used for real by a task (the
upstream echoes it back), and then every API response we can provoke, every CLI output
and the server's log are searched for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.test_executors import HTTP_MANIFEST, Upstream

CANARY = f"canary-{uuid.uuid4().hex}"


@pytest.fixture
def upstream():
    u = Upstream()
    yield u
    u.close()


def test_the_canary_never_comes_back(new_server, upstream, tmp_path: Path) -> None:
    server = new_server("--log-level", "debug")
    auth = {"Authorization": f"Bearer {server.admin_key}"}
    texts: list[str] = []

    def call(method: str, path: str, **kw) -> httpx.Response:
        r = httpx.request(method, server.url + path, headers={**auth, **kw.pop("headers", {})},
                          timeout=30, **kw)
        texts.append(f"{method} {path} -> {r.status_code}\n{r.headers}\n{r.text}")
        return r

    assert call("POST", "/v1/integrations", content=HTTP_MANIFEST).status_code == 201
    created = call("POST", "/v1/resources", json={
        "type": "echo-api", "name": "echo", "id": "res_canary",
        "config": {"api_base": upstream.url}, "credentials": {"token": CANARY}})
    assert created.status_code == 201 and created.json()["credentials_set"] == ["token"]
    bot = call("POST", "/v1/bots", json={
        "name": "canary-bot", "model": "scripted", "allowed_operations": ["issue.*"],
        "resource_bindings": [{"resource_id": "res_canary", "allowed_tools": ["*"],
                               "scope_constraints": {}}]}).json()

    # use the credential for real: the upstream echoes the Authorization header back
    task = call("POST", "/v1/tasks", json={"bot_id": bot["id"], "input": "\n".join([
        'call get_issue {"project": "OPS"}',
        'call fail {"code": 500}',
        'call create_issue {"project": "OPS", "points": 1}',
    ])}).json()
    with httpx.stream("GET", f"{server.url}/v1/tasks/{task['id']}/events", headers=auth,
                      timeout=30) as events:
        stream_text = "".join(events.iter_text())
    texts.append(stream_text)
    assert upstream.seen and upstream.seen[0]["headers"]["authorization"] == f"Bearer {CANARY}"
    assert "Bearer ***" in stream_text  # the echo came back, redacted

    # every read we can make, and errors that could be tempted to quote values
    for path in ("/v1/resources", "/v1/resources/res_canary", "/v1/integrations",
                 "/v1/integrations/echo-api", "/v1/bots", f"/v1/bots/{bot['id']}",
                 f"/v1/tasks/{task['id']}", "/v1/tasks", "/v1/audit", "/v1/whoami",
                 "/openapi.json", "/v1/resources?type=echo-api&q=echo"):
        assert call("GET", path).status_code == 200, path
    assert call("PATCH", "/v1/resources/res_canary",
                json={"credentials": {"token": {"value": CANARY}}}).status_code == 422
    assert call("PATCH", "/v1/resources/res_canary",
                json={"credentials": {"unknown_field": "x", "token": 5}}).status_code == 422
    assert call("POST", "/v1/resources", json={
        "type": "echo-api", "name": "dup", "id": "res_canary",
        "config": {"api_base": upstream.url}, "credentials": {"token": CANARY}}).status_code == 409
    assert call("POST", "/v1/resources", json={
        "type": "echo-api", "name": "bad", "config": {"api_base": "nope"},
        "credentials": {"token": CANARY}}).status_code == 422
    assert call("DELETE", "/v1/resources/res_canary").status_code == 409
    assert call("PATCH", "/v1/resources/res_canary",
                json={"name": "renamed", "credentials": {"token": CANARY}}).status_code == 200
    assert call("GET", "/v1/resources/res_canary").json()["name"] == "renamed"

    env = {**os.environ, "MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_API_BASE": server.url}
    for args in (["resources", "list"], ["resources", "list", "--json"],
                 ["resources", "get", "res_canary"], ["resources", "get", "res_canary", "--json"],
                 ["integrations", "list", "--json"], ["integrations", "get", "echo-api"],
                 ["bots", "list", "--json"], ["audit", "list", "--json"],
                 ["resources", "delete", "res_canary"]):
        done = subprocess.run([sys.executable, "-m", "monstrum_tui.cli", *args],
                              capture_output=True, text=True, env=env, timeout=60,
                              stdin=subprocess.DEVNULL)
        texts.append(done.stdout + done.stderr)

    server.stop()  # flush everything the server would log
    logs = [server.log()]
    logs += [p.read_text(errors="replace") for p in server.data_dir.glob("*.log")]
    everything = "\n".join(texts + logs)
    assert len(texts) > 25 and "res_canary" in everything  # we did look at real output
    assert CANARY not in everything
    for secret_form in (CANARY[:24], json.dumps(CANARY)):
        assert secret_form not in everything
