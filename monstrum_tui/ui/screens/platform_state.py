"""The Server screen (``:server``): what the platform says about itself, and how to reach it.

Version, uptime, limits, queue, database kind and size, and the audit chain (entries,
head, sealed, the last verification: when and by which key), as ``GET /v1/server``
sends them; ``v`` verifies the chain now. Then where this dashboard connects and how
the ``monstrum`` command line gets there too (for the local platform: its socket).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...client.errors import APIConnectionError, MonstrumError
from ...client.models import ServerInfo
from ..connection import ConnectionStatus
from .base import MonstrumScreen

#: seconds between refreshes while the screen is shown
REFRESH_SECONDS = 5.0
#: from this width the facts sit in two columns
TWO_COLUMNS_WIDTH = 100


class ServerInfoLoaded(Message):
    def __init__(self, info: ServerInfo | None, error: str = "") -> None:
        super().__init__()
        self.info = info
        self.error = error


def human_bytes(size: int | None) -> str:
    if size is None:
        return "unknown"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def human_span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "—"
    local = value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return f"{local} ({human_span((now - value).total_seconds())} ago)"


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True, min_width=14)
    grid.add_column(overflow="fold")
    return grid


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def render_server(info: ServerInfo, now: datetime | None = None
                  ) -> tuple[RenderableType, RenderableType]:
    """The platform's state: (version, limits, queue, database) and its audit chain."""
    now = now or datetime.now(timezone.utc)
    about = _grid()
    about.add_row("version", info.version)
    about.add_row("started", _when(info.started_at, now))
    about.add_row("uptime", human_span(info.uptime_seconds))

    limits = _grid()
    lim = info.limits
    limits.add_row("running tasks", f"{lim.max_running_tasks} at once, "
                                    f"{lim.max_running_per_bot} per bot")
    limits.add_row("per task", f"{lim.max_steps} tool calls, {lim.task_timeout_s:g}s")
    limits.add_row("rate limit", "unlimited" if not lim.rate_limit_per_s
                   else f"{lim.rate_limit_per_s:g} requests/s per key")
    limits.add_row("audit kept", "forever" if lim.audit_retention_days is None
                   else f"{lim.audit_retention_days} days")

    queue = _grid()
    queue.add_row("queued", Text(str(info.queue.queued),
                                 style="bold" if info.queue.queued else ""))
    queue.add_row("running", f"{info.queue.running} of {lim.max_running_tasks}")

    db = _grid()
    db.add_row("kind", info.database.kind)
    db.add_row("size", human_bytes(info.database.size_bytes))

    chain = _grid()
    audit = info.audit
    chain.add_row("entries", f"{audit.entries:,}")
    chain.add_row("head", f"{audit.head_id} at {_when(audit.head_at, now)}" if audit.head_id
                  else "— (no entry yet)")
    chain.add_row("sealed", Text("yes: the server holds the audit key", style="green")
                  if audit.sealed else
                  Text("no: only the keyless hash chain can be checked", style="yellow"))
    last = audit.last_verification
    if last is None:
        chain.add_row("verified", Text("not since this server started · v verifies now",
                                       style="dim"))
    else:
        verdict = (Text(f"ok, {last.checked:,} entries", style="green") if last.ok else
                   Text(f"BROKEN at {last.first_bad_id}: {last.problem}", style="bold red"))
        chain.add_row("verified", Group(verdict, Text(f"{_when(last.at, now)} by {last.by}")))
    return (
        Group(_heading("Server"), about, Text(""), _heading("Limits"), limits, Text(""),
              _heading("Queue"), queue, Text(""), _heading("Database"), db),
        Group(_heading("Audit chain"), chain),
    )


def render_reach(address: str, profile: str, embedded: bool, status: ConnectionStatus
                 ) -> RenderableType:
    """Where this dashboard connects, and how the CLI gets to the same platform."""
    grid = _grid()
    grid.add_row("address", address or "—")
    grid.add_row("profile", profile)
    grid.add_row("key", f"{status.key_name or '—'}"
                 + (" (read-only)" if status.read_only else ""))
    parts: list[RenderableType] = [_heading("This dashboard"), grid, Text("")]
    cli = Text()
    if embedded and address.startswith("unix:"):
        socket = address.removeprefix("unix:")
        parts.append(_heading("The local platform from the command line"))
        cli.append("It listens on a private socket. In ~/.monstrum/config.toml:\n\n")
        cli.append(f'  [local]\n  uds = "{socket}"\n', style="cyan")
        cli.append('  api_key = "mst_…"', style="cyan")
        cli.append("  # admin.key in the platform's data dir, or a key from\n"
                   "                     # monstrum keys create\n\n", style="dim")
        cli.append("then: ", style="dim")
        cli.append("monstrum --profile local whoami", style="bold")
        cli.append("   (y copies the profile)", style="dim")
    else:
        parts.append(_heading("From the command line"))
        flag = f"--profile {profile}" if profile not in ("", "default") else ""
        cli.append("The same profile and environment reach it: ", style="dim")
        cli.append(f"monstrum {flag} whoami".replace("  ", " "), style="bold")
    parts.append(cli)
    return Group(*parts)


