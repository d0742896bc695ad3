"""The web console in a real headless Chromium (Debian's package, driven by Playwright):
log in with the token, see the bots, run a demo bot's task and watch its events, copy to
the browser's clipboard, and a wrong token refused without starting anything."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import (
    CHROMIUM_ARGS,
    TerminalView,
    WebConsoleProcess,
    isolated_env,
    require_chromium,
)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def embedded_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebConsoleProcess]:
    """The default set-up: the console starts the embedded platform with its demo bots."""
    home = tmp_path_factory.mktemp("webhome")
    console = WebConsoleProcess(env=isolated_env(home)).start()
    yield console
    console.stop()


@pytest.fixture
def page(chromium, embedded_console: WebConsoleProcess) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=embedded_console.url)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, url: str, token: str) -> None:
    page.goto(url)
    assert page.url.endswith("/login")
    page.fill("#token", token)
    page.click("#login")


def test_a_wrong_token_is_refused_and_nothing_starts(page, embedded_console) -> None:
    sockets: list[object] = []
    page.on("websocket", lambda ws: sockets.append(ws))
    before = embedded_console.session_pids()
    started = embedded_console.sessions_started()
    page.goto(embedded_console.url)
    assert page.url.endswith("/login")
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") \
            as answer:
        page.fill("#token", embedded_console.token + "x")
        page.click("#login")
    assert answer.value.status == 401
    assert "not right" in page.inner_text("#login-error")
    assert "Nothing was started" in page.inner_text("#login-error")
    embedded_console.wait_for_output("refused a login: wrong token")
    assert page.context.cookies() == []
    assert sockets == []
    assert embedded_console.session_pids() == before
    # the console page itself is not served either: back to the login
    page.goto(embedded_console.url)
    assert page.url.endswith("/login")
    assert sockets == []
    assert embedded_console.sessions_started() == started
    assert embedded_console.session_pids() == before



def test_the_dashboard_works_in_the_browser(page, embedded_console) -> None:
    """Log in, see the demo bots, run ops-runner's scripted task in a task pane, copy an
    event and a bot id to the browser's clipboard; the API key never reaches the page."""
    bodies: list[bytes] = []
    urls: list[str] = []

    def keep(response) -> None:
        urls.append(response.url)
        if response.request.resource_type != "websocket" and response.status < 300:
            bodies.append(response.body())

    page.on("response", keep)
    terminal = TerminalView(page)
    log_in(page, embedded_console.url, embedded_console.token)
    page.wait_for_url(embedded_console.url)
    text = terminal.wait_for("triage-assistant")
    assert "release-notes" in text and "ops-runner" in text
    assert "embedded platform" in text and "connected" in text
    embedded_console.wait_for_output("session")
    assert len(embedded_console.session_pids()) >= 1

    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["monstrum_console"]
    assert cookies[0]["httpOnly"] is True and cookies[0]["sameSite"] == "Strict"

    terminal.focus()
    # the cursor starts on the first bot; ops-runner is the second
    terminal.wait_for(lambda t: "Run task" in t)
    terminal.press("ArrowDown", "y")
    text = terminal.wait_for("copied bot_")
    copied_id = terminal.clipboard(lambda c: c.startswith("bot_"))
    assert f"copied {copied_id}" in text

    terminal.press("r")
    terminal.wait_for("ops-runner")
    terminal.wait_for(lambda t: "Run (ctrl+s)" in t)
    typed = 'call run_command {"command": "echo", "args": ["hi-chromium"]}'
    page.keyboard.type(typed)
    # ctrl+s is a priority binding: it reads the form at once, even while the TextArea
    # still has keys queued (a busy machine), so wait until the form shows them all
    terminal.wait_for(typed)
    terminal.press("Control+s")
    text = terminal.wait_for(lambda t: '"stdout": "hi-chromium' in t and "complete" in t)
    assert "run_command" in text

    # copy the selected event (the pane follows the stream, so it is the last one)
    terminal.press("y")
    terminal.wait_for("copied event")
    event = json.loads(terminal.clipboard(lambda c: c.startswith("{")))
    assert event["type"] == "complete"

    # every top-level screen answers its key in the browser as in a terminal
    terminal.press("4")
    terminal.wait_for(lambda t: "run_command" in t and "success" in t and "allowed" in t)
    terminal.press("5")
    terminal.wait_for(lambda t: "shell (Shell)" in t and "filesystem (Filesystem)" in t)
    terminal.press("2")
    terminal.wait_for(lambda t: "res_demo_shell" in t and "res_demo_files" in t)
    terminal.press("1")
    terminal.wait_for("triage-assistant")

    # nothing the browser received holds the platform's API key, in any encoding
    admin_key = (Path(embedded_console.env["MONSTRUM_DATA_DIR"]) / "admin.key").read_text().strip()
    received = b"".join(bodies) + b"".join(terminal.received)
    for form in (admin_key.encode(), base64.b64encode(admin_key.encode())):
        assert form not in received
    assert not [u for u in urls if admin_key in u]
    assert not [c for c in page.context.cookies() if admin_key in c["value"]]
    assert admin_key not in page.content()


