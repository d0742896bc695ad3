"""The SDK guide's bot calls and error handling, exactly as written, against the real server."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import monstrum
from monstrum.exceptions import (
    AuthenticationError,
    MonstrumAPIError,
    NotFoundError,
    PermissionError,
    RateLimitError,
)
from monstrum_tui.client.models import Bot, Page


@pytest.fixture
def guide_env(server, monkeypatch) -> None:
    """``export MONSTRUM_API_KEY=...`` (and the server's address), as the guide sets up."""
    monkeypatch.setenv("MONSTRUM_API_KEY", server.admin_key)
    monkeypatch.setenv("MONSTRUM_API_BASE", server.url)


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def key_with(client: monstrum.Client, *scopes: str) -> str:
    return client.api_keys.create(name=unique("guide"), scopes=list(scopes)).secret


def test_version_is_there() -> None:
    import monstrum_tui

    assert monstrum.__version__ == monstrum_tui.__version__
    assert monstrum.__version__.count(".") == 2


def test_the_exceptions_import_as_the_guide_writes_it() -> None:
    from monstrum.exceptions import (
        AuthenticationError,
        MonstrumAPIError,
        NotFoundError,
        PermissionError,
        RateLimitError,
    )

    for cls in (AuthenticationError, NotFoundError, PermissionError, RateLimitError):
        assert issubclass(cls, MonstrumAPIError)
    assert issubclass(PermissionError, __builtins__["PermissionError"]
                      if isinstance(__builtins__, dict) else __builtins__.PermissionError)


def test_the_guides_bot_calls_sync(guide_env, capsys) -> None:
    client = monstrum.Client()

    bots = client.bots.list()
    for bot in bots:
        print(f"{bot.id}: {bot.name} (status={bot.status})")

    bot = client.bots.create(
        name="deploy-bot",
        description="负责预发布环境的部署",
        model="gpt-4o",
        allowed_operations=["deploy.read", "deploy.write"],
    )
    print(f"已创建 Bot: {bot.id}")

    client.bots.update(
        bot_id=bot.id,
        allowed_operations=["deploy.read", "deploy.write", "deploy.rollback"],
    )
    assert client.bots.get(bot_id=bot.id).allowed_operations == [
        "deploy.read", "deploy.write", "deploy.rollback",
    ]

    client.bots.delete(bot_id=bot.id)
    with pytest.raises(NotFoundError):
        client.bots.get(bot_id=bot.id)

    out = capsys.readouterr().out
    assert f"已创建 Bot: {bot.id}" in out
    client.close()


def test_the_guides_create_with_bindings_names_the_missing_resource(guide_env) -> None:
    """Resources arrive in issue 3; until the bound one exists the call is a 422 naming it."""
    client = monstrum.Client()
    try:
        client.resources.get(resource_id="res_aws_staging")
        pytest.skip("res_aws_staging exists on this server")
    except (NotFoundError, MonstrumAPIError):
        pass
    with pytest.raises(MonstrumAPIError) as err:
        client.bots.create(
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
    assert err.value.status_code == 422
    assert "res_aws_staging" in err.value.message
    assert err.value.fields[0]["field"] == "resource_bindings[0].resource_id"
    client.close()


async def test_the_guides_bot_calls_async(guide_env) -> None:
    client = monstrum.AsyncClient()
    bot = await client.bots.create(
        name=unique("async-bot"), model="gpt-4o", allowed_operations=["deploy.read"]
    )
    names = [b.name async for b in client.bots.list()]
    assert bot.name in names
    updated = await client.bots.update(bot_id=bot.id, status="paused")
    assert updated.status == "paused" and updated.updated_at >= bot.updated_at
    await client.bots.delete(bot_id=bot.id)
    with pytest.raises(NotFoundError):
        await client.bots.get(bot_id=bot.id)
    await client.aclose()


def guide_error_handler(call) -> str:
    """The guide's error-handling block, around any call; returns what it printed."""
    try:
        call()
    except AuthenticationError:
        return "API Key 无效或已过期"
    except PermissionError as e:
        return f"权限不足: {e.required_scope}"
    except NotFoundError:
        return "Bot 不存在"
    except RateLimitError as e:
        return f"请求频率超限,{e.retry_after} 秒后重试"
    except MonstrumAPIError as e:
        return f"API 错误 {e.status_code}: {e.message}"
    return "ok"


def test_the_guides_error_handling(server, client) -> None:
    bad = monstrum.Client(api_key="mst_" + "0" * 43, api_base=server.url)
    assert guide_error_handler(lambda: bad.bots.list().to_list()) == "API Key 无效或已过期"
    bad.close()

    reader = monstrum.Client(api_key=key_with(client, "bots:read"), api_base=server.url)
    assert guide_error_handler(lambda: reader.bots.create(name="nope")) == "权限不足: bots:write"
    with pytest.raises(PermissionError) as err:
        reader.bots.delete(bot_id="bot_abc123")
    assert err.value.status_code == 403 and err.value.required_scope == "bots:write"
    assert err.value.request_id.startswith("req_")
    reader.close()

    assert guide_error_handler(lambda: client.bots.get(bot_id="bot_abc123")) == "Bot 不存在"
    assert guide_error_handler(lambda: client.bots.update(bot_id="bot_abc123", name="x")) == (
        "Bot 不存在"
    )

    printed = guide_error_handler(lambda: client.bots.create(name=""))
    assert printed.startswith("API 错误 422: ")
    with pytest.raises(MonstrumAPIError) as api_err:
        client.bots.create(name="x", allowed_operations=[" "])
    assert api_err.value.status_code == 422
    assert "allowed_operations" in api_err.value.message
    assert api_err.value.request_id.startswith("req_")


def test_the_guides_rate_limit_branch(new_server) -> None:
    limited = new_server("--rate-limit", "1")
    c = monstrum.Client(api_key=limited.admin_key, api_base=limited.url, max_retries=0)
    printed = "ok"
    for _ in range(10):  # the bucket holds a small burst; it runs dry within a few calls
        printed = guide_error_handler(c.whoami)
        if printed != "ok":
            break
    assert printed == "请求频率超限,1.0 秒后重试"
    with pytest.raises(RateLimitError) as err:
        c.whoami()
    assert err.value.status_code == 429 and err.value.retry_after == 1.0
    assert err.value.type == "rate_limit_error" and err.value.request_id.startswith("req_")
    c.close()


def test_list_pages_through_next_cursor_on_its_own(client) -> None:
    tag = unique("pager")
    made = [client.bots.create(name=f"{tag}-{i}").id for i in range(7)]
    # three at a time: the pager must follow next_cursor to find all seven
    listed = [b.id for b in client.bots.list(q=tag, page_size=3)]
    assert listed == made  # oldest first, no gaps, no repeats
    first = client.bots.list(q=tag, page_size=3).first_page()
    assert isinstance(first, Page) and len(first.data) == 3 and first.next_cursor
    pages = list(client.bots.list(q=tag, page_size=3).pages())
    assert [len(p.data) for p in pages] == [3, 3, 1]
    assert [b.id for b in client.bots.list(q=tag, page_size=3, limit=5)] == made[:5]
    pager = client.bots.list(q=tag, page_size=3)
    assert next(pager).id == made[0] and next(pager).id == made[1]
    for bot_id in made:
        client.bots.delete(bot_id=bot_id)


async def test_async_pager_pages_and_awaits_the_first_page(aclient) -> None:
    tag = unique("apager")
    made = [(await aclient.bots.create(name=f"{tag}-{i}")).id for i in range(5)]
    assert [b.id async for b in aclient.bots.list(q=tag, page_size=2)] == made
    first = await aclient.bots.list(q=tag, page_size=2)
    assert [b.id for b in first.data] == made[:2] and first.next_cursor
    rest = await aclient.bots.list(q=tag, page_size=2, cursor=first.next_cursor)
    assert [b.id for b in rest.data] == made[2:4]
    assert await aclient.bots.list(q=tag).to_list() == [await aclient.bots.get(i) for i in made]
    for bot_id in made:
        await aclient.bots.delete(bot_id)


def test_the_sync_client_works_from_many_threads(server, client) -> None:
    tag = unique("threads")

    def work(i: int) -> str:
        bot = client.bots.create(name=f"{tag}-{i}")
        assert client.bots.get(bot_id=bot.id).name == bot.name
        assert client.whoami().scopes == ["admin"]
        assert any(b.id == bot.id for b in client.bots.list(q=tag))
        return bot.id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, range(24)))
    assert len(set(ids)) == 24
    listed = {b.id for b in client.bots.list(q=tag)}
    assert listed == set(ids)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda bot_id: client.bots.delete(bot_id=bot_id), ids))
    assert client.bots.list(q=tag).to_list() == []


