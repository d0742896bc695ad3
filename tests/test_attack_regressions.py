"""Issue 8's holes, each reproduced as it was reported, against the real server; and the
holes found while attacking the rebuilt core, each pinned the same way.

Every test here is the attack itself: it passes only if the attack no longer works.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus

import httpx
import pytest

from monstrum_tui.client.models import json_depth_exceeds
from monstrum_tui.server.audit.chain import chain_hash, outcome_hash
from tests.attack_platform import HostilePlatform, data_dir_canaries
from tests.attack_server import Api, call_line, cli, server_log, verify_offline
from tests.attack_upstream import HostileUpstream, SeenRequest, echo_json
from tests.serverproc import ServerProcess
from tests.test_openai_model import FakeChatServer, _chunk, _tool_delta

CLUSTERS_MANIFEST = """\
name: clusters
version: 1.0.0
resource_type: {id: clusters, name: Clusters}
credential_schema:
  - {field: token, type: secret}
config_schema:
  - {field: api_base, type: url, required: true}
tools:
  - name: delete_node
    operation: node.delete
    input_schema:
      type: object
      properties: {cluster: {type: string}, kind: {type: string}, id: {type: string}}
      required: [cluster, kind, id]
    http:
      method: DELETE
      path: /clusters/{params.cluster}/{params.kind}/{params.id}
      query: {key: "{credentials.token}"}
  - name: ping
    operation: node.read
    input_schema: {type: object, properties: {n: {type: string}, mode: {type: string}}}
    http: {method: GET, path: "/ping/{params.mode}", query: {n: "{params.n}",
           key: "{credentials.token}"}}
scope_dimensions:
  - key: clusters
    param_paths: [cluster]
    match_mode: pattern
    error_template: "cluster {value} is not allowed"
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[HostileUpstream]:
    u = HostileUpstream()
    yield u
    u.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with the demo workspace, logging everything (debug)."""
    proc = ServerProcess(data_dir=tmp_path_factory.mktemp("demo") / "data",
                         extra_args=["--demo", "--rate-limit", "0", "--log-level", "debug"])
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def admin(demo: ServerProcess) -> Api:
    return Api(demo, demo.admin_key)


@pytest.fixture(scope="module")
def low(admin: Api) -> Api:
    """The attacker's key: it may run tasks and read bots, nothing more."""
    return admin.key_with("tasks:write", "bots:read")


def _clusters(admin: Api, upstream: HostileUpstream, token: str, suffix: str) -> str:
    """A clusters resource on the upstream and a bot bound to ``staging-*``."""
    r = admin.request("POST", "/v1/integrations", content=CLUSTERS_MANIFEST)
    assert r.status_code in (200, 201), r.text
    res = admin.ok("POST", "/v1/resources", json={
        "type": "clusters", "name": f"clusters {suffix}", "id": f"res_cl_{suffix}",
        "config": {"api_base": upstream.url + "/api"}, "credentials": {"token": token}})
    bot = admin.ok("POST", "/v1/bots", json={
        "name": f"cluster-bot-{suffix}", "model": "scripted", "allowed_operations": ["node.*"],
        "resource_bindings": [{"resource_id": res["id"], "allowed_tools": ["*"],
                               "scope_constraints": {"clusters": ["staging-*"]}}]})
    return bot["id"]


# --- 1. shell confinement skipped for attached short options ---------------------------


def test_1_date_with_an_attached_option_cannot_read_the_data_dir(demo, admin, low) -> None:
    """``call run_command {"command": "date", "args": ["-f../admin.key"]}`` with a
    ``tasks:write, bots:read`` key on the demo ``ops-runner`` printed the admin key."""
    ops = low.bot("ops-runner")
    forms = [["-f../admin.key"], ["-f", "../admin.key"], ["--file=../admin.key"],
             ["-uf../secret.key"], ["-f../audit.key"], ["-f/etc/hostname"],
             ["-f./../monstrum.db"], ["-f", "demo-workspace/../admin.key"]]
    task, stream = low.run(ops["id"], [call_line("run_command", {"command": "date", "args": a})
                                       for a in forms])
    entries = admin.audit(task_id=task["id"])
    assert len(entries) == len(forms) and {e["status"] for e in entries} == {"denied"}
    everything = json.dumps([task, entries]) + stream + server_log(demo)
    for name, secret in data_dir_canaries(demo.data_dir).items():
        assert secret not in everything, name


# --- 2. calls that vanish from the audit log ----------------------------------------------


def test_2_a_lone_surrogate_is_audited_and_the_stream_survives(admin, low) -> None:
    ops = low.bot("ops-runner")
    task, _ = low.run(ops["id"], [
        'call run_command {"command": "echo", "args": ["hi"], "note": "\\ud800"}',
        'call run_command {"command": "rm", "args": ["-rf", "/"]}',  # denied by scope
        'call run_command {"command": "echo", "args": ["\\udfff"]}',
        'call run_command {"command": "echo", "args": ["after"]}',
    ])
    entries = admin.audit(task_id=task["id"])
    assert [e["status"] for e in reversed(entries)] == ["denied", "denied", "denied", "success"]
    assert "after" in task["output"]
    assert verify_offline(admin.server.data_dir).returncode == 0


def test_2_deeply_nested_params_are_audited_and_the_stream_survives(admin, low) -> None:
    """Found while attacking: params nested 300 deep were stored in the event, and every
    read of the stream died with a 500 (pydantic stops at 255); 600 deep, the call raised
    before it was decided and vanished from the audit log, failing the task."""
    ops = low.bot("ops-runner")
    lines = [f'call run_command {{"command": "echo", "x": {"[" * n}{"]" * n}}}'
             for n in (70, 300, 600)]
    task, _ = low.run(ops["id"], [*lines, call_line("run_command",
                                                    {"command": "echo", "args": ["after"]})])
    assert task["status"] == "completed" and "after" in task["output"]
    entries = list(reversed(admin.audit(task_id=task["id"])))
    assert [e["status"] for e in entries] == ["denied", "denied", "denied", "success"]
    assert all("more than 64 levels deep" in e["reason"] for e in entries[:3])
    # what is stored is bounded: the audit log and the task list still read back
    assert admin.request("GET", "/v1/audit", params={"limit": 10}).status_code == 200


def test_2_unreadable_numbers_and_nesting_on_a_call_line_are_that_lines_problem(admin,
                                                                               low) -> None:
    """Found while attacking: a 5,000-digit integer (or JSON nested past Python's limit)
    on one call line failed the whole task with a traceback in the log."""
    ops = low.bot("ops-runner")
    task, stream = low.run(ops["id"], [
        'call run_command {"command": "echo", "n": 1' + "0" * 5000 + "}",
        'call run_command {"x": ' + "[" * 5000 + "]" * 5000 + "}",
        call_line("run_command", {"command": "echo", "args": ["still running"]}),
    ])
    assert task["status"] == "completed" and "still running" in task["output"]
    problems = [json.loads(line[6:]) for line in stream.split("\n")
                if line.startswith("data: ") and '"type":"error"' in line]
    assert len(problems) == 2 and all("not valid JSON" in p["error"] for p in problems)
    assert "Traceback" not in admin.server.log()


