"""The dialog an approver answers: approve or reject one waiting call, with a reason."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from ...client.models import Approval
from ..visible_text import visible_json
from .base import MonstrumModal


def describe_call(approval: Approval) -> str:
    """One line saying which call waits: tool, params, bot, where it comes from."""
    params = visible_json(approval.params, sort_keys=True)
    if len(params) > 200:
        params = params[:199] + "…"
    origin = f"task {approval.task_id}" if approval.task_id else "an MCP client"
    return f"{approval.tool_name} {params} · bot {approval.bot_id} · from {origin}"


class ApprovalDecisionScreen(MonstrumModal):
    """Dismisses with the reason typed (approve/reject is fixed by the caller), or None."""

    CSS_PATH = "approvals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="approval.cancel"),
    ]

    def __init__(self, approval: Approval, *, approve: bool) -> None:
        super().__init__()
        self.approval = approval
        self.approve = approve

    def compose_dialog(self) -> ComposeResult:
        verb = "Approve" if self.approve else "Reject"
        with Vertical(id="approval-dialog", classes="dialog"):
            yield Label(f"{verb} this call?", id="approval-question", markup=False)
            yield Label(describe_call(self.approval), id="approval-call", markup=False)
            yield Label(f"needs approval because {self.approval.reason}",
                        id="approval-why", markup=False)
            yield Input(placeholder="reason (goes on the audit log; the bot is told on reject)",
                        id="approval-reason", max_length=2000, compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{verb} (enter)", variant="success" if self.approve else "error",
                             id="approval-confirm", compact=True)
                yield Button("Cancel (esc)", id="approval-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#approval-reason", Input).focus()

    @on(Input.Submitted, "#approval-reason")
    def _submitted(self) -> None:
        self.dismiss(self.query_one("#approval-reason", Input).value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "approval-confirm":
            self.dismiss(self.query_one("#approval-reason", Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
