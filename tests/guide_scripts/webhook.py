"""The guide's webhook handler (Webhook 触发任务): an alert starts an investigation task.

``MONSTRUM_INCIDENT_BOT`` names the guide's ``bot_incident``. Serve it with
``flask --app webhook run``.
"""

from __future__ import annotations

import os

from flask import Flask, request

import monstrum

client = monstrum.Client()
INCIDENT = os.environ.get("MONSTRUM_INCIDENT_BOT", "bot_incident")

app = Flask(__name__)


@app.route("/webhook/alert", methods=["POST"])
def handle_alert() -> tuple[dict[str, str], int]:
    alert = request.json
    task = client.tasks.run(
        bot_id=INCIDENT,
        input=f"排查告警: {alert['title']}。详情: {alert['description']}",
        metadata={"alert_id": alert["id"], "source": "pagerduty"},
    )
    return {"task_id": task.id}, 202
