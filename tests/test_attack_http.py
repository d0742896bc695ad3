"""Attack the http executor with hostile params: nothing outside the scope is ever reached.

A bot bound with ``clusters: ["staging-*"]`` calls tools whose request paths hold
params (one to a segment, two in one segment, a whole path) with every dot segment,
encoding and look-alike hypothesis can combine, plus URLs of another origin. A second
upstream on loopback stands for "elsewhere". For every request the upstream sees: it is
under ``api_base``'s path prefix, the path has exactly the template's segments (none of
them a dot segment, even once decoded), the cluster segment is in scope, and the call
that sent it has a completed audit entry. The elsewhere upstream is never reached, the
credential never comes back in any encoding, and the chain verifies at the end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monstrum_tui.server.redaction import encodings_of
from tests.attack_platform import HostilePlatform, data_dir_canaries
from tests.attack_upstream import HostileUpstream

API_PREFIX = "/api/v2"
#: spaces, '+', '/', '<', '&', quotes: each is written differently by each encoding
CREDENTIAL = f"tok {uuid.uuid4().hex[:12]}+/<&>\"'="

MANIFEST = """\
name: clusters-api
version: 1.0.0
resource_type: {id: clusters-api, name: Clusters API}
credential_schema:
  - {field: token, type: secret}
config_schema:
  - {field: api_base, type: url, required: true}
auth_methods:
  - type: header
    name: X-Token
    value: "{credentials.token}"
tools:
  - name: delete_node
    operation: node.delete
    input_schema:
      type: object
      properties:
        cluster: {type: string}
        kind: {type: [string, integer, boolean]}
        id: {type: [string, integer, number]}
        nonce: {type: string}
      required: [cluster, kind, id, nonce]
    http:
      method: DELETE
      path: /clusters/{params.cluster}/{params.kind}/{params.id}
      query: {nonce: "{params.nonce}", key: "{credentials.token}"}
  - name: get_file
    operation: node.read
    input_schema:
      type: object
      properties:
        cluster: {type: string}
        a: {type: string}
        b: {type: string}
        nonce: {type: string}
      required: [cluster, a, b, nonce]
    http:
      method: GET
      path: /clusters/{params.cluster}/files/{params.a}{params.b}.json
      query: {nonce: "{params.nonce}"}
      headers: {X-Trace: "{params.a}"}
  - name: raw_path
    operation: node.read
    input_schema:
      type: object
      properties:
        cluster: {type: string}
        p: {type: string}
        nonce: {type: string}
      required: [cluster, p, nonce]
    http:
      method: POST
      path: "/{params.p}"
      query: {nonce: "{params.nonce}", cluster: "{params.cluster}"}
      body: {cluster: "{params.cluster}", p: "{params.p}"}
scope_dimensions:
  - key: clusters
    param_paths: [cluster]
    match_mode: pattern
    error_template: "cluster {value} is not one this bot may touch"
"""

#: (tool, the path's segments after the prefix, the index of the cluster segment or None)
SHAPES = {"delete_node": (4, 1), "get_file": (4, 1), "raw_path": (1, None)}


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[HostileUpstream]:
    u = HostileUpstream()
    yield u
    u.close()


def _atoms(elsewhere_port: int) -> list[str]:
    other = f"127.0.0.1:{elsewhere_port}"
    return [
        ".", "..", "...", "", "/", "//", "./", "../", "./x", "../x", "x/..", "x/../..",
        "%2e", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "..%2f", "%2f..", "%2F",
        "..%5c", "\\..\\", "..;", ";..", "%00", "\x00", "\r\n", "\n", "\t", " ", "+", "%20",
        "．．", "\u2024\u2024", "\u2025", "\u3002", "\uff0f", "\u2215", "\ud800", "\udfff",
        "?", "#", "?x=1", "#frag", "&", "=", "@", ":", "staging-1", "staging-", "prod-1",
        "staging-1/../prod-1", "staging-1%2f..%2fprod-1", "STAGING-1", "staging-1\x00",
        f"//{other}/x", f"http://{other}/", f"@{other}", other, "http:", "https://x",
        "\u202estaging", "staging\u200b-1", "ｓｔａｇｉｎｇ-1",
    ]


def _texts(atoms: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(atoms),
        st.lists(st.sampled_from(atoms), min_size=1, max_size=4).map("".join),
        st.lists(st.sampled_from(atoms), min_size=1, max_size=3).map("/".join),
        st.text(max_size=12),
    )


def _values(atoms: list[str]) -> st.SearchStrategy[object]:
    """Mostly hostile text (the params' schemas want text); sometimes another scalar."""
    text = _texts(atoms)
    return st.one_of(text, text, text, text, text, text,
                     st.integers(-5, 5), st.booleans(), st.just(1.5))


def _clusters(atoms: list[str]) -> st.SearchStrategy[object]:
    """Mostly in scope (``staging-`` and anything: the glob's ``*`` takes every character),
    so the other params get to the executor; sometimes anything at all."""
    return st.one_of(st.just("staging-1"), _texts(atoms).map("staging-".__add__),
                     _texts(atoms).map("staging-".__add__), _values(atoms))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory, elsewhere: HostileUpstream):
    upstream = HostileUpstream()
    hostile = HostilePlatform(tmp_path_factory.mktemp("http") / "data")
    type_id = hostile.install(MANIFEST)
    hostile.add_resource("res_clusters", type_id, {"api_base": upstream.url + API_PREFIX},
                         {"token": CREDENTIAL})
    bot = hostile.add_bot("cluster-bot", "res_clusters", {"clusters": ["staging-*"]})
    yield hostile, upstream, bot
    upstream.close()
    hostile.close()


