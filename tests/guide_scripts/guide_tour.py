"""The SDK guide's code, section by section, as a user types it into a script.

Run with ``MONSTRUM_API_KEY`` and ``MONSTRUM_API_BASE`` set (the guide's way one); it
exits 0 after every section ran. ``mypy --strict`` checks it (scripts/test.sh), so the
SDK's types hold for code written from the guide. The guide's example ids (``bot_abc123``,
``res_github_prod``...) are replaced by the ids of what this script makes.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import monstrum
from monstrum.exceptions import (
    AuthenticationError,
    MonstrumAPIError,
    NotFoundError,
    PermissionError,
    RateLimitError,
)

JIRA_MANIFEST = Path(__file__).parents[2] / "integrations" / "jira.yaml"

# 安装: 验证安装
print(monstrum.__version__)

# 认证 方式一: 自动从环境变量读取 MONSTRUM_API_KEY
client = monstrum.Client()

# the guide binds its deploy bot to res_aws_staging: install its integration, make it
try:
    client.resources.get(resource_id="res_aws_staging")
except NotFoundError:
    client.integrations.upload(manifest=(JIRA_MANIFEST.parent / "aws-ecs.yaml").read_text())
    client.resources.create(
        id="res_aws_staging", type="aws_ecs", name="AWS staging",
        config={"api_base": "http://127.0.0.1:9"}, credentials={"token": "tok-staging"},
    )

# 列出 Bot
bots = client.bots.list()
for bot in bots:
    print(f"{bot.id}: {bot.name} (status={bot.status})")

# 创建 Bot
bot = client.bots.create(
    name="deploy-bot",
    description="负责预发布环境的部署",
    model="gpt-4o",
    allowed_operations=["deploy.read", "deploy.write"],
    resource_bindings=[
        {
            "resource_id": "res_aws_staging",
            "allowed_tools": ["aws_ecs_deploy", "aws_ecs_status"],
            "scope_constraints": {
                "clusters": ["staging-*"],
                "regions": ["us-west-2"],
            },
        }
    ],
)
print(f"已创建 Bot: {bot.id}")

# 更新 Bot
client.bots.update(
    bot_id=bot.id,
    allowed_operations=["deploy.read", "deploy.write", "deploy.rollback"],
)

# 运行任务 (a scripted bot: the guide's gpt-4o needs OPENAI_API_KEY on the server), with
# the files of this project's integrations to read
files = client.resources.create(
    type="filesystem", name="guide-files", config={"root": str(JIRA_MANIFEST.parent)}
)
runner = client.bots.create(
    name="guide-runner",
    model="scripted",
    allowed_operations=["files.read"],
    resource_bindings=[
        {"resource_id": files.id, "allowed_tools": ["read_file"],
         "scope_constraints": {"paths": ["*.yaml"]}}
    ],
)
task = client.tasks.run(
    bot_id=runner.id,
    input="将 user-api 服务部署到预发布环境,镜像标签为 v2.4.1",
)
print(f"任务 {task.id}: {task.status}")
print(f"输出: {task.output}")


# 异步运行任务
async def main() -> None:
    client = monstrum.AsyncClient()
    task = await client.tasks.run(
        bot_id=runner.id,
        input="检查所有预发布环境的部署状态",
    )
    print(task.output)


asyncio.run(main())

# 流式获取任务结果
for event in client.tasks.stream(
    bot_id=runner.id,
    input="运行完整的集成测试套件\ncall read_file {\"path\": \"jira.yaml\"}",
):
    if event.type == "tool_call":
        print(f"  工具: {event.tool_name}({event.params})")
    elif event.type == "result":
        print(f"  结果: {event.data}")
    elif event.type == "complete":
        print(f"完成。输出: {event.output}")

# 查询历史任务
task = client.tasks.get(task_id=task.id)
tasks = client.tasks.list(bot_id=runner.id, limit=20)
for t in tasks:
    print(f"{t.id} [{t.status}] {t.created_at}")

# 列出资源 / 获取资源详情
resources = client.resources.list()
for r in resources:
    print(f"{r.id}: {r.type} - {r.name}")
resource = client.resources.get(resource_id="res_aws_staging")
print(f"类型: {resource.type}")
print(f"工具: {[t.name for t in resource.tools]}")

# 查询审计日志
logs = client.audit.list(
    bot_id=runner.id,
    resource_id=files.id,
    start_time="2026-02-01T00:00:00Z",
    end_time="2100-02-15T00:00:00Z",
)
for entry in logs:
    print(f"{entry.timestamp} | {entry.tool_name} | {entry.status}")

# 通过 SDK 上传
with open(JIRA_MANIFEST) as f:
    manifest = f.read()
client.integrations.upload(manifest=manifest)

# 错误处理
try:
    task = client.tasks.run(bot_id="bot_abc123", input="执行操作")
except AuthenticationError:
    print("API Key 无效或已过期")
except PermissionError as e:
    print(f"权限不足: {e.required_scope}")
except NotFoundError:
    print("Bot 不存在")
except RateLimitError as e:
    print(f"请求频率超限,{e.retry_after} 秒后重试")
except MonstrumAPIError as e:
    print(f"API 错误 {e.status_code}: {e.message}")

# 删除 Bot
client.bots.delete(bot_id=bot.id)
client.bots.delete(bot_id=runner.id)
client.resources.delete(resource_id=files.id)
print("guide tour: done", file=sys.stderr)