def test_the_sync_client_closes_cleanly(server) -> None:
    c = monstrum.Client(api_key=server.admin_key, api_base=server.url)
    c.whoami()
    thread = c._bridge.thread
    assert thread is not None and thread.is_alive()
    c.close()
    assert c.closed and not thread.is_alive()
    c.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        c.whoami()
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c2:
        c2.bots.list().first_page()
    assert c2.closed


def test_a_pager_abandoned_half_way_does_not_block_close(server, client) -> None:
    tag = unique("abandon")
    made = [client.bots.create(name=f"{tag}-{i}").id for i in range(4)]
    c = monstrum.Client(api_key=server.admin_key, api_base=server.url)
    it = iter(c.bots.list(q=tag, page_size=2))
    assert next(it).id == made[0]
    c.close()
    assert c.closed
    for bot_id in made:
        client.bots.delete(bot_id=bot_id)


def test_the_sdk_loads_neither_the_dashboard_nor_the_server() -> None:
    code = (
        "import sys, monstrum, monstrum_tui.client\n"
        "from monstrum.exceptions import RateLimitError\n"
        "c = monstrum.Client(api_key='mst_x', api_base='http://127.0.0.1:9')\n"
        "c.close()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'fastapi', 'starlette', 'uvicorn', 'sqlalchemy') "
        "or m.startswith(('monstrum_tui.server', 'monstrum_tui.ui')))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


def test_many_clients_come_and_go_without_leaking_threads(server) -> None:
    def loops() -> int:
        return sum(t.name == "monstrum-client-loop" for t in threading.enumerate())

    before = loops()
    for _ in range(5):
        with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
            c.whoami()
    assert loops() == before


def test_bot_models_round_trip(client) -> None:
    bot = client.bots.create(name=unique("model"), allowed_operations=["a.*"])
    assert isinstance(bot, Bot) and bot.created_at.tzinfo is not None
    client.bots.delete(bot_id=bot.id)
