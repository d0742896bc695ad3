"""Error answers of the API: the envelope, the request id, and no internals leaked."""

from __future__ import annotations

import httpx

from monstrum_tui.server.app import create_app
from monstrum_tui.server.settings import ServerSettings


async def test_an_unexpected_failure_is_a_500_with_a_request_id_and_no_details(tmp_path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path / "data"))

    @app.get("/v1/explode")
    def explode() -> None:
        raise RuntimeError("secret internals mst_" + "Z" * 43)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        r = await http.get("/v1/explode")
    assert r.status_code == 500
    rid = r.headers.get("x-request-id", "")
    assert rid.startswith("req_")
    body = r.json()["error"]
    assert body == {"type": "api_error", "message": "internal server error", "request_id": rid}
    assert "secret" not in r.text


async def test_every_error_has_the_envelope_and_a_request_id(server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        admin = {"Authorization": f"Bearer {server.admin_key}"}
        answers = [
            await http.get("/v1/bots"),  # 401
            await http.get("/v1/bots/bot_x", headers=admin),  # 404
            await http.get("/v1/nowhere", headers=admin),  # 404, no route
            await http.post("/v1/bots", json={"name": ""}, headers=admin),  # 422
            await http.get("/v1/bots", params={"cursor": "garbage!"}, headers=admin),  # 422
            await http.get("/v1/bots", params={"limit": "many"}, headers=admin),  # 422
        ]
    for r in answers:
        assert r.status_code >= 400
        err = r.json()["error"]
        assert err["type"] and err["message"]
        assert r.headers["x-request-id"] == err["request_id"]
        assert r.headers["x-should-retry"] == "false"
    assert [r.status_code for r in answers] == [401, 404, 404, 422, 422, 422]
    fields = answers[3].json()["error"]["fields"]
    assert fields[0]["field"] == "name"


def test_the_hot_lists_are_rate_limited_per_key_and_check_the_key_first(new_server) -> None:
    """``GET /v1/bots`` and ``GET /v1/audit`` check key, rate and scope in the same step as
    their query: a bad key is a 401 before a bad query is a 422, a missing scope a 403,
    and every request, refused ones too, draws on the key's rate."""
    server = new_server("--rate-limit", "1")
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        made = http.post("/v1/api-keys", json={"name": "auditor", "scopes": ["audit:read"]},
                         headers=admin)
        assert made.status_code == 201, made.text
        auditor = {"Authorization": f"Bearer {made.json()['secret']}"}
        refused = http.get("/v1/bots", params={"cursor": "garbage!"}, headers=auditor)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["required_scope"] == "bots:read"
        assert http.get("/v1/audit", params={"status": "nonsense"},
                        headers=auditor).status_code == 422
        bad_key = {"Authorization": "Bearer mst_" + "q" * 43}
        assert http.get("/v1/audit", params={"status": "nonsense"},
                        headers=bad_key).status_code == 401
        assert http.get("/v1/bots", params={"cursor": "garbage!"},
                        headers=bad_key).status_code == 401
        answers = [http.get(path, headers=admin) for path in ("/v1/bots", "/v1/audit") * 5]
    codes = [r.status_code for r in answers]
    assert {200, 429} == set(codes), codes  # 2 at most pass at once: the burst is 2
    for path in ("/v1/bots", "/v1/audit"):
        limited = next(r for r in answers if r.status_code == 429 and r.url.path == path)
        assert limited.json()["error"]["type"] == "rate_limit_error"
        assert int(limited.headers["retry-after"]) >= 1
