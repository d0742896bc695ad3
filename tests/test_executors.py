"""Executors through ``platform.catalog.execute``: the filesystem never leaves its root, the
shell runs only allow-listed commands with a timeout and cap, and the http executor applies
credentials as the manifest says and never hands them back (``***``).

These run the platform in-process on a real SQLite file: the executors are reached by the
task runner, not by an endpoint of their own.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monstrum_tui.server.manifests import manifest_digest, parse_manifest
from monstrum_tui.server.platform import Platform
from monstrum_tui.server.resource_values import with_defaults
from monstrum_tui.server.settings import ServerSettings

TOKEN = "tok-Zq81-secret-value"
PASSWORD = "pw-correct-horse-battery"

HTTP_MANIFEST = """\
name: echo-api
version: 1.0.0
resource_type: {id: echo-api, name: Echo API}
credential_schema:
  - {field: token, type: secret}
  - {field: user, type: string}
  - {field: password, type: secret}
  - {field: key, type: secret}
config_schema:
  - {field: api_base, type: url, required: true}
  - {field: region, type: string, default: eu-west-1}
auth_methods:
  - type: bearer
    token: "{credentials.token}"
  - type: basic
    username: "{credentials.user}"
    password: "{credentials.password}"
  - type: header
    name: X-Api-Key
    value: "{credentials.key}"
tools:
  - name: get_issue
    operation: issue.read
    input_schema:
      type: object
      properties:
        project: {type: string}
        status: {type: string}
        limit: {type: integer, default: 10}
      required: [project]
    http:
      method: GET
      path: /projects/{params.project}/issues
      query: {status: "{params.status}", limit: "{params.limit}", region: "{config.region}"}
      headers: {Accept: application/json}
  - name: create_issue
    operation: issue.write
    input_schema:
      type: object
      properties:
        project: {type: string}
        points: {type: integer}
    http:
      method: POST
      path: /issues
      body: {project: "{params.project}", points: "{params.points}", note: "by {config.region}"}
  - name: fail
    operation: issue.read
    input_schema: {type: object, properties: {code: {type: integer}}}
    http: {method: GET, path: "/status/{params.code}"}
  - name: slow
    operation: issue.read
    input_schema: {type: object, properties: {}}
    http: {method: GET, path: /slow}
  - name: plan_only
    description: declared, with no executor
    operation: issue.read
    input_schema: {type: object, properties: {}}
