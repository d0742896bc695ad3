"""The audit detail pane: one whole entry, why it was decided that way, and its chain hash."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...client.models import AuditEntry
from ..cells import AUDIT_STATUS_STYLES

#: the decision's explanation, in the order a reader wants it
DECISION_FIELDS = (
    ("check", "check"),
    ("message", "message"),
    ("dimension", "dimension"),
    ("param_path", "param path"),
    ("value", "value"),
    ("allowed_patterns", "allowed"),
    ("operation", "operation"),
)


def _named(ident: str | None, names: dict[str, str]) -> str:
    if not ident:
        return "—"
    name = names.get(ident)
    return f"{name} ({ident})" if name and name != ident else ident


def _value(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=10)
    grid.add_column(overflow="fold")
    return grid


def render_entry(entry: AuditEntry, names: dict[str, str] | None = None) -> RenderableType:
    """The whole entry as Rich renderables: fields, decision, params as JSON, chain."""
    names = names or {}
    fields = _grid()
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

    decision = _grid()
    if entry.decision:
        allowed = entry.decision.get("allowed")
        decision.add_row("allowed", Text(str(allowed).lower(),
                                         style="green" if allowed else "bold red"))
        for key, label in DECISION_FIELDS:
            value = entry.decision.get(key)
            if value not in (None, "", []):
                decision.add_row(label, _value(value))
    else:
        decision.add_row("", Text("no decision recorded", style="dim"))

    chain = _grid()
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
