"""The audit detail pane: one whole entry, why it was decided that way, and its chain hash."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.highlighter import JSONHighlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...client.models import AuditEntry
from ..cells import AUDIT_STATUS_STYLES
from ..visible_text import visible
from .decision_view import add_decision_rows, facts_grid

_JSON_COLOURS = JSONHighlighter()


def _plain(value: str | None) -> Text:
    """Text from an entry as it is, never read as markup, nothing hidden (a model's
    params, a reason quoting them, a tool name it made up)."""
    return Text(visible(value) if value else "—")


def _named(ident: str | None, names: dict[str, str]) -> Text:
    if not ident:
        return Text("—")
    name = names.get(ident)
    return _plain(f"{name} ({ident})" if name and name != ident else ident)


def params_text(params: dict[str, object]) -> Text:
    """Params as indented, highlighted JSON with every hidden character escaped."""
    return _JSON_COLOURS(Text(visible(json.dumps(params, indent=2, sort_keys=True,
                                                 ensure_ascii=False, default=str))))


def render_entry(entry: AuditEntry, names: dict[str, str] | None = None) -> RenderableType:
    """The whole entry as Rich renderables: fields, decision, params as JSON, chain."""
    names = names or {}
    fields = facts_grid()
    fields.add_row("id", _plain(entry.id))
    fields.add_row("time", entry.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    fields.add_row("status", Text(entry.status, style=AUDIT_STATUS_STYLES.get(entry.status, "")))
    fields.add_row("bot", _named(entry.bot_id, names))
    fields.add_row("task", _plain(entry.task_id))
    fields.add_row("resource", _named(entry.resource_id, names))
    fields.add_row("tool", _plain(entry.tool_name))
    fields.add_row("operation", _plain(entry.operation))
    reason = _plain(entry.reason)
    if entry.status == "denied":
        reason.stylize("red")
    fields.add_row("reason", reason)
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
    chain.add_row("hash", _plain(entry.hash))
    chain.add_row("prev hash", _plain(entry.prev_hash))

    params: RenderableType = (
        params_text(entry.params) if entry.params else Text("{}", style="dim")
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
