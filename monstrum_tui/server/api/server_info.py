"""``/v1/server``: the platform's state, for the dashboard's Server screen.

Any valid API key may read it (no scope beyond a key): an on-call engineer with a
read-only key needs it most. It holds counts, limits and the audit chain's state; no
secret, no database URL, no file path (of the data, the keys or the socket).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ...client.models import ServerInfo
from ..auth import Principal
from ..server_facts import ServerFacts, server_info
from .deps import PlatformDep, authenticate

router = APIRouter(prefix="/v1/server", tags=["meta"])


def server_facts(request: Request) -> ServerFacts:
    """The app's ``ServerFacts`` (made by ``create_app``)."""
    facts: ServerFacts = request.app.state.server_facts  # Starlette's app state is untyped
    return facts


FactsDep = Annotated[ServerFacts, Depends(server_facts)]


@router.get("", response_model=ServerInfo)
async def get_server_info(
    platform: PlatformDep, facts: FactsDep,
    _: Annotated[Principal, Depends(authenticate)],
) -> ServerInfo:
    """Version, uptime, limits, queue, database kind and size, audit chain state."""
    return await asyncio.to_thread(server_info, platform, facts)
