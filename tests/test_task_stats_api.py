"""``GET /v1/task-stats`` and ``GET /v1/server`` against the real server."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from monstrum_tui.client.models import TASK_STATUSES


@pytest.fixture
def shell_bot(client, tmp_path: Path):
    res = client.resources.create(
        type="shell", name=f"stats-{uuid.uuid4().hex[:6]}",
        config={"allowed_commands": ["echo"], "working_dir": str(tmp_path)},
    )
    return client.bots.create(
        name=f"stats-{uuid.uuid4().hex[:6]}", allowed_operations=["shell.exec"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["run_command"],
                            "scope_constraints": {"commands": ["echo"]}}],
    )


def test_counts_throughput_and_summaries(client, shell_bot) -> None:
    before = client.tasks.stats()
    done = client.tasks.run(bot_id=shell_bot.id, input="\n".join([
        'call run_command {"command": "echo", "args": ["hi"]}',
        'call run_command {"command": "ls"}',                       # denied: not in scope
        'call run_command {"command": "echo", "args": [1]}',        # denied: bad params
    ]))
    running = client.tasks.create(bot_id=shell_bot.id, input="say working\nwait 30")
    # a task just created may not have started yet (no event to summarise): wait for it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and client.tasks.stats(
            task_ids=[running.id]).tasks[0].last_event_type is None:
        time.sleep(0.05)
    try:
        stats = client.tasks.stats(task_ids=[done.id, running.id, "task_unknown"],
                                   window=60, buckets=12)
    finally:
        client.tasks.cancel(task_id=running.id)
    assert set(stats.counts) == set(TASK_STATUSES)
    assert stats.counts["completed"] >= before.counts["completed"] + 1
    assert stats.recent["completed"] >= 1 and stats.recent_seconds == 3600
    throughput = stats.throughput
    assert throughput.bucket_seconds == 5 and len(throughput.calls) == 12
    assert sum(throughput.calls) >= 3 and sum(throughput.denials) >= 2
    assert all(d <= c for d, c in zip(throughput.denials, throughput.calls, strict=True))
    by_id = {s.task_id: s for s in stats.tasks}
    assert [s.task_id for s in stats.tasks] == [done.id, running.id, "task_unknown"]
    assert by_id[done.id].last_event_type == "complete" and by_id[done.id].errors == 0
    assert by_id[running.id].last_event_type in ("started", "message")
    assert by_id["task_unknown"].last_event_type is None


def test_bad_stats_requests_are_named_4xx(server, admin_key) -> None:
    headers = {"Authorization": f"Bearer {admin_key}"}
    for params, field in (({"buckets": 100, "window": 10}, "buckets"),
                          ({"window": 0}, "window"),
                          ({"task_id": [f"t{i}" for i in range(501)]}, "task_id")):
        answer = httpx.get(f"{server.url}/v1/task-stats", params=params, headers=headers)
        assert answer.status_code == 422, params
        assert field in answer.text
    reader = httpx.post(f"{server.url}/v1/api-keys", headers=headers,
                        json={"name": "stats-reader", "scopes": ["bots:read"]}).json()
    refused = httpx.get(f"{server.url}/v1/task-stats",
                        headers={"Authorization": f"Bearer {reader['secret']}"})
    assert refused.status_code == 403 and refused.json()["error"]["required_scope"] == (
        "tasks:read")
    # any key reads the server's state; no key does not
    info = httpx.get(f"{server.url}/v1/server",
                     headers={"Authorization": f"Bearer {reader['secret']}"})
    assert info.status_code == 200 and info.json()["database"]["kind"] == "sqlite"
    assert httpx.get(f"{server.url}/v1/server").status_code == 401


def test_server_info_says_no_path_and_no_secret(server, client) -> None:
    info = client.server.info()
    assert info.limits.max_running_tasks >= 1 and info.uptime_seconds >= 0
    assert info.database.size_bytes and info.database.size_bytes > 0
    raw = httpx.get(f"{server.url}/v1/server",
                    headers={"Authorization": f"Bearer {server.admin_key}"}).text
    for leak in (str(server.data_dir), "admin.key", "audit.key", "secret.key", "mst_",
                 "monstrum.db"):
        assert leak not in raw
