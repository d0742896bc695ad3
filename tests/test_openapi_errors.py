"""The OpenAPI document declares each operation's errors in the shape the API sends them,
and a 405 names every method of its path (both found by the API fuzzing)."""

from __future__ import annotations

import httpx
import jsonschema
import pytest

from monstrum_tui.server.api.openapi_errors import BODY_NOT_FOUND, CONFLICTS
from monstrum_tui.server.app import create_app
from monstrum_tui.server.settings import ServerSettings


@pytest.fixture(scope="module")
def doc(server) -> dict:
    return httpx.get(f"{server.url}/openapi.json", timeout=10).json()


def _error_schema(doc: dict) -> dict:
    """``ErrorResponse`` with its components, as one schema jsonschema can check against."""
    return {**doc["components"]["schemas"]["ErrorResponse"], "components": doc["components"]}


def _ref_of(doc: dict, method: str, path: str, status: str) -> str:
    response = doc["paths"][path][method]["responses"][status]
    return response["content"]["application/json"]["schema"]["$ref"]


def test_every_declared_error_is_an_error_response(doc) -> None:
    seen = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status in op["responses"]:
                if status.startswith(("4", "5")):
                    assert _ref_of(doc, method, path, status) == (
                        "#/components/schemas/ErrorResponse"
                    ), f"{method} {path} {status}"
                    seen += 1
    assert seen > 100
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_each_operation_declares_the_errors_it_can_answer(doc) -> None:
    responses = {
        (m, p): set(op["responses"]) for p, item in doc["paths"].items() for m, op in item.items()
    }
    assert responses[("get", "/v1/health")] == {"200"}  # no key, no input: no error to declare
    assert responses[("get", "/v1/bots")] == {"200", "401", "403", "422", "429"}
    assert {"404", "409"} <= responses[("delete", "/v1/resources/{resource_id}")]
    assert "409" not in responses[("patch", "/v1/bots/{bot_id}")]
    # a route that honours Idempotency-Key declares the header and its 409
    delete_bot = doc["paths"]["/v1/bots/{bot_id}"]["delete"]
    assert "409" in responses[("delete", "/v1/bots/{bot_id}")]
    assert "Idempotency-Key" in [p["name"] for p in delete_bot["parameters"]]
    assert "Idempotency-Key" in doc["paths"]["/v1/bots/{bot_id}"]["delete"]["responses"]["409"][
        "description"
    ]
    assert {"404", "409", "422"} <= responses[("post", "/v1/tasks")]
    assert "422" in responses[("post", "/v1/integrations")]  # its YAML body is not a model
    for operation in [*CONFLICTS, *BODY_NOT_FOUND]:
        assert operation in responses, f"{operation} names no operation of the API"


def test_real_error_answers_match_the_declared_schema(server, doc) -> None:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        answers = [
            http.get("/v1/bots"),
            http.get("/v1/bots/bot_nope", headers=admin),
            http.post("/v1/bots", json={"name": ""}, headers=admin),
            http.post("/v1/integrations", content="name: [", headers=admin),
            http.post("/v1/tasks/task_nope/cancel", headers=admin),
        ]
    assert [r.status_code for r in answers] == [401, 404, 422, 422, 404]
    for r in answers:
        jsonschema.validate(r.json(), _error_schema(doc))
    assert answers[2].json()["error"]["fields"][0]["field"] == "name"


def test_a_405_names_every_method_of_the_path(server) -> None:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=server.url, timeout=10, headers=admin) as http:
        assert http.put("/v1/bots").headers["allow"] == "GET, POST"
        assert http.put("/v1/bots/bot_x").headers["allow"] == "DELETE, GET, PATCH"
        assert http.get("/v1/tasks/task_x/cancel").headers["allow"] == "POST"
        r = http.delete("/v1/integrations")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert r.json()["error"]["type"]


def test_routes_added_after_the_first_build_get_their_errors_declared(tmp_path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path / "data"))
    assert "ErrorResponse" in app.openapi()["components"]["schemas"]

    @app.get("/v1/later/{thing}")
    def later(thing: str) -> dict:
        return {"thing": thing}

    responses = app.openapi()["paths"]["/v1/later/{thing}"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )
