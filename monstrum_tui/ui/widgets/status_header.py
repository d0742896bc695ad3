"""The header: profile, server address, connection state, calls waiting for approval, and
read-only and audit-broken badges."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from ..connection import ConnectionStatus

STATE_LABELS = {
    "starting": "○ starting local platform…",
    "connecting": "○ connecting…",
    "connected": "● connected",
    "reconnecting": "◌ reconnecting…",
    "unreachable": "✕ unreachable",
    "unauthorized": "✕ key refused",
}


class StatusHeader(Horizontal):
    """One line at the top of every screen; follows ``app.connection``."""

    def compose(self) -> ComposeResult:
        yield Label("monstrum", id="header-title")
        yield Label("", id="header-profile")
        yield Label("", id="header-server")
        yield Label("", id="header-state")
        yield Label("", id="header-approvals")
        yield Label("READ-ONLY", id="header-readonly")
        yield Label("AUDIT BROKEN", id="header-audit")

    def on_mount(self) -> None:
        self.watch(self.app, "connection", self.show_status)
        if hasattr(self.app, "pending_approvals"):
            self.watch(self.app, "pending_approvals", self.show_approvals)

    def show_approvals(self, count: int | None) -> None:
        label = self.query_one("#header-approvals", Label)
        label.update(f"◆ {count} approval{'s' if count != 1 else ''}" if count else "")
        label.set_class(bool(count), "-shown")

    def show_status(self, status: ConnectionStatus) -> None:
        self.query_one("#header-profile", Label).update(
            f"profile: {getattr(self.app, 'profile_name', '')}"
        )
        self.query_one("#header-server", Label).update(status.server)
        state = self.query_one("#header-state", Label)
        state.update(STATE_LABELS.get(status.state, status.state))
        for name in STATE_LABELS:
            state.set_class(status.state == name, f"-{name}")
        self.query_one("#header-readonly", Label).set_class(
            status.usable and status.read_only, "-shown"
        )
        audit = self.query_one("#header-audit", Label)
        audit.set_class(status.usable and status.audit_problem is not None, "-shown")
        audit.tooltip = status.audit_problem
