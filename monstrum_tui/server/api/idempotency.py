"""``Idempotency-Key``: a retried create (or delete, or cancel) takes effect once.

A route opts in with one parameter (``once: Once``). The first request with a key
claims it in the store (per API key); its answer, if a success, is kept for a day and
replayed, byte for byte with ``Idempotent-Replayed: true``, to every repeat with the same
method, path and body, whichever server process sharing the database gets it. A repeat
with another body is a 422; a repeat while the first is still being handled is a 409
to retry shortly. A failed first request gives the key up, so its retry runs anew.

The claim is made by the route's dependency (after the key and its scope are checked);
the answer is captured by ``IdempotencyMiddleware``, the one place that sees the
response as sent.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...client.idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH, SAFE_METHODS, key_problem
from ..auth import Principal
from ..store.columns import utcnow
from ..store.idempotency import IdempotentRequest
from ..store.store import Store
from .deps import PlatformDep, authenticate
from .errors import Conflict, Invalid

#: how long a key and its answer are kept
KEY_TTL = timedelta(hours=24)
#: a first request unanswered for this long died with its process (handlers take ms)
IN_FLIGHT_LEASE = timedelta(seconds=60)
#: seconds between sweeps of expired keys
PURGE_EVERY_S = 600.0
REPLAYED_HEADER = "Idempotent-Replayed"
#: what a 409 means on an operation that takes an Idempotency-Key (for the OpenAPI document)
CONFLICT_DESCRIPTION = (
    "a request with this `Idempotency-Key` is still being handled (retry after "
    "`Retry-After`), or never finished, or created a secret that cannot be shown again"
)

_SCOPE_KEY = "monstrum.idempotency"


@dataclass
class _Claim:
    store: Store
    scope: str
    key_hash: str
    secret_fields: tuple[str, ...]


@dataclass
class _Slot:
    """Put in the ASGI scope by the middleware; the dependency leaves its claim in it."""

    claim: _Claim | None = None
    start: Message | None = None
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False
    settled: bool = False


class IdempotentReplay(Exception):
    """Raised by the dependency to answer a repeat with the first request's answer."""

    def __init__(self, response: Response) -> None:
        super().__init__("replayed")
        self.response = response


