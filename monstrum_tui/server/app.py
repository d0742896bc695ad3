"""``create_app``: the ASGI application of the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from .api import (
    approvals,
    authorize,
    bots,
    integrations,
    keys,
    meta,
    resources,
    server_info,
    tasks,
)
from .api import audit as audit_api
from .api import task_stats as task_stats_api
from .api.body_limit import BodyLimitMiddleware
from .api.bot_mcp import BotMcpEndpoint, mcp_route
from .api.errors import install_error_handlers
from .api.idempotency import install_idempotency
from .api.openapi_errors import document_errors
from .api.request_id import RequestIdMiddleware
from .audit.retention import start_retention
from .platform import Platform
from .server_facts import ServerFacts
from .settings import ServerSettings


def create_app(settings: ServerSettings | None = None, platform: Platform | None = None) -> FastAPI:
    """Build the app; the platform is opened here unless one is given."""
    platform = platform or Platform.open(settings or ServerSettings())
    bot_mcp = BotMcpEndpoint(platform)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        retention = start_retention(platform.audit, platform.settings.audit_retention_days)
        await platform.start()
        if platform.settings.seed_demo:
            from .demo import seed_demo_history

            await seed_demo_history(platform)
        try:
            yield
        finally:
            await bot_mcp.stop()
            await platform.stop()
            if retention is not None:
                retention.cancel()
            platform.close()

    app = FastAPI(
        title="Monstrum API",
        version=__version__,
        description="The REST API of the Monstrum AI-agent governance platform.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.server_facts = ServerFacts()
    install_error_handlers(app)
    document_errors(app)
    install_idempotency(app)
    # added last, so it runs first: every answer, even a 413, carries the request id
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RequestIdMiddleware)
    for module in (meta, server_info, keys, bots, authorize, task_stats_api, tasks, resources,
                   integrations, approvals):
        app.include_router(module.router)
    app.include_router(audit_api.router)
    app.router.routes.append(mcp_route(bot_mcp))
    return app