def test_2_deep_metadata_is_a_422_and_the_task_list_keeps_working(admin, low) -> None:
    """Found while attacking: ``metadata`` nested 260 deep was a 500 after the task was
    created, and from then on ``GET /v1/tasks`` was a 500 for everyone."""
    ops = low.bot("ops-runner")
    deep = "[" * 260 + "]" * 260
    body = f'{{"bot_id": "{ops["id"]}", "input": "say hi", "metadata": {{"a": {deep}}}}}'
    r = low.request("POST", "/v1/tasks", content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert "more than 64 levels deep" in r.json()["error"]["message"]
    assert r.json()["error"]["fields"][0]["field"] == "metadata"
    assert low.request("GET", "/v1/tasks", params={"limit": 50}).status_code == 200
    deep_authorize = admin.request(
        "POST", f"/v1/bots/{ops['id']}/authorize",
        content='{"tool": "run_command", "params": {"a": %s}}' % ("[" * 100 + "]" * 100),
        headers={"content-type": "application/json"})
    assert deep_authorize.status_code == 422


# --- 3. the next append re-sealed a forged chain ------------------------------------------


def _forge_from(db: Path, seq: int) -> None:
    """Edit entry ``seq``'s params and recompute every hash from it to the head: all an
    attacker with the database (and no audit key) can do."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq", (seq,)).fetchall()
    prev = rows[0]["prev_hash"]
    for i, row in enumerate(rows):
        fields = dict(row)
        if i == 0:
            fields["params"] = json.dumps({"forged": True}, separators=(",", ":"))
        fields["prev_hash"] = prev
        new_hash = chain_hash(prev, {**fields, "timestamp": fields["ts"]}, fmt=fields["fmt"])
        bound = (outcome_hash(new_hash, fields) if fields["status"] != "pending"
                 else None)
        conn.execute("UPDATE audit_log SET params = ?, prev_hash = ?, hash = ?, outcome_hash = ?"
                     " WHERE seq = ?", (fields["params"], prev, new_hash, bound, fields["seq"]))
        prev = new_hash
    conn.execute("UPDATE audit_head SET hash = ? WHERE key = 1", (prev,))
    conn.commit()
    conn.close()


def test_3_a_forged_chain_is_never_extended_or_resealed(new_server, upstream) -> None:
    server = new_server("--rate-limit", "0")
    admin = Api(server, server.admin_key)
    bot = _clusters(admin, upstream, "tok-forge-0001", "forge")
    admin.run(bot, [call_line("ping", {"n": str(i), "mode": "m"}) for i in range(4)])
    server.stop()
    _forge_from(server.data_dir / "monstrum.db", 2)
    assert verify_offline(server.data_dir).returncode == 1

    server.start()
    health = httpx.get(server.url + "/v1/health", timeout=10).json()
    assert health["audit_ok"] is False and "seal" in health["audit_problem"]
    seen = len(upstream.requests)
    task, _ = admin.run(bot, [call_line("ping", {"n": "after-forgery", "mode": "m"}),
                              call_line("ping", {"n": "x", "mode": "m"})])
    assert len(upstream.requests) == seen, "a call ran while the audit log could not take it"
    assert task["status"] == "failed" and "audit" in task["error"]
    server.stop()
    done = verify_offline(server.data_dir)
    assert done.returncode == 1 and "rewritten without the" in done.stderr, done.stderr
    assert "aud_" in done.stderr  # it names the first entry that does not hold


# --- 4. dot segments in an unscoped path parameter ------------------------------------------


def test_4_a_dot_segment_cannot_climb_out_of_the_scoped_cluster(admin, low, upstream) -> None:
    bot = _clusters(admin, upstream, "tok-dots-0001", "dots")
    seen = len(upstream.requests)
    task, _ = low.run(bot, [
        call_line("delete_node", {"cluster": "staging-1", "kind": "..", "id": "prod-1"}),
        call_line("delete_node", {"cluster": "staging-1", "kind": ".", "id": "x"}),
        call_line("delete_node", {"cluster": "staging-1", "kind": "a/../..", "id": "prod-1"}),
        call_line("delete_node", {"cluster": "staging-1", "kind": "%2e%2e", "id": "prod-1"}),
    ])
    sent = [r.path for r in upstream.requests[seen:]]
    # an encoded '/' with dots is refused too (an upstream that decodes it would climb)
    assert sent == ["/api/clusters/staging-1/%252e%252e/prod-1"]
    statuses = [e["status"] for e in reversed(admin.audit(task_id=task["id"]))]
    assert statuses == ["denied", "denied", "denied", "success"]


# --- 6. credentials that leaked -----------------------------------------------------------


def _echoing(seen: SeenRequest) -> tuple[int, str, bytes]:
    """Echo the request back in the form the path asks for, as an error (so the body is
    kept whole until it is redacted and shortened)."""
    mode = seen.path.rsplit("/", 1)[-1]
    plain = parse_qs(seen.query)["key"][0]
    forms = {
        "query": f"bad request: {seen.target}",
        "b64": "token " + base64.b64encode(plain.encode()).decode(),
        "b64url": "token " + base64.urlsafe_b64encode(plain.encode()).decode().rstrip("="),
        "long": "x" * 490 + plain + "y" * 50,
        "long-json": json.dumps({"pad": "x" * 480, "token": plain}),
        "lower-percent": quote(plain, safe="").lower(),
        "go-json": json.dumps(plain)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")
        .replace("&", "\\u0026"),
        "php-json": json.dumps(plain)[1:-1].replace("/", "\\/"),
        "html": plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&#34;").replace("'", "&#39;"),
    }
    if mode not in forms:
        return echo_json(seen)
    return 400, "text/plain", ("echo: " + forms[mode]).encode()


def test_6_a_credential_comes_back_in_no_encoding_and_no_log_line(new_server) -> None:
    token = f"sp ace+/<&>'\"{uuid.uuid4().hex[:10]}"
    upstream = HostileUpstream(_echoing)
    try:
        server = new_server("--rate-limit", "0", "--log-level", "debug")
        admin = Api(server, server.admin_key)
        bot = _clusters(admin, upstream, token, "leak")
        modes = ["query", "b64", "b64url", "long", "long-json", "lower-percent", "go-json",
                 "php-json", "html", "ok"]
        task, stream = admin.run(bot, [call_line("ping", {"n": m, "mode": m}) for m in modes])
        assert len(upstream.requests) == len(modes)
        assert quote_plus(token, safe="") in upstream.requests[0].query  # sent as '+' form
        entries = admin.audit(task_id=task["id"])
        server.stop()
        everything = json.dumps([task, entries]) + stream + server_log(server)
        forms = {token, quote_plus(token), quote(token, safe=""), token[:-1],
                 quote_plus(token)[:-1], base64.b64encode(token.encode()).decode()[:-2],
                 json.dumps(token)[1:-2]}
        for form in forms:
            assert form not in everything, form
        assert everything.count("***") >= len(modes)
        assert "HTTP Request:" not in server.log()  # httpx's INFO line with the URL
    finally:
        upstream.close()


def test_6_an_openai_error_is_redacted_before_it_is_shortened(new_server) -> None:
    key = "sk-attack-" + uuid.uuid4().hex
    fake = FakeChatServer([(400, {"error": {"message": "x" * 280 + key + "y" * 40}})])
    try:
        server = new_server("--rate-limit", "0", "--log-level", "debug",
                            OPENAI_API_KEY=key, OPENAI_BASE_URL=fake.base_url)
        admin = Api(server, server.admin_key)
        bot = admin.ok("POST", "/v1/bots", json={"name": "gpt-bot", "model": "gpt-4o"})
        task, stream = admin.run(bot["id"], "hi")
        server.stop()
        everything = json.dumps(task) + stream + server_log(server)
        assert task["status"] == "failed"
        assert "***" in task["error"]
        for part in (key, key[:-1], key[10:26]):  # no prefix survives the cut at 300
            assert part not in everything
    finally:
        fake.stop()


def test_6_unreadable_tool_arguments_from_a_model_are_that_calls_problem(new_server) -> None:
    fake = FakeChatServer([
        [_chunk(_tool_delta(0, "call_a", "list_files", '{"path": ' + "[" * 3000 + "]" * 3000
                            + "}")),
         _chunk(_tool_delta(1, "call_b", "list_files", '{"n": 1' + "0" * 5000 + "}")),
         _chunk({}, "tool_calls")],
        [_chunk({"content": "done"}), _chunk({}, "stop")],
    ])
    try:
        server = new_server("--rate-limit", "0", "--demo", OPENAI_API_KEY="sk-x" * 4,
                            OPENAI_BASE_URL=fake.base_url)
        admin = Api(server, server.admin_key)
        res = admin.ok("GET", "/v1/resources")["data"]
        files = next(r for r in res if r["type"] == "filesystem")
        bot = admin.ok("POST", "/v1/bots", json={
            "name": "llm", "model": "gpt-4o", "allowed_operations": ["files.*"],
            "resource_bindings": [{"resource_id": files["id"], "allowed_tools": ["*"],
                                   "scope_constraints": {"paths": ["*"]}}]})
        task, _ = admin.run(bot["id"], "list")
        assert task["status"] == "completed" and task["output"] == "done"
    finally:
        fake.stop()


# --- 7. tampering that verify missed ----------------------------------------------------------


@pytest.fixture
def used(new_server, upstream) -> tuple[ServerProcess, Api, str]:
    """A server whose audit log has a few entries, stopped."""
    server = new_server("--rate-limit", "0")
    admin = Api(server, server.admin_key)
    bot = _clusters(admin, upstream, "tok-tamper-01", "tamper")
    admin.run(bot, [call_line("ping", {"n": str(i), "mode": "m"}) for i in range(3)])
    server.stop()
    return server, admin, bot


def test_7_deleting_every_row_is_detected_and_nothing_runs_after(used, upstream) -> None:
    server, admin, bot = used
    conn = sqlite3.connect(server.data_dir / "monstrum.db")
    conn.execute("DELETE FROM audit_log")
    conn.execute("DELETE FROM audit_head")
    conn.commit()
    conn.close()
    done = verify_offline(server.data_dir)
    assert done.returncode == 1 and "truncated" in done.stderr, done.stderr
    server.start()
    assert httpx.get(server.url + "/v1/health", timeout=10).json()["audit_ok"] is False
    seen = len(upstream.requests)
    task, _ = admin.run(bot, [call_line("ping", {"n": "after", "mode": "m"})])
    assert len(upstream.requests) == seen and task["status"] == "failed"


def test_7_plain_verify_checks_edits_before_the_last_checkpoint(tmp_path: Path) -> None:
    from monstrum_tui.server.audit import AuditLog

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    audit = AuditLog.open(f"sqlite:///{data_dir / 'monstrum.db'}", checkpoint_every=5)
    audit.record_many([{"bot_id": "bot_1", "task_id": None, "resource_id": None,
                        "tool_name": f"t{i}", "operation": None, "params": {"i": i},
                        "status": "denied", "reason": "no"} for i in range(12)])
    audit.close()
    assert verify_offline(data_dir).returncode == 0
    conn = sqlite3.connect(data_dir / "monstrum.db")
    conn.execute("UPDATE audit_log SET reason = 'edited' WHERE seq = 2")
    conn.commit()
    conn.close()
    done = verify_offline(data_dir)
    assert done.returncode == 1 and "edited" in done.stderr
    fast = cli("audit", "verify", "--data-dir", str(data_dir), "--fast")
    assert fast.returncode == 0
    assert "fast: edits before the checkpoint are not checked" in fast.stdout


def test_7_a_missing_audit_key_is_an_error_never_a_quiet_new_key(used) -> None:
    server, _, _ = used
    key = server.data_dir / "audit.key"
    original = key.read_text()
    key.unlink()
    done = verify_offline(server.data_dir)
    assert done.returncode != 0 and "no audit key" in done.stderr
    with pytest.raises(RuntimeError, match="key is missing"):
        server.start(timeout=20)
    assert not key.exists(), "a new audit key was made"
    assert "Traceback" not in server.log()
    key.write_text(original)  # restored from the backup: all is well again
    server.start()
    assert httpx.get(server.url + "/v1/health", timeout=10).json()["audit_ok"] is True
    server.stop()
    assert verify_offline(server.data_dir).returncode == 0


def test_7_a_replaced_audit_key_stops_appends_and_fails_verify(used, upstream) -> None:
    server, admin, bot = used
    (server.data_dir / "audit.key").write_text(uuid.uuid4().hex * 2 + "\n")
    server.start()
    health = httpx.get(server.url + "/v1/health", timeout=10).json()
    assert health["audit_ok"] is False
    seen = len(upstream.requests)
    task, _ = admin.run(bot, [call_line("ping", {"n": "after", "mode": "m"})])
    assert len(upstream.requests) == seen and task["status"] == "failed"
    server.stop()
    assert verify_offline(server.data_dir).returncode == 1


def _roll_back_and_drop_the_witness(server: ServerProcess, admin: Api, bot: str) -> None:
    """Copy the (validly sealed) database, make more calls, put the old copy back and
    delete the witness that would show the log was cut."""
    import shutil

    old = server.data_dir.parent / "old.db"
    shutil.copy(server.data_dir / "monstrum.db", old)
    server.start()
    admin.run(bot, [call_line("ping", {"n": f"later-{i}", "mode": "m"}) for i in range(3)])
    server.stop()
    shutil.copy(old, server.data_dir / "monstrum.db")
    for extra in ("monstrum.db-wal", "monstrum.db-shm"):
        (server.data_dir / extra).unlink(missing_ok=True)
    (server.data_dir / "audit.witness").unlink()


def test_7_verify_reports_a_deleted_witness_instead_of_writing_a_new_one(used) -> None:
    """Found while attacking: ``audit verify`` made a new witness from whatever head the
    database had, so a rolled-back log with its witness deleted verified as ok."""
    server, admin, bot = used
    _roll_back_and_drop_the_witness(server, admin, bot)
    done = verify_offline(server.data_dir)
    assert done.returncode == 1 and "witness (audit.witness) is missing" in done.stderr
    assert not (server.data_dir / "audit.witness").exists()


@pytest.mark.xfail(strict=True, reason=(
    "the server's start makes a new witness when the file is missing, as it must for a "
    "data dir that never had one (a log from before witnesses, or another machine's "
    "server on a shared PostgreSQL): a deleted witness cannot be told from those without "
    "recording in the database which data dirs have witnessed it"))
def test_7_a_server_start_does_not_bless_a_rolled_back_log(used) -> None:
    server, admin, bot = used
    _roll_back_and_drop_the_witness(server, admin, bot)
    server.start()
    health = httpx.get(server.url + "/v1/health", timeout=10).json()
    server.stop()
    assert health["audit_ok"] is False


# --- 8. one request stalled the server ----------------------------------------------------


REDOS_MANIFEST = """\
name: redos
version: 1.0.0
resource_type: {id: redos, name: ReDoS}
tools:
  - name: check
    operation: r.read
    input_schema:
      type: object
      properties: {name: {type: string, pattern: '^(a+)+$'}}
"""


def test_8_a_catastrophic_pattern_stalls_nothing(admin) -> None:
    r = admin.request("POST", "/v1/integrations", content=REDOS_MANIFEST)
    assert r.status_code in (200, 201), r.text
    res = admin.ok("POST", "/v1/resources", json={"type": "redos", "name": "redos"})
    bot = admin.ok("POST", "/v1/bots", json={
        "name": "redos-bot", "model": "scripted", "allowed_operations": ["*"],
        "resource_bindings": [{"resource_id": res["id"], "allowed_tools": ["*"]}]})
    answers: list[httpx.Response] = []

    def authorize(n: int) -> None:
        answers.append(admin.request("POST", f"/v1/bots/{bot['id']}/authorize",
                                     json={"tool": "check", "params": {"name": "a" * n + "!"}}))

    threads = [threading.Thread(target=authorize, args=(n,)) for n in (25, 30, 100_000)]
    for t in threads:
        t.start()
    healths = []
    while any(t.is_alive() for t in threads) or len(healths) < 3:
        healths.append(httpx.get(admin.server.url + "/v1/health", timeout=30).status_code)
    for t in threads:
        t.join(60)
    assert healths and set(healths) == {200}
    assert len(answers) == 3
    for answer in answers:
        assert answer.status_code == 200
        assert answer.json()["allowed"] is False and answer.json()["check"] == "input_schema"


# --- 10. smaller ------------------------------------------------------------------------------


def test_10_a_huge_yaml_integer_is_a_clear_problem(admin, tmp_path: Path) -> None:
    text = REDOS_MANIFEST.replace("version: 1.0.0", "version: 1.0.0\nbig: " + "9" * 4400)
    manifest = tmp_path / "big.yaml"
    manifest.write_text(text)
    done = cli("integrations", "validate", str(manifest))
    assert done.returncode != 0 and "Traceback" not in done.stderr + done.stdout
    assert "digits" in done.stderr + done.stdout or "number" in done.stderr + done.stdout
    r = admin.request("POST", "/v1/integrations", content=text)
    assert r.status_code == 422, r.text


def test_10_a_manifest_of_12000_tools_is_refused_with_the_limit(admin) -> None:
    tools = "".join(f"  - {{name: t{i}, operation: a.b}}\n" for i in range(12_000))
    text = "name: many\nversion: 1.0.0\nresource_type: {id: many, name: Many}\ntools:\n" + tools
    r = admin.request("POST", "/v1/integrations", content=text)
    assert r.status_code in (413, 422), r.text
    assert "256" in r.json()["error"]["message"] or r.status_code == 413


def test_10_unparsable_json_counts_against_the_rate_limit(new_server) -> None:
    server = new_server("--rate-limit", "2")
    headers = {"Authorization": f"Bearer {server.admin_key}",
               "content-type": "application/json"}
    statuses = [httpx.post(server.url + "/v1/bots", content=b"{not json", headers=headers,
                           timeout=10).status_code for _ in range(20)]
    assert 429 in statuses and set(statuses) <= {422, 429}, statuses


def test_10_a_stream_ends_soon_after_its_key_is_revoked(new_server) -> None:
    server = new_server("--rate-limit", "0", "--demo", MONSTRUM_SSE_KEY_RECHECK="0.5")
    admin = Api(server, server.admin_key)
    watcher = admin.key_with("tasks:write", "bots:read", name="watcher")
    ops = admin.bot("ops-runner")
    task = admin.ok("POST", "/v1/tasks", json={"bot_id": ops["id"], "input": "wait 60"})
    whoami = watcher.ok("GET", "/v1/whoami")
    received: list[str] = []

    def follow() -> None:
        with httpx.stream("GET", f"{server.url}/v1/tasks/{task['id']}/events",
                          headers=watcher.headers, timeout=60) as stream:
            for chunk in stream.iter_text():
                received.append(chunk)

    reader = threading.Thread(target=follow)
    reader.start()
    deadline = time.monotonic() + 30
    while not any("started" in c for c in received) and time.monotonic() < deadline:
        time.sleep(0.05)
    admin.ok("DELETE", f"/v1/api-keys/{whoami['id']}")
    reader.join(30)
    assert not reader.is_alive(), "the stream of a revoked key kept going"
    assert "revoked" in "".join(received)
    assert admin.ok("GET", f"/v1/tasks/{task['id']}")["status"] == "running"
    admin.ok("POST", f"/v1/tasks/{task['id']}/cancel")


@pytest.mark.parametrize("name", ["a\x00b", "two\nlines", "\u202eevil", "zero\u200bwidth",
                                  "tab\tname", "bell\x07", "\u2066isolate"])
def test_10_names_refuse_control_and_bidi_characters(admin, name: str) -> None:
    for path, body in (("/v1/bots", {"name": name, "model": "scripted"}),
                       ("/v1/resources", {"type": "filesystem", "name": name,
                                          "config": {"root": "/tmp"}}),
                       ("/v1/api-keys", {"name": name, "scopes": ["bots:read"]})):
        r = admin.request("POST", path, json=body)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["error"]["fields"][0]["field"] == "name"


# --- found while attacking: redaction forms, in-process -----------------------------------


def test_credential_echoes_in_other_encoders_forms_are_redacted(tmp_path: Path) -> None:
    """Go's JSON escapes ``<>&`` as ``\\u003c``..., PHP's ``/`` as ``\\/``, HTML pages
    escape quotes as ``&#34;``/``&#39;``, some servers write percent escapes in lower case:
    each echoed the credential past redaction."""
    token = "a<b>&c/d\"e'f g+" + uuid.uuid4().hex[:8]
    upstream = HostileUpstream(_echoing)
    hostile = HostilePlatform(tmp_path / "data")
    try:
        type_id = hostile.install(CLUSTERS_MANIFEST)
        hostile.add_resource("res_e", type_id, {"api_base": upstream.url + "/api"},
                             {"token": token})
        bot = hostile.add_bot("echo-bot", "res_e", {"clusters": ["*"]})
        for mode in ("lower-percent", "go-json", "php-json", "html", "b64", "query", "long"):
            traced = hostile.call(bot, "ping", {"n": "1", "mode": mode})
            assert traced.outcome.status == "error"
            text = traced.text()
            echoed = upstream.requests[-1]
            assert "***" in text, mode
            for probe in (token, token[:12], quote(token, safe="").lower()[:20],
                          base64.b64encode(token.encode()).decode()[:16],
                          json.dumps(token)[1:13].replace("<", "\\u003c")):
                assert probe not in text, (mode, probe)
            assert echoed.path.endswith(mode)
    finally:
        upstream.close()
        hostile.close()


def test_a_symlink_loop_in_the_root_breaks_no_listing_or_search(tmp_path: Path) -> None:
    """Found while attacking: one link pointing at itself made every listing and search
    of the root fail (and the error named the server's absolute path)."""
    hostile = HostilePlatform(tmp_path / "data")
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text("alpha\n")
    os.symlink(root / "loop", root / "loop")
    try:
        hostile.add_resource("res_f", "filesystem", {"root": str(root)})
        bot = hostile.add_bot("loop-bot", "res_f", {"paths": ["*"]})
        listed = hostile.call(bot, "list_files", {})
        assert listed.ok and [e["name"] for e in listed.outcome.data["entries"]] == ["a.txt"]
        found = hostile.call(bot, "search_files", {"query": "alpha"})
        assert found.ok and len(found.outcome.data["matches"]) == 1
        read = hostile.call(bot, "read_file", {"path": "loop"})
        assert read.outcome.status == "denied" and str(tmp_path) not in read.outcome.error
    finally:
        hostile.close()


def test_a_call_cancelled_while_its_entry_is_written_is_not_left_pending(tmp_path: Path) -> None:
    """Found while attacking: cancelling a task while its call's entry was being written
    (or its tool_call event recorded) left the entry ``pending`` for good: the task ended
    as cancelled, and a restart only resolves the entries of unfinished tasks."""
    import asyncio

    hostile = HostilePlatform(tmp_path / "data")
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text("a")
    try:
        hostile.add_resource("res_f", "filesystem", {"root": str(root)})
        bot = hostile.add_bot("cancel-bot", "res_f", {"paths": ["*"]})
        audit = hostile.platform.audit
        writing = threading.Event()
        real_begin = audit.begin

        def slow_begin(**entry: object):
            writing.set()
            time.sleep(0.3)  # a slow disk: the cancel lands while the entry is written
            return real_begin(**entry)

        class SlowListener:
            async def denied(self, *args: object, **kw: object) -> None: ...
            async def finished(self, *args: object, **kw: object) -> None: ...

            async def started(self, *args: object, **kw: object) -> None:
                writing.set()
                await asyncio.sleep(0.3)  # the tool_call event waits for its commit

        async def cancel_while_writing(listener: object | None) -> None:
            writing.clear()
            call = asyncio.ensure_future(hostile.platform.calls.call(
                bot, "read_file", {"path": "a.txt"}, task_id="task_c", listener=listener))
            while not writing.is_set():
                await asyncio.sleep(0.01)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call

        audit.begin = slow_begin  # type: ignore[method-assign]
        hostile.loop.run_until_complete(cancel_while_writing(None))
        audit.begin = real_begin  # type: ignore[method-assign]
        hostile.loop.run_until_complete(cancel_while_writing(SlowListener()))
        hostile.loop.run_until_complete(asyncio.sleep(0.5))
        from monstrum_tui.server.audit.query import AuditFilter

        entries, _ = audit.list(AuditFilter(task_id="task_c"), 10)
        assert [(e.status, e.reason) for e in entries] == [
            ("error", "cancelled before it ran: the call did not run")] * 2
        assert audit.verify().ok
    finally:
        hostile.close()


def test_an_upstream_answer_nested_hundreds_deep_is_the_calls_result(tmp_path: Path) -> None:
    """Found while attacking: JSON nested 500-950 deep from an upstream made the call raise
    RecursionError (in redaction, after the executor): the task failed with a traceback."""

    def deep(seen: SeenRequest) -> tuple[int, str, bytes]:
        n = int(seen.path.rsplit("/", 1)[-1])
        return 200, "application/json", ("[" * n + "]" * n).encode()

    upstream = HostileUpstream(deep)
    hostile = HostilePlatform(tmp_path / "data")
    try:
        type_id = hostile.install(CLUSTERS_MANIFEST)
        hostile.add_resource("res_deep", type_id, {"api_base": upstream.url},
                             {"token": "tok-deep-0001"})
        bot = hostile.add_bot("deep-bot", "res_deep", {"clusters": ["*"]})
        for n in (300, 600, 950, 5000):
            traced = hostile.call(bot, "ping", {"n": "1", "mode": str(n)})
            assert traced.ok and traced.audit["status"] == "success", (n, traced.outcome)
            assert not json_depth_exceeds(traced.outcome.data)  # cut where it was too deep
    finally:
        upstream.close()
        hostile.close()


def test_a_finished_tasks_entry_left_pending_is_resolved_at_the_next_start(used) -> None:
    """Found while attacking: when a call's outcome cannot be written its entry stays
    ``pending``; the next start only resolved the entries of unfinished tasks, so one of
    a task that went on to finish stayed pending for good. (The outcome that could not be
    written is simulated by putting the entry back in its pending state.)"""
    server, admin, _ = used
    conn = sqlite3.connect(server.data_dir / "monstrum.db")
    seq, task_id = conn.execute(
        "SELECT seq, task_id FROM audit_log WHERE status = 'success' ORDER BY seq DESC"
    ).fetchone()
    conn.execute("UPDATE audit_log SET status = 'pending', reason = '', duration_ms = NULL, "
                 "result_size = NULL, outcome_hash = NULL, outcome_mac = NULL WHERE seq = ?",
                 (seq,))
    conn.commit()
    conn.close()
    server.start()
    entries = admin.audit(task_id=task_id)
    assert admin.ok("GET", f"/v1/tasks/{task_id}")["status"] == "completed"
    server.stop()
    assert not [e for e in entries if e["status"] == "pending"]
    assert [e["status"] for e in entries if e["seq"] == seq] == ["unknown"]
    assert verify_offline(server.data_dir).returncode == 0
