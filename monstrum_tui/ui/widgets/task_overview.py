"""The Tasks screen's overview line: tasks per state, and tool calls and denials per second.

It renders what ``GET /v1/task-stats`` sends (``TaskStats``) and works nothing out of
its own: counts per status, the tasks that failed in the server's recent window, and
the server's per-bucket counts drawn as sparklines, with the newest bucket's rate.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...client.models import TaskStats

BLOCKS = " ▁▂▃▄▅▆▇█"
#: buckets a sparkline shows at most (the newest ones)
SPARK_WIDTH = 16


def sparkline(values: list[int], width: int = SPARK_WIDTH) -> str:
    """The newest ``width`` values as block characters, scaled to the largest of them."""
    shown = values[-width:]
    if not shown:
        return ""
    top = max(shown)
    if top <= 0:
        return BLOCKS[1] * len(shown)
    return "".join(BLOCKS[max(1, round(v / top * (len(BLOCKS) - 1)))] if v else BLOCKS[1]
                   for v in shown)


def per_second(values: list[int], bucket_seconds: int, buckets: int = 3) -> float:
    """The rate over the newest ``buckets`` buckets."""
    shown = values[-buckets:]
    if not shown or bucket_seconds <= 0:
        return 0.0
    return sum(shown) / (len(shown) * bucket_seconds)


def window_words(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def overview_text(stats: TaskStats | None, *, width: int = 80) -> Text:
    """One line: ``queued 6 · running 4 · failed 1h 2 · calls/s ▁▃▅ 2.4 · denied/s ▁▁▃ 0.2``."""
    if stats is None:
        return Text("overview: loading…", style="dim")
    counts, recent = stats.counts, stats.recent
    window = window_words(stats.recent_seconds)
    out = Text(no_wrap=True, overflow="ellipsis")

    def count(label: str, value: int, style: str) -> None:
        out.append(f"{label} ", style="dim")
        out.append(str(value), style=style if value else "")
        out.append("  ")

    count("queued", counts.get("queued", 0), "bold")
    count("running", counts.get("running", 0), "bold yellow")
    count(f"failed {window}", recent.get("failed", 0), "bold red")
    if width >= 100:
        count(f"done {window}", recent.get("completed", 0), "green")
    flow = stats.throughput
    spark = SPARK_WIDTH if width >= 100 else 8
    calls = per_second(flow.calls, flow.bucket_seconds)
    denials = per_second(flow.denials, flow.bucket_seconds)
    out.append("calls/s ", style="dim")
    out.append(sparkline(flow.calls, spark), style="cyan")
    out.append(f" {calls:.1f}  ")
    out.append("denied/s ", style="dim")
    out.append(sparkline(flow.denials, spark), style="red")
    out.append(f" {denials:.1f}", style="bold red" if denials else "")
    return out


class TaskOverview(Static):
    """Shows the last ``TaskStats`` it was given (``show``)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.stats: TaskStats | None = None
        self._drawn: tuple[str, tuple[object, ...]] | None = None

    def show(self, stats: TaskStats | None) -> None:
        self.stats = stats
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """Update only when the line reads differently: a poll that brings the same
        numbers writes nothing to the terminal."""
        text = overview_text(self.stats, width=self.size.width or self.app.size.width)
        drawn = (text.plain, tuple(text.spans))
        if drawn != self._drawn:
            self._drawn = drawn
            self.update(text)
