"""The one HTTP path every call takes: auth header, retries with backoff, typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from .. import __version__
from .config import ClientSettings
from .errors import (
    APIConnectionError,
    APITimeoutError,
    MonstrumAPIError,
    RateLimitError,
    default_error_type,
    error_for_status,
)
from .idempotency import with_idempotency_key

RETRYABLE_STATUS = frozenset({408, 409, 429})
NEVER_RETRIED_STATUS = frozenset({400, 401, 403, 404, 405, 410, 413, 415, 422})
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
#: the longest Retry-After we are willing to sleep for; a longer one is raised at once
MAX_RETRY_AFTER = 60.0
#: sent on retried requests so the server's logs can tell a retry from a new call
RETRY_COUNT_HEADER = "X-Retry-Count"


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts (the attempt count is ``max_retries``).

    The defaults are those of the openai-python client: 0.5 s doubling up to 8 s, minus
    up to 25% jitter; a server's ``Retry-After`` of up to 60 s is honoured as given.
    """

    initial_backoff: float = INITIAL_BACKOFF
    max_backoff: float = MAX_BACKOFF
    max_retry_after: float = MAX_RETRY_AFTER

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after is not None and 0 < retry_after <= self.max_retry_after:
            return retry_after
        delay = min(self.initial_backoff * 2.0 ** min(attempt, 32), self.max_backoff)
        return max(0.0, delay * (1 - 0.25 * random.random()))


DEFAULT_RETRY_POLICY = RetryPolicy()


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After-Ms``, or ``Retry-After`` (seconds or an HTTP date)."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) / divisor
        except ValueError:
            continue
        if math.isfinite(value):
            return max(0.0, value)
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(
    attempt: int, retry_after: float | None, policy: RetryPolicy = DEFAULT_RETRY_POLICY
) -> float:
    """Capped exponential backoff with jitter; a sane ``Retry-After`` wins."""
    return policy.delay(attempt, retry_after)


def should_retry(response: httpx.Response, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> bool:
    """Retry 408/409/429/5xx unless the server says the outcome is final.

    Errors that a retry cannot change (401, 403, 404, 422...) are never retried, whatever
    the server hints; nor is an answer whose ``Retry-After`` is longer than we will wait.
    """
    status = response.status_code
    if status in NEVER_RETRIED_STATUS:
        return False
    retry_after = parse_retry_after(response.headers)
    if retry_after is not None and retry_after > policy.max_retry_after:
        return False
    hint = response.headers.get("x-should-retry")
    if hint == "false":
        return False
    if hint == "true":
        return True
    return status in RETRYABLE_STATUS or status >= 500


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
    status = response.status_code
    message = str(body.get("message") or response.reason_phrase or f"HTTP {status}")
    cls = error_for_status(status)
    kwargs: dict[str, Any] = dict(
        status_code=status,
        type=str(body.get("type") or default_error_type(status)),
        request_id=request_id or body.get("request_id"),
        body=body,
    )
    if cls is RateLimitError:
        retry_after = parse_retry_after(response.headers)
        if retry_after is None:
            try:
                retry_after = float(body["retry_after"])
            except (KeyError, TypeError, ValueError):
                retry_after = None
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def decode_success(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer (``None`` when empty); a non-JSON body is an error."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise MonstrumAPIError(
            f"the server answered {response.status_code} with a body that is not JSON",
            status_code=response.status_code,
            type="invalid_response",
            request_id=response.headers.get("x-request-id"),
        ) from None


def unused_tls_context() -> ssl.SSLContext:
    """The TLS context of a unix-socket transport, whose requests are plain HTTP.

    httpx builds a context for every transport it makes, and its default one loads the
    CA bundle (tens of ms and ~3 MB, a fifth of the dashboard's connect): a socket
    request never uses it. This one still verifies host and certificate but trusts no
    CA, so if TLS were ever asked for on it, it would refuse every peer.
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class Transport:
    """Owns the httpx client and sends requests with the retry policy."""

    def __init__(
        self,
        settings: ClientSettings,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.retry_policy = retry_policy or DEFAULT_RETRY_POLICY
        self._owns_http = http_client is None
        if http_client is None:
            transport = (
                httpx.AsyncHTTPTransport(uds=settings.uds, verify=unused_tls_context())
                if settings.uds else None
            )
            http_client = httpx.AsyncClient(
                base_url="http://monstrum.local" if settings.uds else settings.api_base,
                transport=transport,
                timeout=httpx.Timeout(settings.timeout, connect=min(5.0, settings.timeout)),
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
        idempotency_key: str | None = None,
    ) -> Any:
        """Send a request and return its decoded JSON body (``None`` for 204).

        Connection errors, timeouts, 408, 409, 429 and 5xx are retried up to
        ``max_retries`` times with capped exponential backoff and jitter (or the
        server's ``Retry-After``); every other error is raised at once, typed.
        A request that changes something carries an ``Idempotency-Key`` (one in
        ``headers``, else ``idempotency_key``, else a new one), the same on every retry,
        so the server runs it once however many attempts reach it.
        """
        retries = self.settings.max_retries if max_retries is None else max(0, max_retries)
        policy = self.retry_policy
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        base_headers = with_idempotency_key(
            method, self._headers(headers) if auth else dict(headers or {}), idempotency_key
        )
        attempt = 0
        while True:
            send_headers = base_headers
            if attempt:
                send_headers = {**base_headers, RETRY_COUNT_HEADER: str(attempt)}
            try:
                response = await self.http.request(
                    method, path, params=clean_params, json=json, content=content,
                    headers=send_headers,
                )
            except httpx.TimeoutException as exc:
                if attempt < retries:
                    await asyncio.sleep(policy.delay(attempt))
                    attempt += 1
                    continue
                raise APITimeoutError(
                    f"request timed out: {method} {path} on {self.where()}"
                ) from exc
            except httpx.TransportError as exc:
                if attempt < retries:
                    await asyncio.sleep(policy.delay(attempt))
                    attempt += 1
                    continue
                raise APIConnectionError(
                    f"cannot reach {self.where()}: {exc or type(exc).__name__}"
                ) from exc
            if response.is_success:
                return decode_success(response)
            if attempt < retries and should_retry(response, policy):
                await asyncio.sleep(policy.delay(attempt, parse_retry_after(response.headers)))
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