@pytest.fixture(scope="module")
def readonly_console(
    tmp_path_factory: pytest.TempPathFactory, server, request
) -> Iterator[tuple[WebConsoleProcess, str]]:
    """A console pointed at a server with a key that may only read bots."""
    import monstrum

    admin = monstrum.Client(api_key=server.admin_key, api_base=server.url)
    key = admin.api_keys.create(name="web-readonly", scopes=["bots:read"])
    admin.close()
    home = tmp_path_factory.mktemp("webhome-ro")
    env = {**isolated_env(home), "MONSTRUM_API_BASE": server.url, "MONSTRUM_API_KEY": key.secret}
    console = WebConsoleProcess(env=env).start()
    yield console, key.secret
    console.stop()


def test_each_session_runs_with_the_consoles_key(chromium, readonly_console, server) -> None:
    console, secret = readonly_console
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        terminal = TerminalView(page)
        log_in(page, console.url, console.token)
        text = terminal.wait_for("READ-ONLY")
        assert server.url in text and "connected" in text
        html = page.content()
        assert secret not in html
        assert secret.encode() not in b"".join(terminal.received)
        assert not [c for c in context.cookies() if secret in c["value"]]
    finally:
        context.close()
    assert os.environ.get("MONSTRUM_API_KEY") != secret  # the test itself leaked nothing


def outbound_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback else address


def test_copy_works_over_plain_http_beyond_loopback(
    chromium, tmp_path: Path, server, client
) -> None:
    """Over http:// on a network address the page is not a secure context and has no
    navigator.clipboard; the console's page falls back to execCommand for OSC 52."""
    address = outbound_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to serve on")
    bot = client.bots.create(name=f"web-copy-{uuid.uuid4().hex[:6]}", model="scripted")  # >= 1
    env = {**isolated_env(tmp_path), "MONSTRUM_API_BASE": server.url,
           "MONSTRUM_API_KEY": server.admin_key}
    console = WebConsoleProcess(args=["--host", "0.0.0.0"], env=env).start()
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        port = console.url.rsplit(":", 1)[1].rstrip("/")
        page = context.new_page()
        terminal = TerminalView(page)
        page.goto(f"http://{address}:{port}/")
        assert page.evaluate("window.isSecureContext") is False
        page.fill("#token", console.token)
        page.click("#login")
        # the shared server may hold many bots; the cursor's (the first) is the one copied
        terminal.wait_for(lambda t: "binds" in t and "bot_" in t)
        terminal.focus()
        terminal.press("y")
        text = terminal.wait_for("copied bot_")
        # read it back where reading is allowed: a secure (loopback) page of the same browser
        context.grant_permissions(["clipboard-read"], origin=f"http://127.0.0.1:{port}")
        reader = TerminalView(context.new_page())
        reader.page.goto(f"http://127.0.0.1:{port}/login")
        copied = reader.clipboard(lambda c: c.startswith("bot_"))
        assert f"copied {copied}" in text
    finally:
        context.close()
        console.stop()
        client.bots.delete(bot_id=bot.id)
