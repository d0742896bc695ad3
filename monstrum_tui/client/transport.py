"""The one HTTP path every call takes: auth header, retries with backoff, typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from .. import __version__
from .config import ClientSettings
from .errors import (
    APIConnectionError,
    APITimeoutError,
    MonstrumAPIError,
    RateLimitError,
    error_for_status,
)

RETRYABLE_STATUS = frozenset({408, 409, 429})
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
#: the longest Retry-After we are willing to sleep for before giving up and raising
MAX_RETRY_AFTER = 60.0


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), if present."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Capped exponential backoff with jitter; ``Retry-After`` wins when it is sane."""
    if retry_after is not None and retry_after <= MAX_RETRY_AFTER:
        return retry_after
    delay = min(INITIAL_BACKOFF * 2**attempt, MAX_BACKOFF)
    return delay * (1 - 0.25 * random.random())


def should_retry(response: httpx.Response) -> bool:
    """Retry 408/409/429/5xx unless the server says the outcome is final."""
    hint = response.headers.get("x-should-retry")
    if hint == "false":
        return False
    if hint == "true":
        return True
    return response.status_code in RETRYABLE_STATUS or response.status_code >= 500


def error_from_response(response: httpx.Response) -> MonstrumAPIError:
    """Turn an error response into its typed exception."""
    request_id = response.headers.get("x-request-id")
    body: dict[str, Any] = {}
    try:
        payload = response.json()
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            body = payload["error"]
    except ValueError:
        pass
    message = str(body.get("message") or response.reason_phrase or "request failed")
    cls = error_for_status(response.status_code)
    kwargs: dict[str, Any] = dict(
        status_code=response.status_code,
        type=str(body.get("type") or "api_error"),
        request_id=request_id or body.get("request_id"),
        body=body,
    )
    if cls is RateLimitError:
        retry_after = parse_retry_after(response.headers)
        if retry_after is None and body.get("retry_after") is not None:
            retry_after = float(body["retry_after"])
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


class Transport:
    """Owns the httpx client and sends requests with the retry policy."""

    def __init__(self, settings: ClientSettings, http_client: httpx.AsyncClient | None = None):
        self.settings = settings
        self._owns_http = http_client is None
        if http_client is None:
            transport = (
                httpx.AsyncHTTPTransport(uds=settings.uds) if settings.uds else None
            )
            http_client = httpx.AsyncClient(
                base_url="http://monstrum.local" if settings.uds else settings.api_base,
                transport=transport,
                timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
                headers={"User-Agent": f"monstrum-python/{__version__}"},
            )
        self.http = http_client

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.settings.require_key()}"}
        if extra:
            headers.update(extra)
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        auth: bool = True,
    ) -> Any:
        """Send a request and return its decoded JSON body (``None`` for 204)."""
        retries = self.settings.max_retries if max_retries is None else max_retries
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        all_headers = self._headers(headers) if auth else dict(headers or {})
        attempt = 0
        while True:
            try:
                response = await self.http.request(
                    method, path, params=clean_params, json=json, content=content,
                    headers=all_headers,
                )
            except httpx.TimeoutException as exc:
                if attempt < retries:
                    await asyncio.sleep(backoff_delay(attempt, None))
                    attempt += 1
                    continue
                raise APITimeoutError(f"request timed out: {method} {path}") from exc
            except httpx.TransportError as exc:
                if attempt < retries:
                    await asyncio.sleep(backoff_delay(attempt, None))
                    attempt += 1
                    continue
                raise APIConnectionError(
                    f"cannot reach {self.where()}: {exc or type(exc).__name__}"
                ) from exc
            if response.is_success:
                if response.status_code == 204 or not response.content:
                    return None
                return response.json()
            if attempt < retries and should_retry(response):
                retry_after = parse_retry_after(response.headers)
                if retry_after is None or retry_after <= MAX_RETRY_AFTER:
                    await asyncio.sleep(backoff_delay(attempt, retry_after))
                    attempt += 1
                    continue
            raise error_from_response(response)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = 60.0,
    ) -> AsyncIterator[httpx.Response]:
        """Open a streaming response; raises the typed error if the server refuses."""
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        timeout = httpx.Timeout(self.settings.timeout, read=read_timeout)
        try:
            async with self.http.stream(
                method, path, params=clean_params, headers=self._headers(headers),
                timeout=timeout,
            ) as response:
                if not response.is_success:
                    await response.aread()
                    raise error_from_response(response)
                yield response
        except httpx.TimeoutException as exc:
            raise APITimeoutError(f"stream timed out: {method} {path}") from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(f"stream from {self.where()} broke: {exc}") from exc

    def where(self) -> str:
        """A human description of the server address."""
        return f"unix:{self.settings.uds}" if self.settings.uds else self.settings.api_base

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()
