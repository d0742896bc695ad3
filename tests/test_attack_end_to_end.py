"""The attacks end to end: a low-privilege key (``tasks:write, bots:read``) runs scripted
tasks whose ``call TOOL {json}`` lines hypothesis fills with hostile params, against the
real server, its demo workspace (in the data dir, next to the keys) and a recording
upstream on loopback.

Checked on everything a user can see — each task's event stream (which must end with the
task's terminal event), the task, the audit log through the API, the server's log at debug
level — no canary shows up: the data dir's keys, the database, the witness's seal, a file
outside, the resource's credential in any encoding. Every request the upstream saw belongs
to a call with a completed audit entry, nothing reached another origin, and the chain
verifies at the end.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monstrum_tui.server.redaction import encodings_of
from tests.attack_platform import canary, data_dir_canaries
from tests.attack_server import Api, call_line, server_log, verify_offline
from tests.attack_upstream import HostileUpstream
from tests.serverproc import ServerProcess
from tests.test_attack_filesystem import PATHS
from tests.test_attack_http import MANIFEST as CLUSTERS_MANIFEST
from tests.test_attack_http import _atoms, _clusters, _values
from tests.test_attack_shell import ATTACHED, SEPARATE, TARGETS

CREDENTIAL = f"e2e {uuid.uuid4().hex[:10]}+/<&>\"'"


class Site:
    """The server, what is planted around it, and everything seen so far."""

    def __init__(self, base: Path) -> None:
        self.upstream = HostileUpstream()
        self.elsewhere = HostileUpstream()
        self.server = ServerProcess(
            data_dir=base / "data",
            extra_args=["--demo", "--rate-limit", "0", "--log-level", "debug"])
        self.server.start()
        self.admin = Api(self.server, self.server.admin_key)
        self.low = self.admin.key_with("tasks:write", "bots:read")
        self.outside_canary = canary("outside")
        outside = base / "outside"
        outside.mkdir()
        (outside / "canary.txt").write_text(self.outside_canary + "\n")
        workspace = self.server.data_dir / "demo-workspace"
        # links an operator might have left in the folder: out of it, and into the data dir
        os.symlink(outside / "canary.txt", workspace / "out-link")
        os.symlink("../admin.key", workspace / "key-link")
        os.symlink("../../secret.key", workspace / "docs" / "key-link")
        os.symlink(outside, workspace / "docs" / "dir-out")
        r = self.admin.request("POST", "/v1/integrations", content=CLUSTERS_MANIFEST)
        assert r.status_code == 201, r.text
        self.admin.ok("POST", "/v1/resources", json={
            "type": "clusters-api", "name": "clusters", "id": "res_clusters",
            "config": {"api_base": self.upstream.url + "/api/v2"},
            "credentials": {"token": CREDENTIAL}})
        self.bots = {
            "clusters": self._bot("e2e-clusters", "res_clusters", {"clusters": ["staging-*"]}),
            "shell": self._bot("e2e-shell", "res_demo_shell", {"commands": ["*"]}),
            "files": self._bot("e2e-files", "res_demo_files", {"paths": ["docs/*"]}),
            "ops-runner": self.low.bot("ops-runner")["id"],
        }
        self.seen: list[str] = []
        self.nonces: set[str] = set()

    def _bot(self, name: str, resource_id: str, scope: dict[str, list[str]]) -> str:
        return self.admin.ok("POST", "/v1/bots", json={
            "name": name, "model": "scripted", "allowed_operations": ["*"],
            "resource_bindings": [{"resource_id": resource_id, "allowed_tools": ["*"],
                                   "scope_constraints": scope}]})["id"]

    def canaries(self) -> dict[str, str]:
        found = data_dir_canaries(self.server.data_dir)
        found["outside"] = self.outside_canary
        for form in encodings_of(CREDENTIAL):
            found[f"credential as {form!r}"] = form
        return found

    def assert_clean(self, text: str) -> None:
        for name, secret in self.canaries().items():
            assert secret not in text, f"{name} leaked"

    def close(self) -> None:
        self.server.stop()
        self.upstream.close()
        self.elsewhere.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = Site(tmp_path_factory.mktemp("e2e"))
    yield s
    s.close()


def _shell_args() -> st.SearchStrategy[list[str]]:
    target = st.sampled_from([*TARGETS, "key-link", "out-link", "docs/key-link",
                              "docs/dir-out/canary.txt"])
    attached = st.tuples(st.sampled_from(ATTACHED), target).map("".join)
    separate = st.tuples(st.sampled_from(SEPARATE), target).map(list)
    return st.lists(st.one_of(attached.map(lambda a: [a]), separate), max_size=3).map(
        lambda parts: [a for part in parts for a in part])


@st.composite
def _call(draw: Any, kind: str, elsewhere_port: int) -> tuple[str, Any]:
    if kind == "clusters":
        atoms = _atoms(elsewhere_port)
        tool = draw(st.sampled_from(["delete_node", "get_file", "raw_path"]))
        params: dict[str, Any] = {"cluster": draw(_clusters(atoms)),
                                  "nonce": uuid.uuid4().hex}
        for name in {"delete_node": ("kind", "id"), "get_file": ("a", "b"),
                     "raw_path": ("p",)}[tool]:
            params[name] = draw(_values(atoms))
        return tool, params
    if kind in ("shell", "ops-runner"):
        command = draw(st.sampled_from(["cat", "head", "wc", "date", "ls", "echo", "uname",
                                        "rm", "sh", "../bin/cat", "/bin/cat"]))
        return "run_command", {"command": command, "args": draw(_shell_args())}
    tool = draw(st.sampled_from(["read_file", "list_files", "search_files"]))
    params = {"path": draw(PATHS)}
    if tool == "search_files":
        params["query"] = draw(st.sampled_from(["CANARY", "mst_", "key", "a"]))
    return tool, params


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_tasks_reach_nothing_outside_their_scope(site: Site, data) -> None:
    kind = data.draw(st.sampled_from(sorted(site.bots)), label="bot")
    calls = data.draw(st.lists(_call(kind, site.elsewhere.port), min_size=1, max_size=6),
                      label="calls")
    for _, params in calls:
        if "nonce" in params:
            site.nonces.add(params["nonce"])
    task, stream = site.low.run(site.bots[kind], [call_line(t, p) for t, p in calls])
    site.seen += [json.dumps(task), stream]
    site.assert_clean(json.dumps(task) + stream)
    assert not site.elsewhere.requests
    for request in site.upstream.requests:
        assert request.path.startswith("/api/v2/"), request.target


def test_every_request_the_upstream_saw_is_audited_and_nothing_leaked(site: Site) -> None:
    """Runs after the property (file order): the whole audit log, the log, verify."""
    # one call the binding allows, so the check below never has nothing to look at
    nonce = uuid.uuid4().hex
    site.nonces.add(nonce)
    site.low.run(site.bots["clusters"], [call_line("delete_node", {
        "cluster": "staging-1", "kind": "node", "id": "n-1", "nonce": nonce})])
    entries = site.admin.audit()
    site.assert_clean(json.dumps(entries))
    by_nonce = {e["params"].get("nonce"): e for e in entries if e["resource_id"] == "res_clusters"}
    sent = [parse_qs(r.query).get("nonce", [""])[0] for r in site.upstream.requests]
    assert sent, "no hostile call reached the upstream: the property checked nothing"
    for nonce in sent:
        assert nonce in site.nonces
        assert by_nonce[nonce]["status"] in ("success", "error"), by_nonce[nonce]
    assert not [e for e in entries if e["status"] == "pending"]
    assert {e["status"] for e in entries} >= {"denied"}
    site.server.stop()
    site.assert_clean(server_log(site.server))
    assert "HTTP Request:" not in site.server.log()
    done = verify_offline(site.server.data_dir)
    assert done.returncode == 0, done.stderr
    site.server.start()
