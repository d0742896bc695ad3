"""A banner that says plainly why the platform cannot be reached, shown until it can."""

from __future__ import annotations

from textual.widgets import Static

from ..connection import ConnectionStatus


class ConnectionBanner(Static):
    """Hidden while connected; otherwise the reason and what happens next."""

    def on_mount(self) -> None:
        self.watch(self.app, "connection", self.show_status)

    def show_status(self, status: ConnectionStatus) -> None:
        problem = status.state in ("unreachable", "unauthorized", "reconnecting")
        self.set_class(problem and bool(status.detail), "-shown")
        self.set_class(status.state == "reconnecting", "-retrying")
        self.update(status.detail)
