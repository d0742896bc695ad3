"""``Client``: the synchronous facade over ``AsyncClient``."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from .async_client import AsyncClient
from .models import Health, WhoAmI
from .sync_bridge import LoopThread, SyncProxy
from .transport import RetryPolicy

if TYPE_CHECKING:
    from .api.audit import Audit
    from .api.bots import Bots
    from .api.integrations import Integrations
    from .api.keys import ApiKeys
    from .api.resources import Resources
    from .api.server import Server
    from .api.tasks import Tasks


class Client:
    """Sync client: the same calls as ``AsyncClient``, without ``await``.

    Every call runs the async implementation on a private event loop thread, so the
    two can never disagree.
    """

    bots: Bots
    tasks: Tasks
    resources: Resources
    integrations: Integrations
    audit: Audit
    api_keys: ApiKeys
    server: Server

    def __init__(
        self,
        api_key: str | None = None,
        api_base: str | None = None,
        *,
        profile: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        uds: str | None = None,
        retry_policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.update(
            profile=profile, timeout=timeout, max_retries=max_retries, uds=uds,
            retry_policy=retry_policy,
        )
        self._runner = LoopThread()
        # the httpx client must be created on the loop that will use it
        try:
            self._async: AsyncClient = self._runner.run(_make(api_key, api_base, kwargs))
        except BaseException:
            self._runner.stop()  # no key, bad config...: do not leave the loop thread behind
            raise
        self._finalizer = weakref.finalize(self, _shutdown, self._async, self._runner)
        for name in ("bots", "tasks", "resources", "integrations", "audit", "api_keys",
                     "server"):
            setattr(self, name, SyncProxy(getattr(self._async, name), self._runner))

    @property
    def settings(self) -> Any:
        return self._async.settings

    @property
    def api_base(self) -> str:
        return self._async.api_base

    def whoami(self) -> WhoAmI:
        return self._runner.run(self._async.whoami())

    def health(self) -> Health:
        return self._runner.run(self._async.health())

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._runner.run(self._async.request(method, path, **kwargs))

    @property
    def closed(self) -> bool:
        return self._runner.closed

    def close(self) -> None:
        """Close the connections and stop the private loop; the client is unusable after."""
        self._finalizer()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Client {self.api_base}>"


async def _make(api_key: str | None, api_base: str | None, kwargs: dict[str, Any]) -> AsyncClient:
    return AsyncClient(api_key, api_base, **kwargs)


def _shutdown(client: AsyncClient, runner: LoopThread) -> None:
    try:
        runner.run(client.aclose())
    except Exception:
        pass
    runner.stop()
