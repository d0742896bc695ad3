"""The guide's CI/CD step (CI/CD 流水线集成): ``python ci_deploy.py SERVICE IMAGE``.

Exits 1 with the task's error unless the deploy task completes. ``MONSTRUM_DEPLOYER_BOT``
names the guide's ``bot_deployer``.
"""

from __future__ import annotations

import os

import monstrum

client = monstrum.Client()
DEPLOYER = os.environ.get("MONSTRUM_DEPLOYER_BOT", "bot_deployer")

# 在部署脚本中使用
import sys  # noqa: E402 (where the guide imports it)

task = client.tasks.run(
    bot_id=DEPLOYER,
    input=f"将 {sys.argv[1]} 部署到生产环境,镜像为 {sys.argv[2]}",
)
if task.status != "completed":
    print(f"部署失败: {task.error}")
    sys.exit(1)
print(f"部署成功: {task.output}")
