"""The web console's gate, over real HTTP against ``monstrum-tui --web`` (no browser needed):
nothing but the login page without the token, no app process without a login, nothing
from other sites, and the API key only ever in the session process's environment."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monstrum_tui.client.config import ClientSettings
from monstrum_tui.client.errors import ConfigurationError
from monstrum_tui.ui.connection import ConnectionTarget
from monstrum_tui.ui.web.access import (
    ConsoleToken,
    LoginSessions,
    hostname,
    is_loopback,
    resolve_token,
)
from monstrum_tui.ui.web.console import WebConsole
from monstrum_tui.ui.web.session import SPEC_ENV, SessionSpec
from tests.browser import WebConsoleProcess, inherited_env, isolated_env

TOKEN = "a-configured-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, server) -> Iterator[WebConsoleProcess]:
    """A console for the test server's admin key, with a configured token, run inside 'tmux'."""
    home = tmp_path_factory.mktemp("webhome-gate")
    env = {
        **isolated_env(home),
        "MONSTRUM_API_BASE": server.url,
        "MONSTRUM_API_KEY": server.admin_key,
        "MONSTRUM_WEB_TOKEN": TOKEN,
        "TMUX": "/tmp/tmux-0/default,1,0",
    }
    proc = WebConsoleProcess(env=env).start()
    yield proc
    proc.stop()


