"""The guide's code, run as written against the real server: the whole tour, and its three
automation patterns (scheduled report, webhook handler, CI/CD step).

The scripts are in tests/guide_scripts/; scripts/test.sh also type-checks them with
``mypy --strict``. Each pattern is run the way it is deployed: the CI step and the tour
as processes, the webhook app behind a real HTTP server, the report by the ``schedule``
library's own ``run_pending``.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
import schedule
from werkzeug.serving import make_server

import monstrum
from tests.upstream_http import RecordingUpstream

SCRIPTS = Path(__file__).parent / "guide_scripts"


@pytest.fixture
def guide_env(server, monkeypatch) -> dict[str, str]:
    """``export MONSTRUM_API_KEY=...`` (and the server's address), as the guide sets up."""
    monkeypatch.setenv("MONSTRUM_API_KEY", server.admin_key)
    monkeypatch.setenv("MONSTRUM_API_BASE", server.url)
    return dict(os.environ)


def run_script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True,
        env=env, timeout=120,
    )


def failing_bot(client: monstrum.Client, name: str):
    """A bot whose tasks fail: its model needs a provider this server was not given."""
    return client.bots.create(name=name, model="gpt-4o")


def test_the_whole_guide_runs_as_written(new_server, monkeypatch) -> None:
    srv = new_server()  # its own: the tour makes res_aws_staging, which others expect absent
    env = {**os.environ, "MONSTRUM_API_KEY": srv.admin_key, "MONSTRUM_API_BASE": srv.url}
    done = run_script("guide_tour.py", env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0] == monstrum.__version__
    assert "已创建 Bot: bot_" in out
    assert ": completed\n输出: no tool calls" in out
    assert "  工具: read_file({'path': 'jira.yaml'})" in out and "  结果: {" in out
    assert "完成。输出: 1 tool call(s): 1 ok" in out
    assert "类型: aws_ecs" in out and "工具: ['aws_ecs_deploy'" in out
    assert "| read_file | success" in out  # the audit log has the stream's call
    assert out.rstrip().endswith("Bot 不存在")
    assert done.stderr == "guide tour: done\n"
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        assert [b.name for b in c.bots.list()] == []  # it cleaned up after itself


@pytest.fixture
def slack() -> Iterator[RecordingUpstream]:
    receiver = RecordingUpstream().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def clean_schedule() -> Iterator[None]:
    schedule.clear()
    yield
    schedule.clear()


def test_the_scheduled_report_posts_the_daily_output(
    guide_env, client, slack, clean_schedule, monkeypatch
) -> None:
    reporter = client.bots.create(name="reporter")
    monkeypatch.setenv("MONSTRUM_REPORTER_BOT", reporter.id)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{slack.url}/services/T0/B0/x")
    script = runpy.run_path(str(SCRIPTS / "scheduled_report.py"))  # not __main__: no loop

    (job,) = schedule.get_jobs()
    assert job.unit == "days" and job.interval == 1 and job.at_time == time(9, 0)
    assert job.job_func is not None and job.job_func.func is script["daily_report"]
    job.next_run = datetime.now() - timedelta(seconds=1)  # 09:00 has come
    schedule.run_pending()  # one turn of the guide's loop

    assert job.next_run > datetime.now()  # rescheduled for the next 09:00
    (posted,) = slack.requests
    assert posted["method"] == "POST" and posted["path"] == "/services/T0/B0/x"
    (task,) = client.tasks.list(bot_id=reporter.id)
    assert task.input == "生成每日基础设施健康报告" and task.status == "completed"
    assert json.loads(posted["body"]) == {"text": task.output}


def test_a_failed_report_is_not_posted(guide_env, client, slack, clean_schedule, monkeypatch):
    reporter = failing_bot(client, "failing-reporter")
    monkeypatch.setenv("MONSTRUM_REPORTER_BOT", reporter.id)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{slack.url}/hook")
    runpy.run_path(str(SCRIPTS / "scheduled_report.py"))
    schedule.run_all()
    assert slack.requests == []
    assert [t.status for t in client.tasks.list(bot_id=reporter.id)] == ["failed"]


@pytest.fixture
def webhook_app(guide_env, client, monkeypatch) -> Iterator[tuple[str, str]]:
    """The guide's Flask app behind a real HTTP server; yields (its URL, the bot's id)."""
    incident = client.bots.create(name="incident")
    monkeypatch.setenv("MONSTRUM_INCIDENT_BOT", incident.id)
    app = runpy.run_path(str(SCRIPTS / "webhook.py"))["app"]
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", incident.id
    finally:
        http.shutdown()
        thread.join(10)


def test_the_webhook_starts_a_task_with_the_alerts_metadata(webhook_app, client) -> None:
    url, bot_id = webhook_app
    alert = {"id": "PD-4711", "title": "CPU 过高", "description": "api-1 上 CPU 95%"}
    answers = []
    with httpx.Client(timeout=60) as http:
        # two alerts at once: the handler's client serves concurrent requests
        threads = [
            threading.Thread(target=lambda a=a: answers.append(
                http.post(f"{url}/webhook/alert", json=a)))
            for a in (alert, {**alert, "id": "PD-4712"})
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(r.status_code for r in answers) == [202, 202]
    ids = {r.json()["task_id"] for r in answers}
    tasks = {t.id: t for t in client.tasks.list(bot_id=bot_id)}
    assert set(tasks) == ids
    assert sorted(t.metadata["alert_id"] for t in tasks.values()) == ["PD-4711", "PD-4712"]
    for task in tasks.values():
        assert task.metadata["source"] == "pagerduty" and task.status == "completed"
        assert task.input == "排查告警: CPU 过高。详情: api-1 上 CPU 95%"


def test_the_ci_step_passes_when_the_deploy_completes(guide_env, client) -> None:
    deployer = client.bots.create(name="deployer")
    done = run_script(
        "ci_deploy.py", "user-api", "v2.4.1",
        env={**guide_env, "MONSTRUM_DEPLOYER_BOT": deployer.id},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("部署成功: no tool calls")
    (task,) = client.tasks.list(bot_id=deployer.id)
    assert task.input == "将 user-api 部署到生产环境,镜像为 v2.4.1"


def test_the_ci_step_fails_the_pipeline_with_the_tasks_error(guide_env, client) -> None:
    deployer = failing_bot(client, "failing-deployer")
    done = run_script(
        "ci_deploy.py", "user-api", "v2.4.1",
        env={**guide_env, "MONSTRUM_DEPLOYER_BOT": deployer.id},
    )
    assert done.returncode == 1, done.stderr
    (task,) = client.tasks.list(bot_id=deployer.id)
    assert task.status == "failed" and task.error
    assert done.stdout == f"部署失败: {task.error}\n"
    assert "OPENAI_API_KEY" in done.stdout