"""


class Upstream:
    """Echoes each request back as JSON; /status/N answers N; /slow takes 3 s."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                record = {"method": self.command, "path": self.path, "body": body,
                          "headers": {k.lower(): v for k, v in self.headers.items()}}
                outer.seen.append(record)
                status = 200
                if self.path.startswith("/status/"):
                    status = int(self.path.split("/")[2])
                if self.path == "/slow":
                    time.sleep(3)
                payload = json.dumps({"echo": record, "filler": "x" * 2000}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform.open(ServerSettings(data_dir=tmp_path / "data"))
    yield p
    p.close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    u = Upstream()
    yield u
    u.close()


def add_resource(platform: Platform, rid: str, type_id: str, config: dict[str, Any],
                 credentials: dict[str, Any] | None = None) -> None:
    compiled = platform.store.integrations.for_type(type_id)
    assert compiled is not None
    creds = credentials or {}
    platform.store.resources.create(
        rid, type_id, rid, with_defaults(compiled.manifest, config),
        platform.cipher.encrypt(creds), list(creds),
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "guide.md").write_text("Deploy with care.\nRoll back fast.\n")
    (root / "big.txt").write_text("0123456789" * 1000)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text("outside secret\n")
    os.symlink(outside, root / "escape")
    os.symlink(outside / "private.txt", root / "link.txt")
    os.symlink(root / "docs" / "guide.md", root / "inner-link.md")
    return root


@pytest.fixture
def files(platform: Platform, root: Path) -> str:
    add_resource(platform, "res_files", "filesystem", {"root": str(root), "max_read_bytes": 100})
    return "res_files"


async def run(platform: Platform, rid: str, tool: str, params: dict[str, Any],
              timeout: float = 10.0):
    return await platform.catalog.execute(rid, tool, params, timeout=timeout)


# --- filesystem ------------------------------------------------------------------------


async def test_filesystem_lists_reads_and_searches_inside_the_root(platform, files) -> None:
    listed = await run(platform, files, "list_files", {})
    assert listed.ok and listed.error is None
    names = [e["name"] for e in listed.data["entries"]]
    # the links that lead outside the root are not shown; the one inside is
    assert names == ["big.txt", "docs", "inner-link.md"]
    read = await run(platform, files, "read_file", {"path": "docs/guide.md"})
    assert read.ok and read.data["content"] == "Deploy with care.\nRoll back fast.\n"
    assert read.size > 0 and read.duration_ms >= 0
    found = await run(platform, files, "search_files", {"query": "ROLL BACK"})
    assert found.ok
    assert {(m["path"], m["line"]) for m in found.data["matches"]} == {
        ("docs/guide.md", 2), ("inner-link.md", 2)}


async def test_reads_are_capped(platform, files) -> None:
    read = await run(platform, files, "read_file", {"path": "big.txt"})
    assert read.ok and len(read.data["content"]) == 100 and read.data["truncated"] is True
    smaller = await run(platform, files, "read_file", {"path": "big.txt", "max_bytes": 10})
    assert smaller.data["content"] == "0123456789"


@pytest.mark.parametrize(
    ("tool", "params", "error"),
    [
        ("read_file", {"path": "../outside/private.txt"},
         "path '../outside/private.txt' contains '..'; paths must stay inside the root"),
        ("read_file", {"path": "docs/../../outside/private.txt"},
         "path 'docs/../../outside/private.txt' contains '..'; paths must stay inside the root"),
        ("read_file", {"path": "/etc/passwd"},
         "path '/etc/passwd' is absolute; give a path relative to the root"),
        ("read_file", {"path": "link.txt"},
         "path 'link.txt' leads outside the root (through a symlink)"),
        ("read_file", {"path": "escape/private.txt"},
         "path 'escape/private.txt' leads outside the root (through a symlink)"),
        ("list_files", {"path": "escape"},
         "path 'escape' leads outside the root (through a symlink)"),
        ("search_files", {"query": "secret", "path": "/"},
         "path '/' is absolute; give a path relative to the root"),
        ("search_files", {"query": "secret", "path": ".."},
         "path '..' contains '..'; paths must stay inside the root"),
    ],
)
async def test_escapes_from_the_root_are_refused(platform, files, tool, params, error) -> None:
    result = await run(platform, files, tool, params)
    assert not result.ok and result.error == error and result.data is None


async def test_search_does_not_follow_links_out_of_the_root(platform, files) -> None:
    result = await run(platform, files, "search_files", {"query": "outside secret"})
    assert result.ok and result.data["matches"] == []


# --- shell ---------------------------------------------------------------------------


@pytest.fixture
def shell(platform: Platform, root: Path) -> str:
    add_resource(platform, "res_shell", "shell", {
        "allowed_commands": ["echo", "sleep", "cat", "yes", "env"],
        "working_dir": str(root), "timeout_s": 0.5, "max_output_bytes": 1000,
    })
    return "res_shell"


async def test_shell_runs_an_allowed_command_without_a_shell(platform, shell) -> None:
    result = await run(platform, shell, "run_command",
                       {"command": "echo", "args": ["$HOME", "; rm -rf /", "`id`"]})
    assert result.ok
    assert result.data["stdout"] == "$HOME ; rm -rf / `id`\n" and result.data["exit_code"] == 0


async def test_shell_refuses_commands_off_the_allow_list_and_paths(platform, shell) -> None:
    no = await run(platform, shell, "run_command", {"command": "rm", "args": ["-rf", "docs"]})
    assert no.error == ("command 'rm' is not allowed on res_shell; allowed: echo, sleep, cat, "
                        "yes, env")
    path = await run(platform, shell, "run_command", {"command": "/bin/echo"})
    assert path.error == "give a command name, not a path: '/bin/echo'"
    outside = await run(platform, shell, "run_command", {"command": "cat", "args": ["link.txt"]})
    assert outside.error == "argument 'link.txt' leads outside the working folder"
    absolute = await run(platform, shell, "run_command",
                         {"command": "cat", "args": ["/etc/hostname"]})
    assert absolute.error == ("argument '/etc/hostname' is an absolute path; paths must be "
                              "relative to the working folder")
    inside = await run(platform, shell, "run_command",
                       {"command": "cat", "args": ["docs/guide.md"]})
    assert inside.ok and inside.data["stdout"].startswith("Deploy with care.")


async def test_shell_kills_a_command_at_its_timeout(platform, shell) -> None:
    result = await run(platform, shell, "run_command", {"command": "sleep", "args": ["30"]})
    assert not result.ok and result.error == "command 'sleep' timed out after 0.5s"


async def test_shell_stops_a_command_at_the_output_cap(platform, root) -> None:
    # a generous timeout: the cap, not the clock, must be what stops `yes` on a busy machine
    add_resource(platform, "res_shell_cap", "shell", {
        "allowed_commands": ["yes"], "working_dir": str(root), "timeout_s": 30,
        "max_output_bytes": 1000,
    })
    result = await run(platform, "res_shell_cap", "run_command", {"command": "yes"}, timeout=30)
    assert result.ok and result.data["truncated"] is True
    assert len(result.data["stdout"]) == 1000
    assert result.data["note"] == "output passed 1000 bytes; the command was stopped there"


async def test_shell_does_not_inherit_the_servers_environment(platform, shell, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    result = await run(platform, shell, "run_command", {"command": "env"})
    assert result.ok and "sk-should-not-leak" not in result.data["stdout"]
    assert "PATH=/usr/local/bin:/usr/bin:/bin" in result.data["stdout"]


async def test_a_failing_command_is_not_ok_with_its_exit_code(platform, shell) -> None:
    result = await run(platform, shell, "run_command", {"command": "cat", "args": ["nope.txt"]})
    assert not result.ok and result.data["exit_code"] == 1
    assert result.error.startswith("command 'cat' exited with code 1: ")


# --- http ----------------------------------------------------------------------------


@pytest.fixture
def echo_type(platform: Platform) -> str:
    manifest = parse_manifest(HTTP_MANIFEST)
    platform.store.integrations.install(manifest, HTTP_MANIFEST, manifest_digest(manifest))
    return "echo-api"


async def test_http_builds_the_request_and_applies_bearer_auth(platform, upstream, echo_type):
    add_resource(platform, "res_echo", echo_type, {"api_base": upstream.url + "/api/"},
                 {"token": TOKEN})
    result = await run(platform, "res_echo", "get_issue", {"project": "OPS 1"})
    assert result.ok, result.error
    seen = upstream.seen[-1]
    assert seen["method"] == "GET"
    # the path value is URL-quoted; the absent status is left out; defaults fill the rest
    assert seen["path"] == "/api/projects/OPS%201/issues?limit=10&region=eu-west-1"
    assert seen["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert seen["headers"]["accept"] == "application/json"
    # the upstream echoed the token back: it is redacted in what the tool returns
    assert result.data["echo"]["headers"]["authorization"] == "Bearer ***"
    assert TOKEN not in json.dumps(result.data)


async def test_http_json_body_keeps_types(platform, upstream, echo_type) -> None:
    add_resource(platform, "res_body", echo_type, {"api_base": upstream.url}, {"token": TOKEN})
    result = await run(platform, "res_body", "create_issue", {"project": "OPS", "points": 3})
    assert result.ok
    assert json.loads(upstream.seen[-1]["body"]) == {
        "project": "OPS", "points": 3, "note": "by eu-west-1"}


async def test_http_basic_and_header_auth_and_their_redaction(platform, upstream, echo_type):
    add_resource(platform, "res_basic", echo_type, {"api_base": upstream.url},
                 {"user": "ann", "password": PASSWORD})
    basic = await run(platform, "res_basic", "get_issue", {"project": "A"})
    sent = upstream.seen[-1]["headers"]["authorization"]
    assert sent.startswith("Basic ") and sent != "Basic ***"
    # the encoded user:password would reveal the password: it is redacted too
    assert basic.data["echo"]["headers"]["authorization"] == "Basic ***"
    add_resource(platform, "res_header", echo_type, {"api_base": upstream.url},
                 {"key": "k-0123456789"})
    keyed = await run(platform, "res_header", "get_issue", {"project": "A"})
    assert upstream.seen[-1]["headers"]["x-api-key"] == "k-0123456789"
    assert "authorization" not in upstream.seen[-1]["headers"]
    assert keyed.data["echo"]["headers"]["x-api-key"] == "***"


async def test_http_non_2xx_is_not_ok_with_status_and_trimmed_body(platform, upstream, echo_type):
    add_resource(platform, "res_fail", echo_type, {"api_base": upstream.url}, {"token": TOKEN})
    result = await run(platform, "res_fail", "fail", {"code": 503})
    assert not result.ok and result.data["status"] == 503
    assert result.error.startswith("HTTP 503 from GET /status/{params.code}: {")
    assert len(result.data["body"]) <= 501 and result.data["body"].endswith("…")
    assert TOKEN not in result.error and "Bearer ***" in result.error


async def test_http_timeout_is_a_clear_failure(platform, upstream, echo_type) -> None:
    add_resource(platform, "res_slow", echo_type, {"api_base": upstream.url}, {"token": TOKEN})
    result = await run(platform, "res_slow", "slow", {}, timeout=0.5)
    assert not result.ok and result.error == "GET /slow timed out after 0.5s"


async def test_a_tool_without_executor_says_so(platform, echo_type) -> None:
    add_resource(platform, "res_plan", echo_type, {"api_base": "http://127.0.0.1:9"})
    result = await run(platform, "res_plan", "plan_only", {})
    assert not result.ok and result.error == (
        "no executor: tool plan_only of integration echo-api declares no executor")


async def test_unknown_resource_and_tool(platform, files) -> None:
    assert (await run(platform, "res_nope", "read_file", {})).error == "no resource res_nope"
    assert (await run(platform, files, "delete_file", {})).error == (
        "no tool delete_file on resource res_files (type filesystem)")


def test_tools_of_gives_each_tool_its_dimensions_and_executor(platform, files) -> None:
    tools = {t.name: t for t in platform.catalog.tools_of(files)}
    assert set(tools) == {"list_files", "read_file", "search_files"}
    read = tools["read_file"]
    assert (read.resource_id, read.resource_type, read.integration) == (
        "res_files", "filesystem", "filesystem")
    assert read.executor == "filesystem.read" and read.spec.executor == "filesystem.read"
    assert [(d.key, d.param_paths) for d in read.tool.scope_dimensions] == [("paths", ["path"])]
    assert platform.catalog.tools_of("res_nope") == []


async def test_no_resource_may_reach_the_data_dir(platform, tmp_path: Path) -> None:
    """Keys and the database live in the data dir: a root or working folder that is, or
    holds, it never runs, and the API refuses to save one."""
    data_dir = Path(platform.settings.data_dir).resolve()
    for folder in (data_dir, data_dir.parent):
        add_resource(platform, "res_exposed", "filesystem", {"root": str(folder)})
        result = await run(platform, "res_exposed", "read_file", {"path": "admin.key"})
        assert not result.ok and "data dir" in (result.error or "")
        platform.store.resources.delete_unbound("res_exposed")
        add_resource(platform, "res_exposed_sh", "shell",
                     {"allowed_commands": ["cat"], "working_dir": str(folder)})
        result = await run(platform, "res_exposed_sh", "run_command",
                           {"command": "cat", "args": ["admin.key"]})
        assert not result.ok and "data dir" in (result.error or "")
        platform.store.resources.delete_unbound("res_exposed_sh")
    compiled = platform.store.integrations.for_type("filesystem")
    assert compiled is not None
    problems = platform.catalog.config_problems(compiled, {"root": str(data_dir)})
    assert problems and "data dir" in problems[0]["message"]
    (tmp_path / "elsewhere").mkdir()
    assert platform.catalog.config_problems(compiled, {"root": str(tmp_path / "elsewhere")}) == []


def test_links_leading_out_finds_every_kind_of_way_out(tmp_path: Path) -> None:
    """Without Landlock a folder is refused when a link in it (at any depth, dangling or
    not) leads out or into the data dir; links that stay inside are fine; too many
    entries to check is a refusal, not a pass."""
    from monstrum_tui.server.executors.confinement import PrivateZone
    from monstrum_tui.server.executors.shell import links_leading_out

    cwd = tmp_path / "work"
    (cwd / "a" / "b").mkdir(parents=True)
    (cwd / "a" / "file.txt").write_text("x")
    os.symlink(cwd / "a" / "file.txt", cwd / "inside-link")
    os.symlink("../a", cwd / "a" / "b" / "up-but-inside")
    assert links_leading_out(cwd, PrivateZone.empty()) is None
    os.symlink(tmp_path / "not-there-yet", cwd / "a" / "b" / "dangling-out")
    why = links_leading_out(cwd, PrivateZone.empty())
    assert why is not None and "dangling-out" in why
    (cwd / "a" / "b" / "dangling-out").unlink()
    assert links_leading_out(cwd, PrivateZone.empty(), limit=3) is not None  # fail closed


def test_a_link_loop_is_a_refusal_not_an_error(tmp_path: Path) -> None:
    from monstrum_tui.server.executors.confinement import PrivateZone
    from monstrum_tui.server.executors.shell import links_leading_out

    os.symlink("a", tmp_path / "a")  # a -> a: resolving it raises on Python 3.11
    why = links_leading_out(tmp_path, PrivateZone.empty())
    assert why is not None and "cannot be resolved" in why