@pytest.fixture
def http(console: WebConsoleProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as c:
        yield c



def log_in(http: httpx.Client) -> str:
    answer = http.post("/login", data={"token": TOKEN})
    assert answer.status_code == 303, answer.text
    return answer.cookies["monstrum_console"]


def test_the_configured_token_is_never_printed(console: WebConsoleProcess) -> None:
    assert console.token == ""  # the "token:" line names where it is set, not the token
    assert "token: the one set in MONSTRUM_WEB_TOKEN" in console.output()
    assert TOKEN not in console.output()


def test_nothing_but_the_login_page_without_the_token(console, http: httpx.Client) -> None:
    started = console.sessions_started()
    page = http.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login"
    login = http.get("/login")
    assert login.status_code == 200 and 'name="token"' in login.text
    for path in ("/static/js/textual.js", "/download/abc", "/ws", "/anything"):
        answer = http.get(path)
        assert answer.status_code == 401, path
        assert "log in first" in answer.text
    console.wait_for_output("refused a session: the browser has not logged in")
    assert console.sessions_started() == started
    assert console.session_pids() == []


def test_a_wrong_token_is_refused_without_a_cookie(console, http: httpx.Client) -> None:
    started = console.sessions_started()
    for form in ({"token": TOKEN + "x"}, {"token": ""}, {"token": TOKEN[:-1]}, {}):
        answer = http.post("/login", data=form)
        assert answer.status_code == 401
        assert "not right" in answer.text and "Nothing was started" in answer.text
        assert "set-cookie" not in answer.headers
        assert TOKEN not in answer.text
    assert http.post("/login", content=b"token=" + b"x" * 40_000,
                     headers={"Content-Type": "application/x-www-form-urlencoded"}
                     ).status_code == 413
    assert console.sessions_started() == started


def test_the_token_opens_a_strict_httponly_session(console, http: httpx.Client, server) -> None:
    answer = http.post("/login", data={"token": TOKEN})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("monstrum_console=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert server.admin_key not in cookie
    page = http.get("/")
    assert page.status_code == 200
    assert f'data-session-websocket-url="ws://{console.url.split("//")[1]}ws"' in page.text
    assert server.admin_key not in page.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self' 'nonce-" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert http.get("/static/js/textual.js").status_code == 200
    assert http.get("/login").status_code == 303  # already in


def test_logout_forgets_the_session(http: httpx.Client) -> None:
    log_in(http)
    assert http.get("/").status_code == 200
    assert http.get("/logout").status_code == 303
    http.cookies.clear()
    assert http.get("/").status_code == 303
    # and an old cookie is dead on the server, not only deleted in the browser
    session = log_in(http)
    http.post("/logout")
    http.cookies.set("monstrum_console", session)
    assert http.get("/").status_code == 303


def test_other_sites_are_refused(console, http: httpx.Client) -> None:
    started = console.sessions_started()
    evil = {"Origin": "http://evil.example"}
    assert http.post("/login", data={"token": TOKEN}, headers=evil).status_code == 403
    assert http.post("/login", data={"token": TOKEN},
                     headers={"Origin": "null"}).status_code == 403
    log_in(http)
    answer = http.get("/ws", headers={
        **evil, "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    })
    assert answer.status_code == 403
    console.wait_for_output("refused a session: the websocket came from another site")
    assert console.sessions_started() == started


def test_a_loopback_console_answers_only_to_loopback_names(console, http) -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 is its own origin."""
    port = console.url.rsplit(":", 1)[1].rstrip("/")
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        answer = http.post("/login", data={"token": TOKEN},
                           headers={"Host": host, "Origin": f"http://{host}"})
        assert answer.status_code == 421, host
        assert "set-cookie" not in answer.headers
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert http.get("/login", headers={"Host": host}).status_code == 200


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met")
        time.sleep(0.05)


async def test_a_session_gets_the_key_only_in_its_environment(console, server) -> None:
    import aiohttp

    with httpx.Client(base_url=console.url, follow_redirects=False) as http:
        session_id = log_in(http)
    origin = console.url.rstrip("/")
    async with (
        aiohttp.ClientSession(cookies={"monstrum_console": session_id}) as browser,
        browser.ws_connect(f"{origin}/ws?width=100&height=30", origin=origin) as ws,
    ):
            first = await asyncio.wait_for(ws.receive(), 60)
            assert first.type == aiohttp.WSMsgType.BINARY
            # malformed frames from the browser side are ignored, not fatal
            for junk in ("not json", "[]", '{"a": 1}', '["resize", {"width": "x"}]',
                         '["stdin", 5]', '["resize", {"width": 99999, "height": -4}]'):
                await ws.send_str(junk)
            await ws.send_str('["ping", "42"]')
            while True:
                reply = await asyncio.wait_for(ws.receive(), 30)
                if reply.type == aiohttp.WSMsgType.TEXT:
                    assert reply.json() == ["pong", "42"]
                    break
            pids = console.session_pids()
            assert pids
            environ = b"\n".join(
                Path(f"/proc/{pid}/environ").read_bytes().replace(b"\0", b"\n") for pid in pids
            )
            assert b"TEXTUAL_DRIVER=textual.drivers.web_driver:WebDriver" in environ
            assert TOKEN.encode() not in environ  # the login token stays in the console
            assert b"TMUX=" not in environ  # copy in a browser is plain OSC 52
            assert b"MONSTRUM_API_KEY=" not in environ  # the spec is the one source
            assert server.admin_key.encode() in environ  # ...and it carries the key
            assert server.admin_key not in " ".join(Path(f"/proc/{p}/cmdline").read_text()
                                                    for p in pids)
    await asyncio.to_thread(wait_until, lambda: console.session_pids() == [])
    await asyncio.to_thread(console.wait_for_output, "ended (0 open)")


async def test_the_session_limit_holds(server) -> None:
    """In process: a console allowing one session refuses the second before spawning it."""
    import aiohttp
    from aiohttp.test_utils import TestClient, TestServer

    settings = ClientSettings(api_key=server.admin_key, api_base=server.url, profile="default")
    lines: list[str] = []
    console = WebConsole(SessionSpec(ConnectionTarget(settings, "default")),
                         ConsoleToken(TOKEN, "test"), max_sessions=1, announce=lines.append)
    async with TestClient(TestServer(console.application())) as http:
        login = await http.post("/login", data={"token": TOKEN}, allow_redirects=False)
        assert login.status == 303
        origin = str(http.make_url("/")).rstrip("/")
        async with http.ws_connect("/ws?width=80&height=24", origin=origin) as first:
            assert (await asyncio.wait_for(first.receive(), 60)).type == aiohttp.WSMsgType.BINARY
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect("/ws", origin=origin)
            assert refused.value.status == 503
            assert len(console.services) == 1
        await asyncio.to_thread(wait_until, lambda: console.services == set())
        async with http.ws_connect("/ws", origin=origin) as again:
            assert (await asyncio.wait_for(again.receive(), 60)).type == aiohttp.WSMsgType.BINARY
    assert console.services == set()
    assert "refused a session: 1 are already running" in lines
    assert sum("started" in line for line in lines) == 2


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.ui.launcher", *args], capture_output=True, text=True,
        env={**inherited_env(), **env}, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def test_bad_start_ups_say_what_is_wrong(tmp_path: Path, server) -> None:
    env = {**isolated_env(tmp_path), "MONSTRUM_API_BASE": server.url,
           "MONSTRUM_API_KEY": server.admin_key}
    short = run_cli("--web", "--port", "0", env={**env, "MONSTRUM_WEB_TOKEN": "short"})
    assert short.returncode == 2
    assert "MONSTRUM_WEB_TOKEN is too short" in short.stderr and "short" not in short.stdout
    assert run_cli("--web", "--port", "70000", env=env).returncode == 2
    no_web = run_cli("--port", "8450", env=env)
    assert no_web.returncode == 2 and "--host and --port go with --web" in no_web.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = run_cli("--web", "--port", str(taken.getsockname()[1]), env=env)
    assert busy.returncode == 1 and "cannot listen on 127.0.0.1" in busy.stderr


def test_listening_beyond_loopback_warns(tmp_path: Path, server) -> None:
    env = {**isolated_env(tmp_path), "MONSTRUM_API_BASE": server.url,
           "MONSTRUM_API_KEY": server.admin_key}
    proc = WebConsoleProcess(args=["--host", "0.0.0.0"], env=env).start()
    try:
        assert "warning: listening on 0.0.0.0, not loopback" in proc.output()
        assert proc.token  # a generated token is printed for the operator
    finally:
        assert proc.stop() == 0


def test_a_session_process_ends_cleanly_when_told_to(server) -> None:
    """A session as textual-serve runs it (Textual's web driver, the spec in its
    environment): told to stop once its app is up, it lets go and exits 0, no traceback."""
    settings = ClientSettings(api_key=server.admin_key, api_base=server.url, profile="default")
    spec = SessionSpec(ConnectionTarget(settings, "default"))
    env = {**inherited_env(), **spec.to_env(),
           "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver"}
    proc = subprocess.Popen([sys.executable, "-m", "monstrum_tui.ui.web.session"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        # the web driver's first line: it is in application mode, its signal handlers set
        assert proc.stdout.readline() == b"__GANGLION__\n"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode(errors="replace")
    assert b"Traceback" not in err, err.decode(errors="replace")


def test_a_console_that_started_the_local_platform_stops_cleanly(tmp_path: Path) -> None:
    """The console started the local platform itself: stopping it lets go of the platform
    (which stops once idle) and exits 0, with no traceback."""
    proc = WebConsoleProcess(env=isolated_env(tmp_path)).start()
    try:
        proc.wait_for_output("sessions use profile")
    finally:
        code = proc.stop()
    assert code == 0, proc.output()
    assert "Traceback" not in proc.output(), proc.output()


async def test_stopping_the_console_ends_its_sessions(tmp_path: Path, server) -> None:
    import aiohttp

    env = {**isolated_env(tmp_path), "MONSTRUM_API_BASE": server.url,
           "MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_WEB_TOKEN": TOKEN}
    proc = await asyncio.to_thread(WebConsoleProcess(env=env).start)
    try:
        with httpx.Client(base_url=proc.url, follow_redirects=False) as http:
            session_id = log_in(http)
        origin = proc.url.rstrip("/")
        async with (
            aiohttp.ClientSession(cookies={"monstrum_console": session_id}) as browser,
            browser.ws_connect(f"{origin}/ws", origin=origin) as ws,
        ):
            await asyncio.wait_for(ws.receive(), 60)
            pids = proc.session_pids()
            assert pids
            assert await asyncio.to_thread(proc.stop) == 0
            ends = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
            while (await asyncio.wait_for(ws.receive(), 30)).type not in ends:
                pass  # what the app drew before it was told to quit
        assert [pid for pid in pids if Path(f"/proc/{pid}").exists()] == []
    finally:
        proc.stop()


# --- the parts, without processes ---------------------------------------------


def test_token_comparison() -> None:
    token = ConsoleToken("x" * 20, "generated")
    assert token.matches("x" * 20)
    assert not token.matches("x" * 19) and not token.matches("") and not token.matches("é" * 20)
    assert "x" * 20 not in repr(token)


def test_tokens_come_from_the_env_then_the_config_file(monkeypatch, tmp_path: Path) -> None:
    generated = resolve_token({})
    assert generated.generated and len(generated.value) >= 32
    assert resolve_token({}).value != generated.value
    config = Path(os.environ["MONSTRUM_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[web]\ntoken = "from-the-config-file-123"\n')
    assert resolve_token({}).value == "from-the-config-file-123"
    assert "config.toml" in resolve_token({}).source
    assert resolve_token({"MONSTRUM_WEB_TOKEN": "from-the-environment-1"}).value == \
        "from-the-environment-1"
    config.write_text("[web]\ntoken = 12\n")
    with pytest.raises(ConfigurationError, match="must be a string"):
        resolve_token({})
    config.write_text('[web]\ntoken = "tiny"\n')
    with pytest.raises(ConfigurationError, match="at least 16"):
        resolve_token({})


def test_login_sessions_expire_and_are_bounded() -> None:
    now = [1000.0]
    logins = LoginSessions(lifetime=60, limit=3, clock=lambda: now[0])
    first = logins.open()
    assert logins.valid(first) and not logins.valid("forged") and not logins.valid(None)
    now[0] += 61
    assert not logins.valid(first)
    ids = [logins.open() for _ in range(4)]
    assert len(logins) == 3 and not logins.valid(ids[0]) and logins.valid(ids[3])
    logins.close(ids[3])
    assert not logins.valid(ids[3])


def test_the_session_spec_round_trips_and_leaves_the_environment() -> None:
    settings = ClientSettings(api_key="mst_secret", api_base="http://h:1", profile="prod")
    for target in (ConnectionTarget(settings, "prod"),
                   ConnectionTarget(None, "local", Path("/data/x"))):
        spec = SessionSpec(target, theme="ansi-dark", screen="tasks")
        environ = dict(spec.to_env())
        assert SessionSpec.pop_from_env(environ) == spec
        assert "mst_secret" not in repr(spec)  # Textual's crash report prints locals
        assert SPEC_ENV not in environ
    with pytest.raises(ValueError, match="monstrum-tui --web"):
        SessionSpec.pop_from_env({})


def test_loopback_names() -> None:
    assert [hostname(h) for h in ("127.0.0.1:80", "[::1]:8450", "localhost", "::1")] == \
        ["127.0.0.1", "::1", "localhost", "::1"]
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.0.2.2", "localhost.evil", "", "::"))


def test_the_terminal_dashboard_does_not_load_the_web_console() -> None:
    from tests.test_layering import loaded_after

    modules = loaded_after("import monstrum_tui.ui.app\n")
    assert not [m for m in modules if m.split(".")[0] in ("aiohttp", "textual_serve", "jinja2")]
    assert not [m for m in modules if m.startswith("monstrum_tui.ui.web")]
