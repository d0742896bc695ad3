"""``monstrum-tui --web``: resolve what the sessions connect to, bind, start the embedded
platform if that is the target, print where and how to log in, and serve until stopped."""

from __future__ import annotations

import asyncio
import socket
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from ...client.errors import ConfigurationError
from ..connection import resolve_target, start_embedded
from .access import TOKEN_ENV, is_loopback, resolve_token
from .console import WebConsole
from .session import SessionSpec

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8450


def listen(host: str, port: int) -> socket.socket:
    """The console's listening socket (bound here, so port 0 and errors are known up front)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def run_console(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    profile: str | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    data_dir: Path | None = None,
    theme: str | None = None,
    screen: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the web console until interrupted; returns the exit status."""
    out = out or sys.stdout
    err = sys.stderr

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    try:
        target = resolve_target(
            profile=profile, api_base=api_base, api_key=api_key, data_dir=data_dir
        )
        token = resolve_token()
    except ConfigurationError as exc:
        print(f"monstrum-tui: {exc}", file=err)
        return 2
    if not 0 <= port <= 65535:
        print(f"monstrum-tui: --port must be 0-65535, not {port}", file=err)
        return 2
    if not is_loopback(host):
        print(
            f"monstrum-tui: warning: listening on {host}, not loopback: anyone who can reach "
            "this port can try the token, and over plain HTTP the token and session cookie "
            "travel unencrypted. Prefer the default 127.0.0.1 with SSH port forwarding, or a "
            "TLS proxy in front.",
            file=err, flush=True,
        )
    try:
        sock = listen(host, port)
    except OSError as exc:
        print(f"monstrum-tui: cannot listen on {host}:{port}: {exc.strerror or exc}", file=err)
        return 1
    platform = None
    try:
        if target.embedded:
            say("starting the local platform…")
            try:
                platform = start_embedded(target.data_dir)
            except Exception as exc:
                print(f"monstrum-tui: cannot start the local platform: {exc}", file=err)
                return 1
            # sessions join this platform (same data dir); the console owns and stops it
            target = replace(target, data_dir=platform.data_dir)
        spec = SessionSpec(target=target, theme=theme, screen=screen)
        console = WebConsole(spec, token, loopback_only=is_loopback(host), announce=say)
        where = target.settings.api_base if target.settings else "the embedded platform"

        def ready() -> None:
            say(f"monstrum web console: {url_of(sock)}")
            say(f"  sessions use profile {target.profile!r} on {where}")
            if token.generated:
                say(f"  token: {token.value}")
                say(f"  (a new one each start; set {TOKEN_ENV} or [web] token to fix one)")
            else:
                say(f"  token: the one set in {token.source}")
            say("  Ctrl+C stops it")

        asyncio.run(console.serve(sock, ready))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if platform is not None:
            platform.detach()
    return 0
