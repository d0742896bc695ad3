"""Every route of the API, tried with bad keys (401) and with keys that lack its scope (403).

The routes come from the running server's OpenAPI document, so routes added later are
covered without touching this file; the scope each one needs comes from the contract
table below (the brief's), so a route missing from the table fails loudly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from monstrum_tui.client.models import SCOPES, scope_grants
from tests.databases import stored_bytes

NO_KEY = "no key"
ANY_KEY = "any key"
METHODS = ("get", "post", "put", "patch", "delete")

# (methods, path prefix, scope): the first matching row wins
CONTRACT: list[tuple[frozenset[str], str, str]] = [
    (frozenset({"GET"}), "/v1/health", NO_KEY),
    (frozenset({"GET"}), "/v1/whoami", ANY_KEY),
    # the platform's own state: counts, limits, the chain; any key (the on-call's read-only
    # one most of all)
    (frozenset({"GET"}), "/v1/server", ANY_KEY),
    (frozenset({"GET"}), "/v1/task-stats", "tasks:read"),
    (frozenset({"GET"}), "/v1/bots", "bots:read"),
    (frozenset({"POST", "PUT", "PATCH", "DELETE"}), "/v1/bots", "bots:write"),
    (frozenset({"GET"}), "/v1/tasks", "tasks:read"),
    (frozenset({"POST", "PUT", "PATCH", "DELETE"}), "/v1/tasks", "tasks:write"),
    (frozenset({"GET"}), "/v1/resources", "resources:read"),
    (frozenset({"POST", "PUT", "PATCH", "DELETE"}), "/v1/resources", "resources:write"),
    (frozenset({"GET"}), "/v1/integrations", "resources:read"),
    (frozenset({"POST", "PUT", "PATCH", "DELETE"}), "/v1/integrations", "resources:write"),
    (frozenset({"GET", "POST"}), "/v1/audit", "audit:read"),
    (frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"}), "/v1/api-keys", "admin"),
    (frozenset({"GET"}), "/v1/approvals", "approvals:read"),
    (frozenset({"POST"}), "/v1/approvals", "approvals:write"),
]
# asking what a bot may do is reading the bot, even though it is a POST
SPECIAL = {("POST", "/v1/bots/{bot_id}/authorize"): "bots:read",
           # a draft's preview shows the tools of any resource it names
           ("POST", "/v1/bot-drafts/tools"): "resources:read"}

NON_ADMIN = [s for s in SCOPES if s != "admin"]


def expected_scope(method: str, path: str) -> str:
    generic = re.sub(r"\{[^}]+\}", "{id}", path)
    for (m, p), scope in SPECIAL.items():
        if m == method and re.sub(r"\{[^}]+\}", "{id}", p) == generic:
            return scope
    for methods, prefix, scope in CONTRACT:
        if method in methods and (path == prefix or path.startswith(prefix + "/")):
            return scope
    pytest.fail(f"{method} {path} is not in the scope contract table of {__file__}")


def dummy_path(path: str) -> str:
    """Fill path parameters with ids that name nothing (``{bot_id}`` -> ``bot_x``)."""

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"{name[:-3]}_x" if name.endswith("_id") else "x"

    return re.sub(r"\{([^}]+)\}", fill, path)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    scope: str

    @property
    def url_path(self) -> str:
        return dummy_path(self.path)

    @property
    def has_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class Keys:
    """API keys with chosen scopes, created once each through the admin key."""

    def __init__(self, http: httpx.Client, admin_key: str) -> None:
        self.http = http
        self.admin = admin_key
        self._made: dict[frozenset[str], str] = {}

    def with_scopes(self, scopes: list[str] | set[str]) -> str:
        wanted = frozenset(scopes)
        if wanted not in self._made:
            r = self.http.post(
                "/v1/api-keys",
                json={"name": ("scopes-" + "-".join(sorted(wanted)))[:100],
                      "scopes": sorted(wanted)},
                headers={"Authorization": f"Bearer {self.admin}"},
            )
            assert r.status_code == 201, r.text
            self._made[wanted] = r.json()["secret"]
        return self._made[wanted]

    def lacking(self, scope: str) -> str:
        """A key with every scope but ``scope`` and whatever would imply it."""
        return self.with_scopes({s for s in NON_ADMIN if not scope_grants([s], scope)})


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def routes(http: httpx.Client) -> list[Route]:
    doc = http.get("/openapi.json").json()
    found = [
        Route(method.upper(), path, expected_scope(method.upper(), path))
        for path, ops in doc["paths"].items()
        for method in ops
        if method in METHODS
    ]
    return sorted(found, key=lambda r: (r.path, r.method))


@pytest.fixture(scope="module")
def keys(http: httpx.Client, server) -> Keys:
    return Keys(http, server.admin_key)


def call(
    http: httpx.Client, route: Route, key: str | None, *, body: bytes | None = None,
    raw_auth: str | None = None,
) -> httpx.Response:
    headers = {}
    if raw_auth is not None:
        headers["Authorization"] = raw_auth
    elif key is not None:
        headers["Authorization"] = f"Bearer {key}"
    content = None
    if route.has_body:
        headers["Content-Type"] = "application/json"
        content = body if body is not None else b"{}"
    # streamed, so an event-stream route that did answer 200 cannot hang the test
    with http.stream(route.method, route.url_path, headers=headers, content=content) as r:
        if r.status_code >= 300:
            r.read()
        return r


def error_of(r: httpx.Response) -> dict:
    try:
        return r.json().get("error") or {}
    except ValueError:
        return {}


def test_the_walk_sees_the_foundation_routes(routes: list[Route]) -> None:
    seen = {str(r) for r in routes}
    for must in [
        "GET /v1/health", "GET /v1/whoami", "GET /v1/bots", "POST /v1/bots",
        "GET /v1/bots/{bot_id}", "PATCH /v1/bots/{bot_id}", "DELETE /v1/bots/{bot_id}",
        "GET /v1/api-keys", "POST /v1/api-keys", "DELETE /v1/api-keys/{key_id}",
    ]:
        assert must in seen


BAD_AUTH = [
    None,  # no header at all
    "Bearer mst_" + "x" * 43,  # well-formed, unknown
    "Bearer not-a-monstrum-key",
    "Basic YWRtaW46YWRtaW4=",
    "Bearer",  # a scheme and no token
]


def test_every_route_refuses_bad_keys_with_401(http, routes: list[Route]) -> None:
    problems = []
    for route in routes:
        for auth in BAD_AUTH:
            r = call(http, route, None, raw_auth=auth)
            if route.scope == NO_KEY:
                if r.status_code != 200:
                    problems.append(f"{route} with {auth!r}: {r.status_code}, wanted 200")
                continue
            err = error_of(r)
            if r.status_code != 401 or err.get("type") != "authentication_error":
                problems.append(f"{route} with {auth!r}: {r.status_code} {err}")
            elif not r.headers.get("x-request-id", "").startswith("req_"):
                problems.append(f"{route}: 401 without X-Request-Id")
            elif r.headers.get("www-authenticate") != "Bearer":
                problems.append(f"{route}: 401 without WWW-Authenticate")
    assert not problems, "\n".join(problems)


def test_a_broken_body_still_gets_401_first(http, routes: list[Route]) -> None:
    problems = []
    for route in routes:
        if not route.has_body or route.scope == NO_KEY:
            continue
        r = call(http, route, "mst_" + "y" * 43, body=b"{not json")
        if r.status_code != 401:
            problems.append(f"{route}: {r.status_code} {error_of(r)}")
    assert not problems, "\n".join(problems)


def test_every_route_refuses_a_key_without_its_scope_with_403(
    http, routes: list[Route], keys: Keys
) -> None:
    problems = []
    for route in routes:
        if route.scope in (NO_KEY, ANY_KEY):
            continue
        key = keys.lacking(route.scope)
        for body in (None, b"{not json"):
            if body is not None and not route.has_body:
                continue
            r = call(http, route, key, body=body)
            err = error_of(r)
            if (
                r.status_code != 403
                or err.get("type") != "permission_error"
                or err.get("required_scope") != route.scope
            ):
                problems.append(
                    f"{route} (body {body!r}): {r.status_code} {err}, wanted 403 naming "
                    f"{route.scope}"
                )
            elif not r.headers.get("x-request-id", "").startswith("req_"):
                problems.append(f"{route}: 403 without X-Request-Id")
    assert not problems, "\n".join(problems)


def test_every_route_lets_a_key_with_its_scope_through(
    http, routes: list[Route], keys: Keys, server
) -> None:
    """The scope, the :write that implies a :read, and admin each get past auth (to 2xx/404/422)."""
    problems = []
    for route in routes:
        if route.scope == NO_KEY:
            continue
        granting = [server.admin_key]
        if route.scope == ANY_KEY:
            granting.append(keys.with_scopes(["audit:read"]))
        elif route.scope != "admin":
            granting.append(keys.with_scopes([route.scope]))
            writer = route.scope.replace(":read", ":write")
            if route.scope.endswith(":read") and writer in SCOPES:
                granting.append(keys.with_scopes([writer]))
        for key in granting:
            r = call(http, route, key)
            if r.status_code in (401, 403) or r.status_code >= 500:
                problems.append(f"{route}: {r.status_code} {error_of(r)}")
    assert not problems, "\n".join(problems)


def test_whoami_answers_any_key_with_its_own_scopes(http, keys: Keys) -> None:
    key = keys.with_scopes(["audit:read", "bots:read"])
    r = http.get("/v1/whoami", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert r.json()["scopes"] == ["audit:read", "bots:read"]
    assert r.json()["id"].startswith("key_")


def test_a_revoked_key_is_refused(http, server) -> None:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    made = http.post("/v1/api-keys", json={"name": "short-lived", "scopes": ["bots:read"]},
                     headers=admin).json()
    mine = {"Authorization": f"Bearer {made['secret']}"}
    assert http.get("/v1/bots", headers=mine).status_code == 200
    assert http.delete(f"/v1/api-keys/{made['id']}", headers=admin).status_code == 204
    r = http.get("/v1/bots", headers=mine)
    assert r.status_code == 401 and error_of(r)["type"] == "authentication_error"


def test_a_new_keys_secret_is_shown_once_and_stored_hashed(http, server) -> None:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    made = http.post("/v1/api-keys", json={"name": "once", "scopes": ["audit:read"]},
                     headers=admin).json()
    assert made["secret"].startswith("mst_") and len(made["secret"]) > 40
    listed = http.get("/v1/api-keys", params={"limit": 500}, headers=admin).text
    assert made["secret"] not in listed
    assert made["id"] in listed
    db = stored_bytes(server.db_url)
    assert made["secret"].encode() not in db
    assert server.admin_key.encode() not in db


def test_unknown_scopes_are_refused_naming_them(http, server) -> None:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    r = http.post("/v1/api-keys", json={"name": "bad", "scopes": ["bots:read", "root"]},
                  headers=admin)
    assert r.status_code == 422
    assert "root" in error_of(r)["message"]


@pytest.mark.parametrize(
    "held, required, granted",
    [
        (["bots:write"], "bots:read", True),
        (["bots:read"], "bots:write", False),
        (["tasks:write"], "tasks:read", True),
        (["resources:write"], "resources:read", True),
        (["bots:write"], "audit:read", False),
        (["bots:write"], "resources:read", False),
        (["admin"], "audit:read", True),
        (["admin"], "resources:write", True),
        (["admin"], "admin", True),
        (["bots:write", "tasks:write", "resources:write", "audit:read"], "admin", False),
        ([], "bots:read", False),
    ],
)
def test_scope_rules(held: list[str], required: str, granted: bool) -> None:
    assert scope_grants(held, required) is granted
