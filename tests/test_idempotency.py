"""Idempotency-Key end to end: a retried create runs once, through a proxy that loses answers.

The proxy (tests/tcp_proxy.py) lets the request reach the real server and cuts the
connection before the answer gets back, which is what a timeout or a dropped link does
to a client: it cannot tell whether the server acted, so it retries.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

import monstrum
from monstrum.exceptions import ConflictError, ValidationError
from monstrum_tui.client.idempotency import IDEMPOTENCY_HEADER
from monstrum_tui.server.api.idempotency import key_digest, request_fingerprint
from monstrum_tui.server.store.columns import utcnow
from monstrum_tui.server.store.schema import idempotency_keys
from monstrum_tui.server.store.store import Store
from tests.misbehaving_peer import MisbehavingPeer, Reply
from tests.tcp_proxy import CuttableProxy
from tests.test_client_retries import FAST
from tests.test_task_tools import TICKETS_MANIFEST
from tests.upstream_http import RecordingUpstream


@pytest.fixture
def proxy(server) -> Iterator[CuttableProxy]:
    p = CuttableProxy(server.port).start()
    yield p
    p.stop()


@pytest.fixture
def upstream() -> Iterator[RecordingUpstream]:
    u = RecordingUpstream().start()
    yield u
    u.stop()


def ticket_bot(client, upstream: RecordingUpstream):
    """A bot whose one tool is an HTTP call to ``upstream``: each run is counted there."""
    suffix = secrets.token_hex(3)
    client.integrations.upload(manifest=TICKETS_MANIFEST.format(suffix=suffix))
    res = client.resources.create(
        type=f"tickets_{suffix}", name="tickets", config={"api_base": upstream.url},
        credentials={"api_token": "tok_" + secrets.token_hex(8)},
    )
    return client.bots.create(
        name="once-bot", allowed_operations=["ticket.read"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["get_ticket"],
                            "scope_constraints": {"projects": ["*"]}}],
    )


CALL = 'call get_ticket {"project": "OPS", "number": 1}'


def idempotency_rows(data_dir) -> list[tuple]:
    with sqlite3.connect(data_dir / "monstrum.db") as db:
        return db.execute("SELECT * FROM idempotency_keys").fetchall()


def test_a_task_whose_answer_is_lost_runs_once(server, client, proxy, upstream) -> None:
    bot = ticket_bot(client, upstream)
    with monstrum.Client(
        api_key=server.admin_key, api_base=proxy.url, retry_policy=FAST
    ) as via_proxy:
        proxy.drop_replies(1)
        task = via_proxy.tasks.run(bot_id=bot.id, input=CALL)
    assert proxy.dropped_replies == 1  # the first answer never arrived: the SDK retried
    assert task.status == "completed"
    assert [t.id for t in client.tasks.list(bot_id=bot.id)] == [task.id]
    assert len(upstream.requests) == 1  # the tool call ran once


def test_without_a_key_the_same_lost_answer_runs_the_bot_twice(server, client, proxy) -> None:
    """What the key prevents: the proxy does deliver the request before it drops the answer."""
    bot = client.bots.create(name="twice-bot")
    auth = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=proxy.url, headers=auth, timeout=10) as http:
        proxy.drop_replies(1)
        with pytest.raises(httpx.TransportError):
            http.post("/v1/tasks", json={"bot_id": bot.id, "input": "say hi"})
        assert http.post("/v1/tasks", json={"bot_id": bot.id, "input": "say hi"}).status_code == 201
    assert len(list(client.tasks.list(bot_id=bot.id))) == 2


@pytest.mark.parametrize("how", ["argument", "extra_headers"])
def test_a_key_of_the_callers_own_makes_a_second_call_a_replay(client, how) -> None:
    bot = client.bots.create(name="webhook-bot")
    key = f"alert-{secrets.token_hex(6)}"
    given = (
        {"idempotency_key": key} if how == "argument"
        else {"extra_headers": {IDEMPOTENCY_HEADER: key}}
    )
    first = client.tasks.create(bot_id=bot.id, input="say hi", metadata={"a": 1}, **given)
    again = client.tasks.run(bot_id=bot.id, input="say hi", metadata={"a": 1}, **given)
    assert again.id == first.id and again.status == "completed"
    assert len(list(client.tasks.list(bot_id=bot.id))) == 1
    with pytest.raises(ValidationError) as err:
        client.tasks.create(bot_id=bot.id, input="say something else", **given)
    assert err.value.status_code == 422
    assert "Idempotency-Key" in err.value.message and "different" in err.value.message
    assert err.value.fields == [
        {"field": "Idempotency-Key", "message": "used for a different request"}
    ]


def test_the_same_body_in_another_key_order_is_the_same_request(server, client) -> None:
    bot = client.bots.create(name="order-bot")
    auth = {"Authorization": f"Bearer {server.admin_key}", IDEMPOTENCY_HEADER: "order-1"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=10) as http:
        one = http.post("/v1/tasks", content=f'{{"bot_id": "{bot.id}", "input": "x"}}',
                        headers={"Content-Type": "application/json"})
        two = http.post("/v1/tasks", content=f'{{"input":"x","bot_id":"{bot.id}"}}',
                        headers={"Content-Type": "application/json"})
    assert one.status_code == two.status_code == 201
    assert one.json() == two.json()
    assert "idempotent-replayed" not in one.headers
    assert two.headers["idempotent-replayed"] == "true"
    assert two.headers["x-request-id"] != one.headers["x-request-id"]


def test_keys_belong_to_one_api_key(server, client) -> None:
    bot = client.bots.create(name="scoped-bot")
    other = client.api_keys.create(name="other", scopes=["tasks:write"]).secret
    with monstrum.Client(api_key=other, api_base=server.url) as second:
        a = client.tasks.create(bot_id=bot.id, input="say x", idempotency_key="shared-key")
        b = second.tasks.create(bot_id=bot.id, input="say x", idempotency_key="shared-key")
    assert a.id != b.id


def test_a_failed_first_request_gives_the_key_up(client) -> None:
    bot = client.bots.create(name="paused-bot", status="paused")
    with pytest.raises(ConflictError):
        client.tasks.create(bot_id=bot.id, input="say x", idempotency_key="after-unpause")
    client.bots.update(bot_id=bot.id, status="active")
    task = client.tasks.create(bot_id=bot.id, input="say x", idempotency_key="after-unpause")
    assert task.bot_id == bot.id  # the 409 was not kept: the retry ran


def test_cancel_and_delete_retried_after_they_took_effect_answer_as_the_first_time(
    server, client
) -> None:
    bot = client.bots.create(name="cancel-bot")
    task = client.tasks.create(bot_id=bot.id, input="wait 30")
    first = client.tasks.cancel(task_id=task.id, idempotency_key="cancel-1")
    again = client.tasks.cancel(task_id=task.id, idempotency_key="cancel-1")
    assert first.status == again.status == "cancelled"
    with pytest.raises(ConflictError):  # a new cancel of a finished task is still a 409
        client.tasks.cancel(task_id=task.id)
    client.bots.delete(bot_id=bot.id, idempotency_key="delete-1")
    client.bots.delete(bot_id=bot.id, idempotency_key="delete-1")  # replayed 204, no 404


def test_a_new_keys_secret_is_never_kept_so_a_repeat_names_the_key(server, client) -> None:
    key = f"make-key-{secrets.token_hex(4)}"
    made = client.api_keys.create(name="ci", scopes=["bots:read"], idempotency_key=key)
    with pytest.raises(ConflictError) as err:
        client.api_keys.create(name="ci", scopes=["bots:read"], idempotency_key=key)
    assert made.id in err.value.message and err.value.body["id"] == made.id
    assert made.secret not in str(err.value.body)
    stored = repr(idempotency_rows(server.data_dir))
    assert made.secret not in stored and key not in stored
    assert len([k for k in client.api_keys.list() if k.name == "ci" and k.id == made.id]) == 1


def test_no_credential_or_key_is_stored_in_the_clear(server, client) -> None:
    password = "hunter2-" + secrets.token_hex(4)
    key = f"res-{secrets.token_hex(4)}"
    client.integrations.upload(manifest=TICKETS_MANIFEST.format(suffix="cred"))
    res = client.resources.create(
        type="tickets_cred", name="creds", config={"api_base": "http://127.0.0.1:9"},
        credentials={"api_token": password}, idempotency_key=key,
    )
    again = client.resources.create(
        type="tickets_cred", name="creds", config={"api_base": "http://127.0.0.1:9"},
        credentials={"api_token": password}, idempotency_key=key,
    )
    assert again.id == res.id
    stored = repr(idempotency_rows(server.data_dir))
    assert res.id in stored  # the answer is kept...
    assert password not in stored and key not in stored  # ...but no secret, and no key


def test_bad_keys_are_422s_naming_the_header(server, client) -> None:
    bot = client.bots.create(name="badkey-bot")
    auth = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=10) as http:
        for bad in ["", "has space", "x" * 256, "caf\xe9".encode("latin-1"), b"tab\there"]:
            r = http.post(
                "/v1/tasks", json={"bot_id": bot.id}, headers={IDEMPOTENCY_HEADER: bad}
            )
            assert r.status_code == 422, bad
            assert r.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    with pytest.raises(ValueError, match="idempotency_key"):
        client.tasks.create(bot_id=bot.id, idempotency_key="has space")
    assert list(client.tasks.list(bot_id=bot.id)) == []


def _claim_by_hand(server, client, key: str, body: bytes, age: timedelta) -> None:
    """Claim ``key`` for POST /v1/tasks as a request still (or forever) in flight would."""
    store = Store(f"sqlite:///{server.data_dir / 'monstrum.db'}")
    try:
        key_id = client.whoami().id
        fingerprint = request_fingerprint(key, "POST", "/v1/tasks", body, "application/json")
        assert store.idempotency.claim(
            key_id, key_digest(key), fingerprint=fingerprint, method="POST",
            path="/v1/tasks", expired_before=utcnow() - timedelta(days=1),
        ) is None
        with store.write() as conn:
            conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.key_hash == key_digest(key))
                .values(created_at=utcnow() - age)
            )
    finally:
        store.close()


def test_a_repeat_while_the_first_is_in_flight_is_told_to_retry(server, client) -> None:
    bot = client.bots.create(name="inflight-bot")
    body = f'{{"bot_id":"{bot.id}","input":"say x"}}'.encode()
    _claim_by_hand(server, client, "in-flight", body, timedelta(seconds=0))
    _claim_by_hand(server, client, "died", body, timedelta(minutes=5))
    auth = {"Authorization": f"Bearer {server.admin_key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=10) as http:
        busy = http.post("/v1/tasks", content=body, headers={IDEMPOTENCY_HEADER: "in-flight"})
        dead = http.post("/v1/tasks", content=body, headers={IDEMPOTENCY_HEADER: "died"})
    assert busy.status_code == 409 and "still being handled" in busy.json()["error"]["message"]
    assert busy.headers["retry-after"] == "1" and busy.headers["x-should-retry"] == "true"
    assert dead.status_code == 409 and "unknown" in dead.json()["error"]["message"]
    assert dead.headers["x-should-retry"] == "false"  # fail closed: do not run it blind
    assert list(client.tasks.list(bot_id=bot.id)) == []


def test_a_key_older_than_a_day_is_forgotten(server, client) -> None:
    bot = client.bots.create(name="old-key-bot")
    first = client.tasks.create(bot_id=bot.id, input="say x", idempotency_key="yesterday")
    store = Store(f"sqlite:///{server.data_dir / 'monstrum.db'}")
    try:
        with store.write() as conn:
            conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.key_hash == key_digest("yesterday"))
                .values(created_at=utcnow() - timedelta(hours=25))
            )
    finally:
        store.close()
    later = client.tasks.create(bot_id=bot.id, input="say x", idempotency_key="yesterday")
    assert later.id != first.id


def test_a_retry_that_reaches_another_server_process_is_replayed(new_server, tmp_path) -> None:
    """Two processes on one database: the answer lost from the first is replayed by the
    second, from the store."""
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = new_server(MONSTRUM_DATABASE_URL=database)
    second = new_server(data_dir=first.data_dir, MONSTRUM_DATABASE_URL=database)
    proxy = CuttableProxy(first.port).start()
    try:
        with monstrum.Client(api_key=first.admin_key, api_base=first.url) as direct:
            bot = direct.bots.create(name="two-process-bot")
            with monstrum.Client(
                api_key=first.admin_key, api_base=proxy.url, retry_policy=FAST
            ) as via_proxy:
                proxy.drop_replies(1, then_target=second.port)
                task = via_proxy.tasks.create(bot_id=bot.id, input="say hello")
            assert proxy.dropped_replies == 1
            assert [t.id for t in direct.tasks.list(bot_id=bot.id)] == [task.id]
            assert direct.tasks.wait(task.id).status == "completed"
    finally:
        proxy.stop()


def test_every_attempt_of_one_call_carries_the_same_key() -> None:
    peer = MisbehavingPeer().start()
    try:
        peer.script("/v1/tasks", Reply(503, {}), Reply(503, {}), Reply(201, {
            "id": "task_1", "bot_id": "bot_1", "status": "queued",
            "created_at": "2026-01-01T00:00:00Z",
        }))
        peer.script("/v1/bots/bot_1", Reply(200, {
            "id": "bot_1", "name": "b", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }))
        with monstrum.Client(api_key="mst_t", api_base=peer.url, retry_policy=FAST) as c:
            c.tasks.create(bot_id="bot_1")
            keys = [a.headers.get("idempotency-key") for a in peer.attempts["/v1/tasks"]]
            assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
            peer.script("/v1/tasks", Reply(201, {
                "id": "task_2", "bot_id": "bot_1", "status": "queued",
                "created_at": "2026-01-01T00:00:00Z",
            }))
            c.tasks.create(bot_id="bot_1")
            assert peer.attempts["/v1/tasks"][0].headers["idempotency-key"] != keys[0]
            c.bots.get(bot_id="bot_1")  # reads carry none
            assert "idempotency-key" not in peer.attempts["/v1/bots/bot_1"][0].headers
    finally:
        peer.stop()


def test_the_sdk_waits_out_a_first_request_still_in_flight(server, client) -> None:
    """A repeat gets 409 + Retry-After while the first is handled; the SDK retries until
    the first one's answer is stored, and gets that answer."""
    bot = client.bots.create(name="waiting-bot")
    first = client.tasks.create(bot_id=bot.id, input="say x")
    key = f"slow-{secrets.token_hex(4)}"
    body = f'{{"bot_id":"{bot.id}","input":"say x","metadata":{{}}}}'.encode()
    _claim_by_hand(server, client, key, body, timedelta(seconds=0))
    store = Store(f"sqlite:///{server.data_dir / 'monstrum.db'}")

    def finish_first() -> None:  # the first request's answer arrives a little later
        threading.Event().wait(0.3)
        store.idempotency.complete(
            client.whoami().id, key_digest(key), status_code=201,
            media_type="application/json", response=first.model_dump_json(), replayable=True,
        )

    finisher = threading.Thread(target=finish_first)
    finisher.start()
    try:
        with monstrum.Client(
            api_key=server.admin_key, api_base=server.url, max_retries=30
        ) as patient:
            got = patient.tasks.create(bot_id=bot.id, input="say x", idempotency_key=key)
    finally:
        finisher.join(30)
        store.close()
    assert got.id == first.id
    assert [t.id for t in client.tasks.list(bot_id=bot.id)] == [first.id]


def test_expired_keys_are_swept(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'sweep.db'}")
    try:
        for key in ("old", "new"):
            assert store.idempotency.claim(
                "key_1", key_digest(key), fingerprint="f", method="POST", path="/v1/tasks",
                expired_before=utcnow() - timedelta(days=1),
            ) is None
        with store.write() as conn:
            conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.key_hash == key_digest("old"))
                .values(created_at=utcnow() - timedelta(days=2))
            )
        assert store.idempotency.purge(utcnow() - timedelta(days=1)) == 1
        with store.read() as conn:
            left = conn.execute(idempotency_keys.select()).all()
        assert [row.key_hash for row in left] == [key_digest("new")]
    finally:
        store.close()
