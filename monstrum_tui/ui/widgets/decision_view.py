"""How a governance decision reads, wherever one is shown (an audit entry, a what-if):
the server's fields in the order a reader wants them, never worked out here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ...client.models import Decision
from ..visible_text import visible

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


def shown(value: Any) -> str:
    """A decision field as text: lists and objects as JSON; nothing hidden (a decision
    may quote a model's params)."""
    if isinstance(value, (list, dict)):
        return visible(json.dumps(value, ensure_ascii=False))
    return visible(str(value))


def facts_grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=10)
    grid.add_column(overflow="fold")
    return grid


def add_decision_rows(
    grid: Table, decision: Mapping[str, Any], *, skip: frozenset[str] = frozenset()
) -> None:
    """The fields the decision carries (empty ones left out), in ``DECISION_FIELDS`` order."""
    for key, label in DECISION_FIELDS:
        value = decision.get(key)
        if key in skip:
            continue
        if value not in (None, "", []):
            grid.add_row(label, Text(shown(value)))


def verdict_line(decision: Decision) -> Text:
    """The headline: allowed or denied, and what the server added to it."""
    if decision.allowed:
        line = Text("ALLOWED", style="bold green")
        if decision.approval_required:
            line.append(" · waits for a person: ", style="bold")
            line.append(decision.approval_required)
    else:
        line = Text("DENIED", style="bold red")
        if decision.check:
            line.append(f" by the {decision.check} check", style="bold")
    if decision.enforce == "log_only":
        line.append(" · shadow mode (log_only): ", style="bold magenta")
        line.append("it would run anyway and be audited as would_deny" if not decision.allowed
                    else "calls run and are audited")
    return line


def render_decision(decision: Decision) -> RenderableType:
    """A whole decision: the headline (which names the failed check), then its fields."""
    grid = facts_grid()
    add_decision_rows(grid, decision.model_dump(mode="json"), skip=frozenset({"check"}))
    return Group(verdict_line(decision), grid)