def _hash(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _canonical_body(body: bytes, content_type: str) -> bytes:
    """The body as compared between repeats: JSON by value, anything else by bytes."""
    if "json" in content_type:
        try:
            value = json.loads(body)
        except ValueError:
            return body
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return body


def key_digest(key: str) -> str:
    """How a key is stored: its hash (the key itself is the caller's)."""
    return _hash(key.encode("ascii"))


def request_fingerprint(key: str, method: str, target: str, body: bytes, content_type: str) -> str:
    """What a repeat must match: method, path with query, and body, salted with the key.

    Salted so that the hash of a body holding a weak secret (a resource's password) is
    not a dictionary lookup for someone who reads the table but not the key.
    """
    return _hash(
        key.encode("ascii"), method.encode(), target.encode(), _canonical_body(body, content_type)
    )


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _answer_to_repeat(earlier: IdempotentRequest, fingerprint: str, now: datetime) -> Exception:
    """What a request gets whose key an earlier request holds."""
    if earlier.fingerprint != fingerprint:
        return Invalid(
            f"this Idempotency-Key was used for another request ({earlier.method} "
            f"{earlier.path} with a different body) in the last {KEY_TTL.days * 24} hours; "
            "a key names one request: send a new key for a new request",
            fields=[{"field": IDEMPOTENCY_HEADER, "message": "used for a different request"}],
        )
    if earlier.done and earlier.replayable:
        return IdempotentReplay(
            Response(
                content=earlier.response or "",
                status_code=earlier.status_code or 200,
                media_type=earlier.media_type,
                headers={REPLAYED_HEADER: "true"},
            )
        )
    if earlier.done:
        made = _stored_id(earlier.response)
        return Conflict(
            f"the first request with this Idempotency-Key created {made or 'an object'}; its "
            "secret was in that answer only and is not kept: delete it and create another",
            id=made,
        )
    if now - earlier.created_at < IN_FLIGHT_LEASE:
        return Conflict(
            "a request with this Idempotency-Key is still being handled; retry shortly",
            headers={"Retry-After": "1", "X-Should-Retry": "true"},
        )
    return Conflict(
        f"the first request with this Idempotency-Key ({earlier.method} {earlier.path}) never "
        "finished (the server may have stopped while handling it), so whether it took "
        "effect is unknown: look before trying again, with a new key"
    )


def _stored_id(response: str | None) -> str | None:
    try:
        value = json.loads(response or "")
    except ValueError:
        return None
    made = value.get("id") if isinstance(value, dict) else None
    return made if isinstance(made, str) else None


def idempotent(*, secret_fields: tuple[str, ...] = ()) -> Callable[..., Coroutine[Any, Any, None]]:
    """The dependency a route declares to honour ``Idempotency-Key``.

    ``secret_fields``: top-level fields of the answer that are secrets shown once; they
    are not kept, so a repeat is told what was created instead of getting it again.
    """

    async def claim_idempotency_key(
        request: Request,
        platform: PlatformDep,
        principal: Annotated[Principal, Depends(authenticate)],
        idempotency_key: Annotated[
            str | None,
            Header(
                alias=IDEMPOTENCY_HEADER,
                description=f"any 1-{MAX_KEY_LENGTH} printable ASCII characters naming this "
                "request: a repeat within a day gets the first answer again, and does "
                "nothing else (the SDK sends one on every call, the same on its retries)",
            ),
        ] = None,
    ) -> None:
        if idempotency_key is None:
            return
        problem = key_problem(idempotency_key)
        if problem is not None:
            raise Invalid(
                f"the {IDEMPOTENCY_HEADER} header is not usable: {problem}",
                fields=[{"field": IDEMPOTENCY_HEADER, "message": problem}],
            )
        slot = request.scope.get(_SCOPE_KEY)
        if not isinstance(slot, _Slot):
            raise RuntimeError("IdempotencyMiddleware is not installed on this app")
        fingerprint = request_fingerprint(
            idempotency_key, request.method, _target(request), await request.body(),
            request.headers.get("content-type", ""),
        )
        key_hash = key_digest(idempotency_key)
        now = utcnow()
        store = platform.store
        earlier = await run_in_threadpool(
            lambda: store.idempotency.claim(
                principal.key_id, key_hash, fingerprint=fingerprint, method=request.method,
                path=request.url.path, expired_before=now - KEY_TTL,
            )
        )
        if earlier is None:
            slot.claim = _Claim(store, principal.key_id, key_hash, secret_fields)
            return
        raise _answer_to_repeat(earlier, fingerprint, now)

    return claim_idempotency_key


#: a route parameter: ``once: Once`` makes the route honour Idempotency-Key
Once = Annotated[None, Depends(idempotent())]
#: the same for a route whose answer holds a secret shown once (``secret``)
OnceWithSecret = Annotated[None, Depends(idempotent(secret_fields=("secret",)))]


def _stored_answer(slot: _Slot) -> tuple[int, str | None, str, bool] | None:
    """(status, media type, body, replayable) of a complete 2xx answer, else None."""
    if slot.start is None or not slot.complete:
        return None
    status = int(slot.start["status"])
    if not 200 <= status < 300:
        return None
    headers = {bytes(k).lower(): bytes(v) for k, v in slot.start.get("headers", [])}
    media_type = headers.get(b"content-type", b"").decode("latin-1") or None
    body = b"".join(slot.chunks).decode("utf-8", errors="replace")
    replayable = True
    claim = slot.claim
    if claim is not None and claim.secret_fields:
        try:
            value = json.loads(body)
        except ValueError:
            value = None
        if isinstance(value, dict):
            for name in claim.secret_fields:
                if value.pop(name, None) is not None:
                    replayable = False
            body = json.dumps(value)
        else:
            replayable, body = False, ""
    return status, media_type, body, replayable


class IdempotencyMiddleware:
    """Keeps the answer of each request that claimed an Idempotency-Key (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._next_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        slot = _Slot()
        scope[_SCOPE_KEY] = slot

        async def capture(message: Message) -> None:
            if slot.claim is not None and not slot.settled:
                if message["type"] == "http.response.start":
                    slot.start = message
                elif message["type"] == "http.response.body":
                    slot.chunks.append(bytes(message.get("body", b"")))
                    slot.complete = not message.get("more_body", False)
                    if slot.complete:
                        # kept before the last byte goes out: a client that has the whole
                        # answer, or retries after losing it, finds it stored
                        await self._settle_shielded(slot)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if slot.claim is not None and not slot.settled:
                await self._settle_shielded(slot)

    async def _settle_shielded(self, slot: _Slot) -> None:
        slot.settled = True
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(self._settle, slot)

    def _settle(self, slot: _Slot) -> None:
        claim = slot.claim
        assert claim is not None
        answer = _stored_answer(slot)
        repo = claim.store.idempotency
        if answer is None:
            repo.release(claim.scope, claim.key_hash)
        else:
            status, media_type, body, replayable = answer
            repo.complete(
                claim.scope, claim.key_hash, status_code=status, media_type=media_type,
                response=body, replayable=replayable,
            )
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY_S
            repo.purge(utcnow() - KEY_TTL)


def install_idempotency(app: FastAPI) -> None:
    """Capture answers for the routes that declare ``Once``, and send replays."""

    async def replay(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IdempotentReplay)
        return exc.response

    app.add_exception_handler(IdempotentReplay, replay)
    app.add_middleware(IdempotencyMiddleware)