def _check_request(seen, tool: str, params: dict) -> None:
    assert seen.path.startswith(API_PREFIX + "/"), seen.target
    segments = seen.path[len(API_PREFIX) + 1:].split("/")
    count, cluster_at = SHAPES[tool]
    assert len(segments) == count, (tool, seen.target)
    for segment in segments:
        assert segment not in ("", ".", ".."), seen.target
        assert unquote(segment) not in (".", ".."), seen.target
    if cluster_at is not None:
        cluster = unquote(segments[cluster_at])
        assert cluster == params["cluster"] and fnmatchcase(cluster, "staging-*"), seen.target
    else:  # the cluster travels in the query and the body only
        assert fnmatchcase(str(params["cluster"]), "staging-*")


def _no_credential(text: str) -> None:
    for form in encodings_of(CREDENTIAL):
        assert form not in text, form


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_param_leaves_the_scope_or_the_api_base(attacked, elsewhere, data) -> None:
    hostile, upstream, bot = attacked
    atoms = _atoms(elsewhere.port)
    values = _values(atoms)
    tool = data.draw(st.sampled_from(sorted(SHAPES)), label="tool")
    cluster = data.draw(_clusters(atoms), label="cluster")
    params: dict[str, object] = {"cluster": cluster, "nonce": uuid.uuid4().hex}
    names = {"delete_node": ("kind", "id"), "get_file": ("a", "b"), "raw_path": ("p",)}[tool]
    for name in names:
        params[name] = data.draw(values, label=name)
    before = len(upstream.requests)

    traced = hostile.call(bot, tool, params)

    sent = upstream.requests[before:]
    assert len(sent) <= 1
    assert not elsewhere.requests, "a request reached another origin"
    for seen in sent:
        _check_request(seen, tool, params)
        assert params["nonce"] in seen.query
        # a call that reached the upstream has its entry, with its outcome recorded
        assert traced.audit is not None and traced.audit["status"] in ("success", "error")
        assert traced.audit["params"]["nonce"] == params["nonce"]
    if traced.outcome.status == "denied" or not sent:
        assert traced.audit is not None and traced.audit["status"] in ("denied", "error")
    everything = traced.text()
    _no_credential(everything)
    for name, secret in data_dir_canaries(hostile.data_dir).items():
        assert secret not in everything, name


def test_the_attack_reaches_the_upstream_and_the_log_stays_clean(attacked) -> None:
    """The property above is not vacuous: in-scope calls do go out and come back (with the
    credential echoed, and redacted); afterwards the chain verifies and no log line of ours
    or of a library carried the credential."""
    hostile, upstream, bot = attacked
    before = len(upstream.requests)
    traced = hostile.call(bot, "delete_node",
                          {"cluster": "staging-7", "kind": "pods", "id": "p 1", "nonce": "n1"})
    assert traced.outcome.status == "ok", traced.outcome.error
    seen = upstream.requests[before]
    assert seen.method == "DELETE" and seen.path == f"{API_PREFIX}/clusters/staging-7/pods/p%201"
    assert seen.headers["x-token"] == CREDENTIAL
    echoed = json.dumps(traced.outcome.data)
    assert "***" in echoed and "nonce=n1" in echoed
    _no_credential(traced.text())
    # the case: '..' in an unscoped segment would have climbed to /clusters/prod-1
    climbed = hostile.call(bot, "delete_node",
                           {"cluster": "staging-1", "kind": "..", "id": "prod-1", "nonce": "n2"})
    assert climbed.outcome.status == "denied" and climbed.audit["status"] == "denied"
    assert len(upstream.requests) == before + 1
    assert hostile.platform.audit.verify().ok
    _no_credential(hostile.log_text())


def test_values_fill_their_segments_exactly(tmp_path: Path) -> None:
    """The shapes the property checks against, on requests the upstream really got."""
    upstream = HostileUpstream()
    hostile = HostilePlatform(tmp_path / "data")
    try:
        hostile.add_resource("res_c", hostile.install(MANIFEST),
                             {"api_base": upstream.url + API_PREFIX + "/"}, {"token": "t0k3n"})
        bot = hostile.add_bot("shape-bot", "res_c", {"clusters": ["*"]})
        for tool, params in (("get_file", {"cluster": "c", "a": "v.", "b": "x", "nonce": "1"}),
                             ("raw_path", {"cluster": "c", "p": "a/b?c#d", "nonce": "2"})):
            traced = hostile.call(bot, tool, params)
            assert traced.outcome.status == "ok", traced.outcome.error
        assert [r.path for r in upstream.requests] == [
            f"{API_PREFIX}/clusters/c/files/v.x.json", f"{API_PREFIX}/a%2Fb%3Fc%23d"]
        # two params that are each '.' would make '..' together: a lone '.' is refused
        dots = hostile.call(bot, "get_file", {"cluster": "c", "a": ".", "b": ".", "nonce": "3"})
        assert dots.outcome.status == "denied" and dots.audit["status"] == "denied"
        assert len(upstream.requests) == 2
    finally:
        upstream.close()
        hostile.close()
