"""The web console's HTTP application: the dashboard served to browsers, one app process
per session.

textual-serve supplies the browser side (xterm.js and its protocol) and the
process that runs one app (``AppService``); this module is the HTTP surface in
front of them, because textual-serve's own has no authentication. Every route
but ``/login`` needs a live login; the websocket that spawns an app process is
refused before anything starts without one, or from another origin. The page,
the cookie and every URL carry only the console's session id: the API key goes
from this process to the app process's environment and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shlex
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from . import session
from .access import (
    COOKIE_NAME,
    TOKEN_ENV,
    ConsoleToken,
    LoginSessions,
    cookie_attributes,
    hostname,
    is_loopback,
)

#: app processes running at once; each is a Python process of its own
MAX_SESSIONS = 16
#: a wrong token costs this long, one at a time, so guessing is slow even with many requests
FAILED_LOGIN_DELAY = 0.5
#: seconds a session process gets to quit when the console stops, before it is killed
SESSION_STOP_TIMEOUT = 5.0
#: the biggest request body the console reads (the login form)
MAX_BODY = 16 * 1024

STATIC_DIR = Path(textual_serve.__file__).parent / "static"
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
)
#: the environment a session must not inherit: the login token, the console's own
#: connection variables (the spec is the one source), and tmux's marker (a browser's
#: terminal is not inside tmux, so copying must not wrap OSC 52 for it)
HIDDEN_FROM_SESSIONS = (
    TOKEN_ENV, "MONSTRUM_API_KEY", "MONSTRUM_API_BASE", "MONSTRUM_PROFILE", "TMUX",
)
#: what a browser may fetch before it has logged in
PUBLIC_PATHS = frozenset({"/login", "/logout", "/favicon.ico"})
WRONG_TOKEN = "That token is not right. Nothing was started; try again."


class SessionService(AppService):
    """textual-serve's app process, started with the console's session spec in its environment."""

    def __init__(self, *args: Any, session_env: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_env = session_env

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        # textual-serve (pinned) builds the driver's variables on a copy of os.environ
        environment = super()._build_environment(width=width, height=height)
        for name in HIDDEN_FROM_SESSIONS:
            environment.pop(name, None)
        environment.update(self.session_env)
        return environment

    async def close(self, timeout: float = SESSION_STOP_TIMEOUT) -> None:
        """Ask the app to quit and wait until its process is gone; kill it if it will not."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.stop(), timeout)
        process = self._process
        if process is None:
            return
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except asyncio.TimeoutError:
            self.kill()
            await process.wait()

    def kill(self) -> None:
        """The last resort when the process ignores the quit request."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()


class WebConsole:
    """The console's HTTP application: login, the page, the session websocket, downloads."""

    def __init__(
        self,
        spec: session.SessionSpec,
        token: ConsoleToken,
        *,
        title: str = "monstrum",
        max_sessions: int = MAX_SESSIONS,
        failed_login_delay: float = FAILED_LOGIN_DELAY,
        loopback_only: bool = True,
        announce: Callable[[str], None] = print,
    ) -> None:
        self.spec = spec
        self.loopback_only = loopback_only
        self.token = token
        self.title = title
        self.max_sessions = max_sessions
        self.failed_login_delay = failed_login_delay
        self.announce = announce
        self.logins = LoginSessions()
        self.services: set[SessionService] = set()
        self.sockets: set[web.WebSocketResponse] = set()
        self.download_manager = DownloadManager()
        self.sessions_started = 0
        self.open_sessions = 0
        self._failures: asyncio.Lock | None = None

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._gate], client_max_size=MAX_BODY)
        app.add_routes([
            web.get("/", self.handle_index),
            web.get("/login", self.handle_login_page),
            web.post("/login", self.handle_login),
            web.get("/logout", self.handle_logout),
            web.post("/logout", self.handle_logout),
            web.get("/ws", self.handle_websocket),
            web.get("/download/{key}", self.handle_download),
            web.get("/favicon.ico", self.handle_favicon),
            web.static("/static", STATIC_DIR),
        ])
        app.on_response_prepare.append(self._security_headers)
        app.on_shutdown.append(self._stop_sessions)
        return app

    # --- the gate -----------------------------------------------------------

    def logged_in(self, request: web.Request) -> bool:
        return self.logins.valid(request.cookies.get(COOKIE_NAME))

    @web.middleware
    async def _gate(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if self.loopback_only and not is_loopback(hostname(request.host)):
            # a console on loopback is only ever reached by a loopback name: any other
            # Host is a DNS-rebinding page trying to talk to it as its own origin
            return web.Response(status=421, text="this console answers only on loopback\n")
        if request.path not in PUBLIC_PATHS and not self.logged_in(request):
            if request.path == "/" and request.method == "GET":
                raise web.HTTPSeeOther("/login")
            if request.path == "/ws":
                self.announce("refused a session: the browser has not logged in")
            return web.Response(status=401, text="log in first: open /login\n")
        response: web.StreamResponse = await handler(request)
        return response

    async def _security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        headers.setdefault("Cache-Control", "no-store")
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"  # no-referrer would send Origin: null
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
            "style-src 'unsafe-inline'",
        )

    # --- pages ----------------------------------------------------------------

    async def handle_login_page(self, request: web.Request) -> web.StreamResponse:
        if self.logged_in(request):
            raise web.HTTPSeeOther("/")
        return self._login_page()

    def _login_page(self, error: str = "", status: int = 200) -> web.Response:
        html = TEMPLATES.get_template("login.html").render(error=error)
        return web.Response(text=html, content_type="text/html", status=status)

    async def handle_login(self, request: web.Request) -> web.StreamResponse:
        if not same_origin(request):
            return web.Response(status=403, text="refused: the login came from another site\n")
        form = await request.post()
        candidate = form.get("token")
        if isinstance(candidate, str) and self.token.matches(candidate.strip()):
            redirect = web.HTTPSeeOther("/")
            redirect.set_cookie(
                COOKIE_NAME, self.logins.open(), **cookie_attributes(secure=request.secure)
            )
            self.announce("a browser logged in")
            raise redirect
        if self._failures is None:
            self._failures = asyncio.Lock()
        async with self._failures:  # one wrong guess at a time, each one slow
            await asyncio.sleep(self.failed_login_delay)
        self.announce("refused a login: wrong token (no session was started)")
        return self._login_page(WRONG_TOKEN, status=401)

    async def handle_favicon(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def handle_logout(self, request: web.Request) -> web.StreamResponse:
        self.logins.close(request.cookies.get(COOKIE_NAME))
        redirect = web.HTTPSeeOther("/login")
        redirect.del_cookie(COOKIE_NAME, path="/")
        raise redirect

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # the websocket's address is the one the browser used for the page, so the
        # session cookie (host-only) goes with it, whatever address the console is bound to
        scheme = "wss" if request.secure else "ws"
        nonce = secrets.token_urlsafe(16)
        html = TEMPLATES.get_template("console.html").render(
            title=self.title, websocket_url=f"{scheme}://{request.host}/ws",
            static_url="/static/", font_size=_int(request.query.get("fontsize"), 16, 6, 64),
            nonce=nonce,
        )
        response = web.Response(text=html, content_type="text/html")
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' "
            f"'unsafe-inline'; font-src 'self'; img-src 'self' data:; connect-src 'self' "
            f"{scheme}://{request.host}; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'"
        )
        return response

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        """A file the app delivered (``App.deliver_text``/``deliver_binary``)."""
        key = request.match_info["key"]
        try:
            meta = await self.download_manager.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text="no such download\n") from None
        response = web.StreamResponse()
        content_type = meta.mime_type
        if meta.encoding:
            content_type += f"; charset={meta.encoding}"
        response.headers["Content-Type"] = content_type
        disposition = "inline" if meta.open_method == "browser" else "attachment"
        name = json.dumps(meta.file_name)  # quoted, with any quote in the name escaped
        response.headers["Content-Disposition"] = f"{disposition}; filename={name}"
        await response.prepare(request)
        async for chunk in self.download_manager.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    # --- sessions -------------------------------------------------------------

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if not same_origin(request):
            self.announce("refused a session: the websocket came from another site")
            return web.Response(status=403, text="refused: another site's page\n")
        if self.open_sessions >= self.max_sessions:
            self.announce(f"refused a session: {self.max_sessions} are already running")
            return web.Response(
                status=503, text=f"{self.max_sessions} sessions are running; close one first\n"
            )
        self.open_sessions += 1  # taken before the first await, so the limit holds
        self.sessions_started += 1
        number = self.sessions_started
        websocket = web.WebSocketResponse(heartbeat=15)
        service: SessionService | None = None
        try:
            await websocket.prepare(request)
            service = SessionService(
                shlex.join(session.command()),
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                session_env=self.spec.to_env(),
            )
            self.services.add(service)
            self.sockets.add(websocket)
            self.announce(f"session {number} started ({self.open_sessions} open)")
            await service.start(
                _int(request.query.get("width"), 80, 1, 1000),
                _int(request.query.get("height"), 24, 1, 1000),
            )
            await relay_browser_messages(websocket, service)
        finally:
            self.sockets.discard(websocket)
            self.open_sessions -= 1
            if service is not None:
                try:
                    await service.close()
                finally:  # also when the console's shutdown cancels this handler
                    service.kill()
                    self.services.discard(service)
                    self.announce(f"session {number} ended ({self.open_sessions} open)")
        return websocket

    async def _stop_sessions(self, app: web.Application) -> None:
        for websocket in list(self.sockets):
            with contextlib.suppress(Exception):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"console stopped")
        services = list(self.services)
        await asyncio.gather(*(s.close() for s in services), return_exceptions=True)

    async def serve(self, sock: socket.socket, on_ready: Callable[[], None]) -> None:
        """Serve on ``sock`` until SIGINT or SIGTERM."""
        runner = web.AppRunner(self.application(), handle_signals=False, access_log=None)
        await runner.setup()
        site = web.SockSite(runner, sock, shutdown_timeout=SESSION_STOP_TIMEOUT)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        on_ready()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


async def relay_browser_messages(websocket: web.WebSocketResponse, service: AppService) -> None:
    """Hand what the browser's terminal sends (keys, size, focus) to the app process."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope:
            continue
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await service.send_bytes(data.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(data, dict):
            width, height = data.get("width"), data.get("height")
            if isinstance(width, int) and isinstance(height, int):
                await service.set_terminal_size(max(1, min(width, 1000)), max(1, min(height, 1000)))
        elif kind == "ping" and isinstance(data, str):
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()


def same_origin(request: web.Request) -> bool:
    """Whether a browser request comes from the console's own page (no Origin: not a browser)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin.lower() == f"{request.scheme}://{request.host}".lower()


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return max(low, min(number, high))
