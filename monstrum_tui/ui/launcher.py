"""``monstrum-tui``: parse the arguments, start the local platform, then load the dashboard.

With nothing configured the dashboard talks to the local platform, whose process takes
longer to come up than the dashboard's modules take to import. So this module imports
neither Textual nor the client's models: it decides where to connect, starts attaching
to (or starting) the local platform on a thread, and only then imports the app, so the
two overlap instead of adding up.
"""

from __future__ import annotations

import argparse
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..client.errors import ConfigurationError
from ..client.httpx_cli import leave_out_httpx_cli
from .connection import ConnectionTarget, resolve_target, start_embedded
from .navigation import SCREENS

if TYPE_CHECKING:
    from ..server.embedded import EmbeddedPlatform


def begin_embedded(target: ConnectionTarget) -> Future[EmbeddedPlatform]:
    """Attach to (or start) the target's local platform on a thread; the future holds
    the attachment, or the reason it failed (the app reports it and retries)."""
    started: Future[EmbeddedPlatform] = Future()

    def run() -> None:
        try:
            started.set_result(start_embedded(target.data_dir))
        except BaseException as exc:  # handed to whoever waits for it
            started.set_exception(exc)

    threading.Thread(target=run, name="monstrum-embedded-start", daemon=True).start()
    return started


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monstrum-tui",
        description="Terminal dashboard for Monstrum. With nothing configured it starts a "
        "local platform with a demo workspace; --profile or MONSTRUM_API_BASE/"
        "MONSTRUM_API_KEY point it at a server.",
    )
    parser.add_argument("--profile", help="config-file profile to use (~/.monstrum/config.toml)")
    parser.add_argument("--api-base", help="server URL, e.g. http://127.0.0.1:8400")
    parser.add_argument("--api-key", help="API key (mst_...); prefer MONSTRUM_API_KEY")
    parser.add_argument("--data-dir", type=Path,
                        help="data directory of the embedded platform (or MONSTRUM_DATA_DIR)")
    parser.add_argument("--theme", help="colour theme, e.g. ansi-dark or ansi-light for "
                        "16-colour terminals, textual-dark, textual-light")
    parser.add_argument("--screen", choices=[e.name for e in SCREENS],
                        help="screen to open first")
    web = parser.add_argument_group("web console")
    web.add_argument("--web", action="store_true",
                     help="serve the dashboard to browsers (textual-serve) behind a login token")
    web.add_argument("--host", help="with --web: address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=int,
                     help="with --web: port to listen on (default 8450; 0 picks a free one)")
    parser.add_argument("--version", action="version", version=f"monstrum-tui {__version__}")
    return parser


def main(argv: list[str] | None = None) -> None:
    """The ``monstrum-tui`` command."""
    leave_out_httpx_cli()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.web:
        sys.exit(_serve_web(args))
    if args.host is not None or args.port is not None:
        parser.error("--host and --port go with --web")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        sys.exit(
            "monstrum-tui: needs an interactive terminal (stdin and stdout must be a TTY); "
            "for scripts use the `monstrum` command"
        )
    try:
        target = resolve_target(profile=args.profile, api_base=args.api_base,
                                api_key=args.api_key, data_dir=args.data_dir)
    except ConfigurationError as exc:
        sys.exit(f"monstrum-tui: {exc}")
    embedded = begin_embedded(target) if target.embedded else None

    from .app import MonstrumApp  # the heavy imports, while the platform comes up

    try:
        app = MonstrumApp(target=target, theme=args.theme, initial_screen=args.screen,
                          embedded_start=embedded)
    except ConfigurationError as exc:
        sys.exit(f"monstrum-tui: {exc}")
    if args.theme and args.theme not in app.available_themes:
        themes = ", ".join(sorted(app.available_themes))
        sys.exit(f"monstrum-tui: unknown theme {args.theme!r}; themes: {themes}")
    try:
        app.run()
    finally:
        app.detach_embedded()
    sys.exit(app.return_code or 0)


def _serve_web(args: argparse.Namespace) -> int:
    """``--web``: browsers get the dashboard; no terminal needed (loaded only then)."""
    from .web.launch import DEFAULT_HOST, DEFAULT_PORT, run_console

    return run_console(
        host=args.host or DEFAULT_HOST,
        port=DEFAULT_PORT if args.port is None else args.port,
        profile=args.profile, api_base=args.api_base, api_key=args.api_key,
        data_dir=args.data_dir, theme=args.theme, screen=args.screen,
    )


if __name__ == "__main__":
    main()
