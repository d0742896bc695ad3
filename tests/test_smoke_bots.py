"""The guide's bot calls, run as written against the real server."""

from __future__ import annotations

import pytest

import monstrum
from monstrum.exceptions import MonstrumAPIError, NotFoundError


def test_guide_bot_lifecycle_sync(client) -> None:
    bot = client.bots.create(
        name="deploy-bot",
        description="负责预发布环境的部署",
        model="gpt-4o",
        allowed_operations=["deploy.read", "deploy.write"],
    )
    assert bot.id.startswith("bot_")
    assert bot.id in [b.id for b in client.bots.list()]
    updated = client.bots.update(
        bot_id=bot.id, allowed_operations=["deploy.read", "deploy.write", "deploy.rollback"]
    )
    assert updated.allowed_operations[-1] == "deploy.rollback"
    client.bots.delete(bot_id=bot.id)
    with pytest.raises(NotFoundError) as err:
        client.bots.get(bot_id=bot.id)
    assert err.value.status_code == 404 and err.value.request_id.startswith("req_")


def test_binding_to_unknown_resource_names_it(client) -> None:
    with pytest.raises(MonstrumAPIError) as err:
        client.bots.create(
            name="x",
            resource_bindings=[{"resource_id": "res_nope", "allowed_tools": ["t"]}],
        )
    assert err.value.status_code == 422
    assert "res_nope" in err.value.message


async def test_guide_bot_calls_async(server, admin_key) -> None:
    async with monstrum.AsyncClient(api_key=admin_key, api_base=server.url) as c:
        bot = await c.bots.create(name="async-bot")
        names = [b.name async for b in c.bots.list()]
        assert "async-bot" in names
        await c.bots.delete(bot_id=bot.id)
