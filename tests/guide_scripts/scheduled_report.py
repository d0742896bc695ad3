"""The guide's scheduled report (定时运行 Bot): a daily task whose output goes to Slack.

``MONSTRUM_REPORTER_BOT`` names the guide's ``bot_reporter``; ``SLACK_WEBHOOK_URL`` is
where ``send_to_slack`` posts (an incoming webhook). ``python scheduled_report.py`` runs
the guide's loop.
"""

from __future__ import annotations

import os
import time

import httpx
import schedule

import monstrum

client = monstrum.Client()
REPORTER = os.environ.get("MONSTRUM_REPORTER_BOT", "bot_reporter")


def send_to_slack(text: str | None) -> None:
    httpx.post(os.environ["SLACK_WEBHOOK_URL"], json={"text": text or ""}, timeout=10)


def daily_report() -> None:
    task = client.tasks.run(
        bot_id=REPORTER,
        input="生成每日基础设施健康报告",
    )
    if task.status == "completed":
        send_to_slack(task.output)


schedule.every().day.at("09:00").do(daily_report)

if __name__ == "__main__":
    while True:
        schedule.run_pending()
        time.sleep(60)
