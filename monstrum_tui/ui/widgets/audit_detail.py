"""The audit detail pane: one whole entry, why it was decided that way, and its chain hash."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...client.models import AuditEntry
from ..cells import AUDIT_STATUS_STYLES
from .decision_view import add_decision_rows, facts_grid


def _named(ident: str | None, names: dict[str, str]) -> str:
    if not ident:
        return "—"
    name = names.get(ident)
    return f"{name} ({ident})" if name and name != ident else ident


def render_entry(entry: AuditEntry, names: dict[str, str] | None = None) -> RenderableType:
    """The whole entry as Rich renderables: fields, decision, params as JSON, chain."""
    names = names or {}
    fields = facts_grid()
    fields.add_row("id", entry.id)
    fields.add_row("time", entry.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    fields.add_row("status", Text(entry.status, style=AUDIT_STATUS_STYLES.get(entry.status, "")))
    fields.add_row("bot", _named(entry.bot_id, names))
    fields.add_row("task", entry.task_id or "—")
    fields.add_row("resource", _named(entry.resource_id, names))
    fields.add_row("tool", entry.tool_name)
    fields.add_row("operation", entry.operation or "—")
    fields.add_row("reason", Text(entry.reason or "—", style="red" if entry.status == "denied"
                                  else ""))
    fields.add_row("duration", f"{entry.duration_ms:g} ms" if entry.duration_ms is not None
                   else "—")
    fields.add_row("result", f"{entry.result_size:,} bytes" if entry.result_size is not None
                   else "—")

    decision = facts_grid()
    if entry.decision:
        allowed = entry.decision.get("allowed")
        decision.add_row("allowed", Text(str(allowed).lower(),
                                         style="green" if allowed else "bold red"))
        add_decision_rows(decision, entry.decision)
    else:
        decision.add_row("", Text("no decision recorded", style="dim"))

    chain = facts_grid()
    chain.add_row("seq", str(entry.seq) if entry.seq is not None else "—")
    chain.add_row("hash", entry.hash or "—")
    chain.add_row("prev hash", entry.prev_hash or "—")

    params: RenderableType = (
        JSON.from_data(entry.params, indent=2, sort_keys=True) if entry.params
        else Text("{}", style="dim")
    )
    return Group(
        fields,
        Text("\ndecision", style="bold underline"),
        decision,
        Text("\nparams", style="bold underline"),
        params,
        Text("\nchain", style="bold underline"),
        chain,
    )


class AuditDetail(VerticalScroll, can_focus=True):
    """A scrollable view of the highlighted entry (``show`` it; None clears it)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entry: AuditEntry | None = None
        self.names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("no entry selected", id="audit-detail-body")

    def show(self, entry: AuditEntry | None, names: dict[str, str] | None = None) -> None:
        self.entry = entry
        if names is not None:
            self.names = names
        body = self.query_one("#audit-detail-body", Static)
        if entry is None:
            body.update("no entry selected")
        else:
            body.update(render_entry(entry, self.names))
        self.scroll_home(animate=False)