def profile_snippet(address: str) -> str:
    socket = address.removeprefix("unix:")
    return f'[local]\nuds = "{socket}"\napi_key = "mst_..."\n'


class ServerScreen(MonstrumScreen):
    """The platform's own state; refreshed while shown."""

    SCREEN_TITLE = "Server"
    CSS_PATH = "platform_state.tcss"
    #: seconds between refreshes while shown; None reads once (snapshot tests)
    REFRESH: ClassVar[float | None] = REFRESH_SECONDS
    #: the clock "ago" is measured with (tests fix it)
    clock: ClassVar[staticmethod[[], datetime]] = staticmethod(lambda: datetime.now(timezone.utc))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "verify", "Verify chain", id="server.verify"),
        Binding("y", "copy_profile", "Copy CLI profile", id="server.copy_profile", show=False),
        Binding("ctrl+r", "reload", "Reload", id="server.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.info: ServerInfo | None = None
        self.error = ""
        self.verifying = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="server-body"):
            yield Static("loading…", id="server-page")

    def on_resize(self, event: events.Resize) -> None:
        self.show_page()

    def on_mount(self) -> None:
        self.query_one("#server-body").focus()
        self.watch(self.app, "connection", self._connection_changed)
        if self.REFRESH is not None:
            self.set_interval(self.REFRESH, self._refresh_due, name="server-refresh")
        self.load_info()

    def on_screen_resume(self) -> None:
        if self.REFRESH is not None:
            self.load_info()

    def _refresh_due(self) -> None:
        if self.is_current:
            self.load_info()

    @property
    def address(self) -> str:
        client = self.monstrum.client
        return client.api_base if client is not None else self.monstrum.server_label

    def _connection_changed(self, status: ConnectionStatus) -> None:
        self.show_page()

    def show_page(self) -> None:
        """One renderable for the whole page (two columns from 100 columns): a single
        widget whose height is measured again on every update."""
        reach = render_reach(self.address, self.monstrum.profile_name,
                             self.monstrum.target.embedded, self.monstrum.connection)
        if self.info is None:
            facts: RenderableType = Text(
                f"could not read the server's state: {self.error}" if self.error
                else "loading…", style="red" if self.error else "dim")
            chain: RenderableType = Text("")
        else:
            facts, chain = render_server(self.info, self.clock())
        page = self.query_one("#server-page", Static)
        if self.app.size.width >= TWO_COLUMNS_WIDTH:
            grid = Table.grid(expand=True, padding=(0, 2))
            grid.add_column(ratio=1)
            grid.add_column(ratio=1)
            grid.add_row(facts, chain)
            page.update(Group(grid, Text(""), reach))  # the socket's path keeps its line
        else:
            page.update(Group(facts, Text(""), chain, Text(""), reach))

    @work(exclusive=True, group="server-info", exit_on_error=False)
    async def load_info(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            info = await client.server.info()
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(ServerInfoLoaded(None, exc.message))
        except MonstrumError as exc:
            self.post_message(ServerInfoLoaded(None, str(exc)))
        else:
            self.post_message(ServerInfoLoaded(info))

    @on(ServerInfoLoaded)
    def _loaded(self, message: ServerInfoLoaded) -> None:
        if message.info is None:
            self.error = message.error
        else:
            self.info, self.error = message.info, ""
        self.show_page()

    def action_reload(self) -> None:
        self.load_info()

    def action_verify(self) -> None:
        if not self.verifying:
            self.verifying = True
            self.notify("verifying the audit chain…", timeout=2)
            self.verify_chain()

    @work(exclusive=True, group="server-verify", exit_on_error=False)
    async def verify_chain(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            result = await client.audit.verify()
        except MonstrumError as exc:
            self.notify(f"could not verify: {exc}", severity="error", timeout=6)
        else:
            if result.ok:
                self.notify(f"chain verified: {result.checked:,} entries ok", timeout=4)
            else:
                self.notify(f"chain BROKEN at {result.first_bad_id}: {result.problem}",
                            severity="error", timeout=15)
        finally:
            self.verifying = False
        self.load_info()

    def action_copy_profile(self) -> None:
        if not self.address.startswith("unix:"):
            self.notify("this dashboard reaches its server by URL: no socket to copy",
                        timeout=3)
            return
        self.app.copy_to_clipboard(profile_snippet(self.address))
        self.notify("copied the [local] profile (add your key)", timeout=3)
