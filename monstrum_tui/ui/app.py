"""The dashboard's app and its connection to the platform (``launcher`` is the command)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.reactive import var
from textual.screen import Screen
from textual.signal import Signal
from textual.widget import Widget

from ..client.async_client import AsyncClient
from ..client.errors import (
    APIConnectionError,
    AuthenticationError,
    MonstrumAPIError,
    MonstrumError,
)
from ..client.errors import (
    PermissionError as ScopeMissing,
)
from ..client.models import UNFINISHED_TASK_STATUSES, WhoAmI, can_write
from .alerts import AlertWatcher
from .binding_catalog import binding_catalog
from .clipboard import osc52, tmux_copy_sequence
from .commands import DashboardCommands
from .connection import (
    ConnectionState,
    ConnectionStatus,
    ConnectionTarget,
    embedded_settings,
    resolve_target,
    retry_delay,
    start_embedded,
)
from .data_changes import DataChange
from .hangup import HangupWatch
from .keymap import load_dashboard_config, unknown_ids
from .messages import ScreenRequest
from .navigation import SCREENS, entry_accepting, screen_entry
from .screens.confirm import ConfirmScreen
from .widgets.too_small import MIN_HEIGHT, MIN_WIDTH

if TYPE_CHECKING:
    from ..server.embedded import EmbeddedPlatform

#: seconds between health checks while connected
HEARTBEAT = 15.0
#: seconds between looks at how many calls wait for approval (the header's count)
APPROVALS_POLL = 3.0
#: seconds between checks that the embedded platform's process is still alive
EMBEDDED_POLL = 1.0
#: a hung-up terminal can make Textual's shutdown block on writes; never outlive it by more
HANGUP_EXIT_DEADLINE = 5.0
EXIT_HANGUP = 129
#: seconds the quit key waits to learn whether the local platform still has tasks
QUIT_CHECK_TIMEOUT = 2.0


def _nav_bindings() -> list[BindingType]:
    return [
        Binding(e.key, f"go('{e.name}')", f"Go to {e.title}", id=e.binding_id, show=False)
        for e in SCREENS
    ]


class MonstrumApp(App[int]):
    """The dashboard. Screens reach the platform through ``wait_for_client()``."""

    TITLE = "monstrum"
    CSS_PATH = "app.tcss"
    #: each screen's module is imported when it is first shown
    MODES: ClassVar[dict[str, Any]] = {entry.name: entry.make for entry in SCREENS}
    DEFAULT_MODE: ClassVar[str] = SCREENS[0].name
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("colon", "jump", "Jump", id="app.jump", key_display=":"),
        Binding("question_mark", "help", "Help", id="app.help", key_display="?"),
        Binding("escape", "back", "Back", id="app.back", show=False),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+p", "command_palette", "Command palette", id="app.palette",
                show=False, priority=True),
        *_nav_bindings(),
    ]

    connection: var[ConnectionStatus] = var(ConnectionStatus("connecting"))
    #: calls waiting for a person (None: unknown, or the key may not see approvals)
    pending_approvals: var[int | None] = var(None)

    def __init__(
        self,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        profile: str | None = None,
        data_dir: Path | None = None,
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        target: ConnectionTarget | None = None,
        initial_screen: str | None = None,
        watch_terminal: bool = True,
        embedded_start: Future[EmbeddedPlatform] | None = None,
    ) -> None:
        """Resolve where to connect (raises ``ConfigurationError`` for a broken setup).

        ``embedded_start``: the local platform's start, begun before the app was
        imported (``launcher``); the first connection waits for it.
        """
        super().__init__()
        self.target = target or resolve_target(
            profile=profile, api_base=api_base, api_key=api_key, data_dir=data_dir
        )
        config = load_dashboard_config()
        self.keymap: dict[str, str] = dict(config.keymap if keymap is None else keymap)
        self.config_problems = list(config.problems)
        self.requested_theme = theme or config.theme
        self.alert_settings = config.alerts
        self.initial_screen = initial_screen
        self.watch_terminal = watch_terminal
        self.client: AsyncClient | None = None
        self.embedded: EmbeddedPlatform | None = None
        self._embedded_start = embedded_start
        self.data_changed: Signal[DataChange] = Signal(self, "data-changed")
        self._client_ready = asyncio.Event()
        self._recheck_now = asyncio.Event()
        self._mode_history: list[str] = []
        self._hangup: HangupWatch | None = None
        self._embedded_lock = threading.Lock()
        self._asking_to_quit = False
        self._focus_before_small: dict[Screen[Any], Widget | None] = {}
        #: the connected key's scopes (None until the server has answered ``whoami``)
        self.key_scopes: tuple[str, ...] | None = None
        self.set_reactive(MonstrumApp.connection, self._initial_status())

    # --- what screens use ---------------------------------------------------

    @property
    def profile_name(self) -> str:
        return self.target.profile

    @property
    def server_label(self) -> str:
        settings = self.target.settings
        if settings is not None:
            # a profile's uds wins over its api_base: say where the client really goes
            return f"unix:{settings.uds}" if settings.uds else settings.api_base
        return "embedded platform"

    async def wait_for_client(self) -> AsyncClient:
        """The client, once the platform answers (waits while it is starting or unreachable)."""
        await self._client_ready.wait()
        assert self.client is not None
        return self.client

    def connection_problem(self) -> None:
        """A screen saw a connection error: check the connection now rather than later."""
        self._recheck_now.set()

    # --- start-up and shut-down ---------------------------------------------

    def _initial_status(self) -> ConnectionStatus:
        state: ConnectionState = "starting" if self.target.embedded else "connecting"
        return ConnectionStatus(state, server=self.server_label)

    def on_mount(self) -> None:
        fallback = theme_for_color_system(self.console.color_system)
        if not self.requested_theme and fallback and not self.is_headless:
            self.theme = fallback
        if self.requested_theme:
            if self.requested_theme in self.available_themes:
                self.theme = self.requested_theme
            else:
                self.config_problems.append(
                    f"unknown theme {self.requested_theme!r}; try ansi-dark, ansi-light, "
                    "textual-dark"
                )
        if self.keymap:
            self.set_keymap(self.keymap)
            unknown = unknown_ids(self.keymap, known_binding_ids())
            if unknown:
                self.config_problems.append(f"[keymap] names no binding: {', '.join(unknown)}")
        for problem in self.config_problems:
            self.notify(problem, title="config", severity="warning", timeout=10)
        if self.watch_terminal and not self.is_headless and sys.__stdin__ is not None:
            with contextlib.suppress(OSError, ValueError):
                if os.isatty(sys.__stdin__.fileno()):
                    self._hangup = HangupWatch(self._terminal_gone)
                    self._hangup.start()
        self.maintain_connection()
        self.follow_approvals()
        if self.alert_settings.enabled:
            self.run_worker(AlertWatcher(self, self.alert_settings).run(), group="alerts",
                            exclusive=True, exit_on_error=False)
        if self.initial_screen and self.initial_screen != self.current_mode:
            self.go(self.initial_screen)

    async def on_unmount(self) -> None:
        if self._hangup is not None:
            self._hangup.stop()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.aclose()
        self.detach_embedded()

    def detach_embedded(self) -> None:
        """Let go of the local platform (idempotent): its tasks keep running, and it
        stops by itself once they are done and no dashboard or CLI is attached."""
        with self._embedded_lock:
            platform, self.embedded = self.embedded, None
        if platform is not None:
            platform.detach()

    def _terminal_gone(self) -> None:
        """SIGHUP or a dead terminal: leave promptly (the local platform's tasks go on)."""
        self.detach_embedded()
        timer = threading.Timer(HANGUP_EXIT_DEADLINE, os._exit, args=(EXIT_HANGUP,))
        timer.daemon = True
        timer.start()
        self.exit(return_code=EXIT_HANGUP)

    # --- the connection -----------------------------------------------------

    def _set_status(self, state: ConnectionState, detail: str = "", **extra: Any) -> None:
        self.connection = ConnectionStatus(state, server=self.server_label, detail=detail, **extra)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake early when a screen reports a connection problem or the
        embedded platform's process dies (seen within a second, not at the next heartbeat)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                await asyncio.wait_for(self._recheck_now.wait(), min(remaining, EMBEDDED_POLL))
            except asyncio.TimeoutError:
                if self._embedded_exited():
                    break
            else:
                break
        self._recheck_now.clear()

    def _embedded_exited(self) -> bool:
        platform = self.embedded
        return platform is not None and platform.exited()

    async def _open_client(self) -> AsyncClient:
        if self.target.settings is not None:
            return AsyncClient(settings=self.target.settings)
        self._set_status("starting")
        begun, self._embedded_start = self._embedded_start, None
        if begun is not None:
            platform = await asyncio.wrap_future(begun)
        else:
            platform = await asyncio.to_thread(start_embedded, self.target.data_dir)
        with self._embedded_lock:
            self.embedded = platform
        return AsyncClient(settings=embedded_settings(platform))

    async def _drop_client(self) -> None:
        """Forget a client whose embedded platform died, so the next attempt restarts it."""
        if self.target.embedded and self.embedded is not None:
            if not self.embedded.exited():
                return
            self.detach_embedded()
        elif not self.target.embedded:
            return
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.aclose()
        self.client = None

    @work(exclusive=True, group="connection", exit_on_error=False)
    async def maintain_connection(self) -> None:
        """Connect, then keep checking; on failure show why and retry with backoff."""
        attempt = 0
        while True:
            problem = ""
            state: ConnectionState = "unreachable"
            try:
                if self.client is None:
                    self.client = await self._open_client()
                # the (keyless) health check rides beside whoami, not after it: one
                # round trip less before the screens may load
                data, audit_problem = await asyncio.gather(
                    self.client.request("GET", "/v1/whoami", max_retries=0),
                    self._audit_problem(self.client),
                )
                who = WhoAmI.model_validate(data)
            except AuthenticationError as exc:
                state = "unauthorized"
                problem = f"the server refused the API key: {exc.message}"
            except APIConnectionError as exc:
                problem = exc.message
                if self.target.settings is not None and self.server_label not in problem:
                    problem = f"cannot reach {self.server_label}: {problem}"
            except MonstrumAPIError as exc:
                problem = f"{self.server_label} answered {exc}"
            except Exception as exc:  # e.g. the embedded platform failed to start
                problem = f"cannot start the local platform: {exc}"
            else:
                attempt = 0
                self.key_scopes = tuple(who.scopes)
                self._set_status(
                    "connected", read_only=not can_write(who.scopes), key_name=who.name,
                    audit_problem=audit_problem,
                )
                self._client_ready.set()
                await self._pause(HEARTBEAT)
                continue
            self._client_ready.clear()
            await self._drop_client()
            delay = retry_delay(attempt, cap=60.0 if state == "unauthorized" else 30.0)
            attempt += 1
            self._set_status(state, f"{problem} · retrying in {delay:.0f}s")
            await self._pause(delay)
            self._set_status("reconnecting", f"{problem} · retrying now…")

    async def _audit_problem(self, client: AsyncClient) -> str | None:
        """Why the server's audit chain does not hold (its ``/v1/health``), or None; a
        new problem is a toast too, as every tool call is refused until it is repaired."""
        try:
            health = await client.health()
        except MonstrumError:
            return self.connection.audit_problem  # unknown now: keep what was last said
        problem = None if health.audit_ok else (health.audit_problem or "the chain does not hold")
        if problem and problem != self.connection.audit_problem:
            self.notify(f"The server's audit log is broken: {problem}. It refuses every tool "
                        "call until an operator repairs it (monstrum audit verify).",
                        title="Audit broken", severity="error", timeout=30)
        return problem

    @work(exclusive=True, group="approvals-count", exit_on_error=False)
    async def follow_approvals(self) -> None:
        """Keep ``pending_approvals`` current; a rise is a toast (the header shows the count)."""
        while True:
            client = await self.wait_for_client()
            try:
                count: int | None = (await client.approvals.summary()).pending
            except ScopeMissing:
                count = None  # this key cannot see approvals: no count, no toasts
            except MonstrumError:
                count = self.pending_approvals
            previous = self.pending_approvals
            self.pending_approvals = count
            if count and (previous is None or count > previous):
                waiting = f"{count} call{'s' if count != 1 else ''} wait"
                self.notify(f"{waiting} for approval · press 6 for Approvals",
                            title="approval needed", severity="warning", timeout=8)
            await asyncio.sleep(APPROVALS_POLL)

    # --- navigation ---------------------------------------------------------

    def go(self, name: str) -> None:
        """Show the registered screen ``name`` (its own stack keeps its state)."""
        entry = screen_entry(name)
        if entry is None:
            self.notify(f"no screen {name!r}", severity="warning")
            return
        if entry.name != self.current_mode:
            self._mode_history.append(self.current_mode)
            self.switch_mode(entry.name)

    def action_go(self, name: str) -> None:
        self.go(name)

    async def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self._mode_history:
            self.switch_mode(self._mode_history.pop())

    def action_jump(self) -> None:
        def chosen(name: object) -> None:
            if name == "quit":
                self.action_quit()
            elif isinstance(name, str):
                self.go(name)

        from .screens.jump import JumpScreen  # loaded on first use, not before paint

        self.push_screen(JumpScreen([e.name for e in SCREENS]), chosen)

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit; while the local platform still has tasks, first say that they go on."""
        if self._asking_to_quit or not self.target.embedded or self.client is None:
            self.exit()  # a second q while asked means "quit anyway"
            return
        self._ask_before_quitting()

    @work(exclusive=True, group="quit", exit_on_error=False)
    async def _ask_before_quitting(self) -> None:
        try:
            waiting = await asyncio.wait_for(self._unfinished_tasks(), QUIT_CHECK_TIMEOUT)
        except Exception:  # cannot tell: its tasks go on regardless, so just quit
            waiting = 0
        if not waiting:
            self.exit()
            return
        where = self.embedded.data_dir if self.embedded is not None else "the data dir"
        self._asking_to_quit = True

        def answered(quit_now: object) -> None:  # what the ConfirmScreen dismissed with
            self._asking_to_quit = False
            if quit_now:
                self.exit()

        noun = "task is" if waiting == 1 else "tasks are"
        self.push_screen(ConfirmScreen(
            f"{waiting} {noun} still queued or running.",
            f"They keep running in the local platform ({where}), which stops by itself "
            "once they are done; open the dashboard again, or run `monstrum tasks list`, "
            "to follow them.",
            confirm_label="Quit",
        ), answered)

    async def _unfinished_tasks(self) -> int:
        assert self.client is not None
        count = 0
        for status in UNFINISHED_TASK_STATUSES:
            page = await self.client.tasks.list(status=status, limit=100).page()
            count += len(page.data)
        return count

    def action_help(self) -> None:
        from .screens.help import HelpScreen  # loaded on first use, not before paint

        if isinstance(self.screen, HelpScreen):
            return
        title = getattr(self.screen, "SCREEN_TITLE", "") or self.current_mode
        self.push_screen(HelpScreen(title, binding_catalog(self.screen, self.keymap)))

    @on(ScreenRequest)
    def _route_request(self, request: ScreenRequest) -> None:
        """Hand a cross-screen request to the screen registered for it."""
        entry = entry_accepting(request)
        if entry is None:
            self.notify(request.unhandled_hint, severity="warning", timeout=4)
            return
        self.go(entry.name)
        self.screen.post_message(request)

    # --- terminal -----------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        was_small = self.has_class("-too-small")
        if small and not was_small:
            # hiding the screen's widgets drops their focus; give it back when we grow again
            self._focus_before_small = {screen: screen.focused for screen in self.screen_stack}
        elif was_small and not small:
            self.call_after_refresh(self._restore_focus)
        self.set_class(small, "-too-small")

    def _restore_focus(self) -> None:
        saved, self._focus_before_small = self._focus_before_small, {}
        for screen, widget in saved.items():
            if widget is not None and screen.focused is None and widget.is_attached:
                screen.set_focus(widget)

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52, plus the tmux-wrapped form inside tmux."""
        super().copy_to_clipboard(text)
        extra = tmux_copy_sequence(text, os.environ)
        if extra and self._driver is not None:
            self._driver.write(extra)

    def copy_secret_to_clipboard(self, secret: str) -> None:
        """OSC 52 (and the tmux form) for a secret, which the app itself does not keep:
        ``copy_to_clipboard`` also holds the text as the app's own clipboard (for paste),
        where a new API key would outlive the dialog that showed it."""
        if self._driver is None:
            return
        self._driver.write(osc52(secret))
        extra = tmux_copy_sequence(secret, os.environ)
        if extra:
            self._driver.write(extra)


def theme_for_color_system(color_system: str | None) -> str | None:
    """The theme to use when none is configured, if the default would not do.

    In a 16-colour terminal the default theme's colours are squeezed to the nearest of
    16 (orange becomes bright red on grey, unreadable); the ANSI theme uses the
    terminal's own palette instead.
    """
    return "ansi-dark" if color_system in ("standard", "windows") else None


def known_binding_ids() -> set[str]:
    """Every binding id the dashboard declares (to warn about typos in ``[keymap]``)."""
    for entry in SCREENS:  # load every screen, so their bindings are seen
        entry.screen  # noqa: B018
    ids: set[str] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    seen: set[type[DOMNode]] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("monstrum_tui."):
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding) and binding.id:
                    ids.add(binding.id)
    return ids
