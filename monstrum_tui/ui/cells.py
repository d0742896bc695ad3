"""The one way a table cell is made: a ``Text`` clipped to its column, with an ellipsis.

User text always goes in as ``Text`` (a plain ``str`` cell is read as markup, so a bot
named ``[red]x`` would be drawn red), on one line (whitespace collapsed), cut with
``…`` where it does not fit, so a cut id or name always shows that it was cut.
"""

from __future__ import annotations

from rich.text import Text

#: how each task status is drawn, wherever one is shown (one place to add a new status;
#: a test checks every status in ``client.models.TASK_STATUSES`` has one)
TASK_STATUS_STYLES: dict[str, str] = {
    "queued": "dim",
    "running": "bold yellow",
    "waiting_approval": "bold magenta",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "magenta",
}
BOT_STATUS_STYLES: dict[str, str] = {"active": "green", "paused": "yellow"}
AUDIT_STATUS_STYLES: dict[str, str] = {"success": "green", "error": "yellow",
                                       "denied": "bold red", "pending": "cyan",
                                       "unknown": "bold yellow", "would_deny": "bold magenta"}


def clip(text: str, width: int) -> str:
    """One line of at most ``width`` characters, ending in ``…`` if it was cut."""
    line = " ".join(str(text).split())
    if width <= 0:
        return ""
    return line if len(line) <= width else line[: width - 1] + "…"


def cell(value: object, width: int, *, style: str = "", right: bool = False) -> Text:
    """A table cell: ``value`` as plain text, clipped to ``width``."""
    return Text(clip("" if value is None else str(value), width), style=style,
                justify="right" if right else "left", no_wrap=True, overflow="ellipsis")


def count_cell(value: int, width: int, *, style_if_any: str = "") -> Text:
    """A right-aligned count, styled only when it is not zero (``0`` is dim)."""
    return cell(value, width, style=style_if_any if value else "dim", right=True)
