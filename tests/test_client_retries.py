"""The client's retry policy, against an upstream that fails on cue (tests/misbehaving_peer.py).

Waits are kept tiny with a fast ``RetryPolicy`` or small ``Retry-After`` values; no test
asserts a time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

import monstrum
from monstrum.exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InternalServerError,
    MonstrumAPIError,
    NotFoundError,
    PermissionError,
    RateLimitError,
    ValidationError,
)
from monstrum_tui.client.transport import (
    DEFAULT_RETRY_POLICY,
    MAX_RETRY_AFTER,
    RetryPolicy,
    parse_retry_after,
)
from tests.misbehaving_peer import DROP, STALL, MisbehavingPeer, Reply

FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.005)
OK = Reply(200, {"ok": True})


def error(status: int, type_: str, message: str, **extra: object) -> Reply:
    return Reply(status, {"error": {"type": type_, "message": message, **extra}})


@pytest.fixture(scope="module")
def peer() -> Iterator[MisbehavingPeer]:
    p = MisbehavingPeer().start()
    yield p
    p.stop()


@pytest.fixture
async def api(peer: MisbehavingPeer) -> AsyncIterator[monstrum.AsyncClient]:
    async with monstrum.AsyncClient(
        api_key="mst_test", api_base=peer.url, retry_policy=FAST
    ) as c:
        yield c


async def test_503_twice_then_200_succeeds_on_the_third_attempt(api, peer) -> None:
    peer.script("/v1/flaky", Reply(503), Reply(503), OK)
    assert await api.request("GET", "/v1/flaky") == {"ok": True}
    attempts = peer.attempts["/v1/flaky"]
    assert len(attempts) == 3
    # every attempt carries the key; retries say which retry they are
    assert all(a.headers["authorization"] == "Bearer mst_test" for a in attempts)
    assert [a.headers.get("x-retry-count") for a in attempts] == [None, "1", "2"]


async def test_default_is_two_retries_then_the_error_with_the_last_request_id(api, peer) -> None:
    peer.script("/v1/down", error(503, "api_error", "down for maintenance"))
    with pytest.raises(InternalServerError) as err:
        await api.request("GET", "/v1/down")
    assert peer.count("/v1/down") == 3
    assert err.value.status_code == 503
    assert err.value.message == "down for maintenance"
    assert err.value.request_id == "req_peer_3"


@pytest.mark.parametrize("max_retries, attempts", [(0, 1), (1, 2), (4, 5)])
async def test_max_retries_sets_the_attempt_count(peer, max_retries: int, attempts: int) -> None:
    peer.script("/v1/down", Reply(500))
    async with monstrum.AsyncClient(
        api_key="mst_test", api_base=peer.url, max_retries=max_retries, retry_policy=FAST
    ) as c:
        with pytest.raises(InternalServerError):
            await c.request("GET", "/v1/down")
    assert peer.count("/v1/down") == attempts


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_transient_statuses_are_retried(api, peer, status: int) -> None:
    peer.script("/v1/transient", Reply(status), OK)
    assert await api.request("GET", "/v1/transient") == {"ok": True}
    assert peer.count("/v1/transient") == 2


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, MonstrumAPIError),
        (401, AuthenticationError),
        (403, PermissionError),
        (404, NotFoundError),
        (422, ValidationError),
    ],
)
async def test_final_statuses_are_never_retried_even_if_the_server_hints(
    api, peer, status: int, cls: type[MonstrumAPIError]
) -> None:
    peer.script(
        "/v1/final",
        Reply(
            status,
            {"error": {"type": "x", "message": "no", "required_scope": "bots:write"}},
            {"X-Should-Retry": "true", "X-Request-Id": "req_final"},
        ),
        OK,
    )
    with pytest.raises(cls) as err:
        await api.request("POST", "/v1/final", json={"name": "x"})
    assert peer.count("/v1/final") == 1
    assert err.value.status_code == status
    assert err.value.request_id == "req_final"
    if status == 403:
        assert err.value.required_scope == "bots:write"


async def test_401_once_is_raised_and_not_retried(api, peer) -> None:
    peer.script("/v1/whoami", error(401, "authentication_error", "invalid API key"), OK)
    with pytest.raises(AuthenticationError) as err:
        await api.request("GET", "/v1/whoami")
    assert err.value.type == "authentication_error"
    assert err.value.request_id == "req_peer_1"
    assert peer.count("/v1/whoami") == 1
    assert await api.request("GET", "/v1/whoami") == {"ok": True}


async def test_typed_calls_go_through_the_same_policy(api, peer) -> None:
    peer.script("/v1/bots/bot_x", Reply(502), error(404, "not_found", "no bot bot_x"))
    with pytest.raises(NotFoundError) as err:
        await api.bots.get(bot_id="bot_x")
    assert peer.count("/v1/bots/bot_x") == 2
    assert err.value.message == "no bot bot_x"
    assert err.value.request_id == "req_peer_2"


async def test_a_409_the_server_marks_final_is_not_retried(api, peer) -> None:
    peer.script(
        "/v1/conflict",
        Reply(
            409, {"error": {"type": "conflict", "message": "taken"}}, {"X-Should-Retry": "false"}
        ),
        OK,
    )
    with pytest.raises(ConflictError):
        await api.request("POST", "/v1/conflict", json={})
    assert peer.count("/v1/conflict") == 1


async def test_a_409_without_the_hint_is_retried(api, peer) -> None:
    peer.script("/v1/conflict", error(409, "conflict", "locked"), OK)
    assert await api.request("POST", "/v1/conflict", json={}) == {"ok": True}
    assert peer.count("/v1/conflict") == 2


async def test_x_should_retry_true_makes_another_status_retryable(api, peer) -> None:
    peer.script("/v1/teapot", Reply(418, {}, {"X-Should-Retry": "true"}), OK)
    assert await api.request("GET", "/v1/teapot") == {"ok": True}
    assert peer.count("/v1/teapot") == 2


async def test_the_request_body_is_sent_again_on_every_attempt(api, peer) -> None:
    peer.script("/v1/post", Reply(503), Reply(503), OK)
    await api.request("POST", "/v1/post", json={"name": "déjà", "n": 1})
    bodies = [json.loads(a.body) for a in peer.attempts["/v1/post"]]
    assert bodies == [{"name": "déjà", "n": 1}] * 3


async def test_429_honours_a_small_retry_after(peer) -> None:
    # a slow default backoff, so only Retry-After can make this retry quick
    slow = RetryPolicy(initial_backoff=30, max_backoff=30)
    peer.script("/v1/limited", Reply(429, {}, {"Retry-After": "0.01"}), OK)
    async with monstrum.AsyncClient(api_key="mst_t", api_base=peer.url, retry_policy=slow) as c:
        assert await c.request("GET", "/v1/limited") == {"ok": True}
    assert peer.count("/v1/limited") == 2


async def test_retry_after_ms_is_understood(peer) -> None:
    peer.script("/v1/limited", Reply(429, {}, {"Retry-After-Ms": "5"}))
    async with monstrum.AsyncClient(api_key="mst_t", api_base=peer.url, max_retries=0) as c:
        with pytest.raises(RateLimitError) as err:
            await c.request("GET", "/v1/limited")
    assert err.value.retry_after == pytest.approx(0.005)


async def test_rate_limit_error_carries_retry_after_and_request_id(peer) -> None:
    peer.script(
        "/v1/limited",
        Reply(
            429,
            {"error": {"type": "rate_limit_error", "message": "slow down", "retry_after": 2}},
            {"Retry-After": "2", "X-Request-Id": "req_rl"},
        ),
    )
    async with monstrum.AsyncClient(api_key="mst_t", api_base=peer.url, max_retries=0) as c:
        with pytest.raises(RateLimitError) as err:
            await c.request("GET", "/v1/limited")
    assert err.value.retry_after == 2.0
    assert err.value.request_id == "req_rl"
    assert err.value.message == "slow down"
    assert peer.count("/v1/limited") == 1


async def test_a_retry_after_beyond_the_cap_is_raised_at_once(api, peer) -> None:
    peer.script("/v1/limited", Reply(429, {}, {"Retry-After": "3600"}), OK)
    with pytest.raises(RateLimitError) as err:
        await api.request("GET", "/v1/limited")
    assert peer.count("/v1/limited") == 1
    assert err.value.retry_after == 3600.0


async def test_dropped_connections_are_retried(api, peer) -> None:
    peer.script("/v1/drops", DROP, DROP, OK)
    assert await api.request("GET", "/v1/drops") == {"ok": True}
    assert peer.count("/v1/drops") == 3


async def test_a_connection_that_keeps_dropping_is_a_connection_error(api, peer) -> None:
    peer.script("/v1/drops", DROP)
    with pytest.raises(APIConnectionError) as err:
        await api.request("GET", "/v1/drops")
    assert peer.count("/v1/drops") == 3
    assert peer.url in str(err.value)


async def test_nobody_listening_is_a_connection_error(peer) -> None:
    from tests.serverproc import free_port

    base = f"http://127.0.0.1:{free_port()}"
    async with monstrum.AsyncClient(api_key="mst_t", api_base=base, retry_policy=FAST) as c:
        with pytest.raises(APIConnectionError) as err:
            await c.bots.list().page()
    assert base in str(err.value)


async def test_a_stalled_answer_times_out_and_is_retried(peer) -> None:
    peer.script("/v1/stall", STALL, OK)
    async with monstrum.AsyncClient(
        api_key="mst_t", api_base=peer.url, timeout=0.2, retry_policy=FAST
    ) as c:
        assert await c.request("GET", "/v1/stall") == {"ok": True}
        peer.script("/v1/stall", STALL)
        with pytest.raises(APITimeoutError):
            await c.request("GET", "/v1/stall", max_retries=1)
    assert peer.count("/v1/stall") == 2


async def test_an_html_error_page_from_a_proxy_is_still_typed(api, peer) -> None:
    peer.script(
        "/v1/proxy",
        Reply(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
    )
    with pytest.raises(InternalServerError) as err:
        await api.request("GET", "/v1/proxy", max_retries=0)
    assert err.value.type == "api_error"
    assert err.value.message == "Bad Gateway"
    assert err.value.request_id == "req_peer_1"


async def test_a_success_that_is_not_json_is_an_error_not_a_crash(api, peer) -> None:
    peer.script("/v1/garbled", Reply(200, b"<html>captive portal</html>"))
    with pytest.raises(MonstrumAPIError) as err:
        await api.request("GET", "/v1/garbled")
    assert err.value.type == "invalid_response"
    assert err.value.request_id == "req_peer_1"


def test_the_sync_client_retries_through_the_same_code(peer) -> None:
    peer.script("/v1/flaky", Reply(503), OK)
    with monstrum.Client(api_key="mst_t", api_base=peer.url, retry_policy=FAST) as c:
        assert c.request("GET", "/v1/flaky") == {"ok": True}
        peer.script("/v1/gone", error(404, "not_found", "gone"))
        with pytest.raises(NotFoundError) as err:
            c.request("GET", "/v1/gone")
    assert peer.count("/v1/flaky") == 2
    assert peer.count("/v1/gone") == 1
    assert err.value.request_id == "req_peer_1"


# --- the policy itself (pure functions, no waiting) ---------------------------


def test_defaults_match_the_openai_client() -> None:
    assert RetryPolicy(0.5, 8.0, 60.0) == DEFAULT_RETRY_POLICY
    assert MAX_RETRY_AFTER == 60.0


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = DEFAULT_RETRY_POLICY
    for attempt, base in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0.75 * base <= d <= base for d in delays), (attempt, min(delays), max(delays))
        assert len(set(delays)) > 1  # jittered
    assert policy.delay(10_000) <= 8.0


def test_retry_after_wins_only_within_the_cap() -> None:
    policy = DEFAULT_RETRY_POLICY
    assert policy.delay(0, 3.0) == 3.0
    assert policy.delay(0, 60.0) == 60.0
    assert policy.delay(0, 61.0) <= 0.5  # too long: fall back to backoff (and not retried)
    assert policy.delay(0, 0.0) <= 0.5


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    future = datetime.now(timezone.utc) + timedelta(seconds=30)
    parsed = parse_retry_after({"retry-after": format_datetime(future, usegmt=True)})
    assert parsed is not None and 25 <= parsed <= 31
    past = datetime.now(timezone.utc) - timedelta(seconds=30)
    assert parse_retry_after({"retry-after": format_datetime(past, usegmt=True)}) == 0.0
