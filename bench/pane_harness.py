"""The process ``bench/pane.py`` runs in a pseudo-terminal (not a bench of its own).

    pane_harness.py pane|log API_BASE TASK_ID PROBE_FILE     (MONSTRUM_API_KEY in the env)

``pane``: the real dashboard (``MonstrumApp``, real terminal driver) on its Tasks screen,
asked to watch ``TASK_ID`` in a pane once the screen has loaded and settled, as the audit
log's "open task" does. ``log``: the reference, a minimal Textual app whose ``Log`` gets
the same task's events through the same SDK, one ``write_lines`` per 50 ms tick. Either
way the stream starts ``OPEN_SETTLE_SECONDS`` after the log is shown, and JSON lines go
to PROBE_FILE: ``ready`` (the stream starts); ``drawn`` per batch drawn (time, batch
size, running total); ``key`` each time the ``j`` key's action ran. Times are
``time.perf_counter()`` (the system's monotonic clock, the same in the bench's process).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
#: how long the dashboard idles on its loaded Tasks screen before the pane opens
SETTLE_SECONDS = 1.0
#: how long a pane (or the reference's Log) is shown before its stream starts: opening a
#: pane moves focus, so the footer lays out the pane's keys; that one-off belongs to
#: opening, not to absorbing events, and would otherwise sit in the first keys' times
OPEN_SETTLE_SECONDS = 1.0


class Probe:
    def __init__(self, path: str) -> None:
        self.file = open(path, "a", buffering=1)  # noqa: SIM115 - for the process's life
        self.total = 0

    def say(self, kind: str, **fields: Any) -> None:
        self.file.write(json.dumps({"kind": kind, "t": time.perf_counter(), **fields}) + "\n")

    def drawn(self, count: int) -> None:
        self.total += count
        self.say("drawn", batch=count, total=self.total)


def count_writes(probe: Probe) -> None:
    """Split every partial update the compositor renders by the widget each piece is of."""
    from collections import Counter

    from textual import _compositor
    from textual._context import active_app
    from textual.errors import NoWidget

    written: Counter[str] = Counter()
    render = _compositor.ChopsUpdate.render_segments
    last = [time.perf_counter()]

    def name(x: int, y: int) -> str:
        try:
            widget, _ = active_app.get().screen.get_widget_at(x, y)
        except NoWidget:
            return "?"
        return type(widget).__name__ + (f"#{widget.id}" if widget.id else "") + "".join(
            f".{c}" for c in sorted(widget.classes) if not c.startswith("-"))

    def probed(self: _compositor.ChopsUpdate, console: Any) -> str:
        for y, x1, x2 in self.spans:
            for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(),
                                       strict=False):
                if strip is None or x > x2 or end <= x1:
                    continue
                if not (x2 > x >= x1 and end <= x2):
                    strip = strip.crop(0, min(end, x2) - x)
                written[name(x, y)] += len(strip.render(console))
        now = time.perf_counter()
        if now - last[0] >= 1.0:
            probe.say("writes", by_widget=dict(written))
            written.clear()
            last[0] = now
        return render(self, console)

    _compositor.ChopsUpdate.render_segments = probed  # type: ignore[method-assign]


def run_pane(api_base: str, task_id: str, probe: Probe) -> None:
    from textual import work

    from monstrum_tui.ui.app import MonstrumApp
    from monstrum_tui.ui.messages import OpenTaskRequested
    from monstrum_tui.ui.screens.tasks import TasksScreen
    from monstrum_tui.ui.widgets.event_log import EventLog
    from monstrum_tui.ui.widgets.task_pane import TaskPane

    add_events, select = EventLog.add_events, EventLog.action_select

    def probed_add(self: EventLog, batch: list[Any]) -> None:
        add_events(self, batch)
        if batch:
            probe.drawn(len(batch))

    def probed_select(self: EventLog, step: int) -> None:
        select(self, step)
        probe.say("key")

    if os.environ.get("PANE_WRITES"):
        count_writes(probe)
    EventLog.add_events = probed_add  # type: ignore[method-assign]
    EventLog.action_select = probed_select  # type: ignore[method-assign]
    pane_mount = TaskPane.on_mount

    def probed_mount(self: TaskPane) -> None:
        # the stream starts once the pane has settled (see OPEN_SETTLE_SECONDS)
        stream, self.stream = self.stream, False
        pane_mount(self)
        self.stream = stream

        def start() -> None:
            probe.say("ready")
            if stream:
                self.follow_stream()

        self.set_timer(OPEN_SETTLE_SECONDS, start)

    TaskPane.on_mount = probed_mount  # type: ignore[method-assign]

    class Dashboard(MonstrumApp):
        CSS_PATH = str(ROOT / "monstrum_tui" / "ui" / "app.tcss")

        def on_mount(self) -> None:
            super().on_mount()
            self.open_when_connected()

        @work
        async def open_when_connected(self) -> None:
            # the pane opens on a settled dashboard (its table loaded, its first paint
            # done), as a person opens one: the bench times the pane, not the start-up
            await self.wait_for_client()
            while not (isinstance(self.screen, TasksScreen) and not self.screen.is_loading):
                await asyncio.sleep(0.05)
            await asyncio.sleep(SETTLE_SECONDS)
            self.post_message(OpenTaskRequested(task_id))

    app = Dashboard(api_base=api_base, api_key=os.environ["MONSTRUM_API_KEY"],
                    initial_screen="tasks")
    app.run()


def run_log(api_base: str, task_id: str, probe: Probe) -> None:
    from textual import work
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import Footer, Header, Log

    from monstrum_tui.client.async_client import AsyncClient

    class LogApp(App[None]):
        BINDINGS: ClassVar[list[Any]] = [Binding("j", "key", "key")]

        def compose(self) -> ComposeResult:
            yield Header()
            yield Log(max_lines=5000)
            yield Footer()

        def on_mount(self) -> None:
            self.lines: list[str] = []
            self.set_interval(0.05, self.flush)
            self.set_timer(OPEN_SETTLE_SECONDS, self.start)

        def start(self) -> None:
            probe.say("ready")
            self.follow()

        @work
        async def follow(self) -> None:
            async with AsyncClient(api_key=os.environ["MONSTRUM_API_KEY"],
                                   api_base=api_base) as client:
                async for event in client.tasks.events(task_id, after=0):
                    self.lines.append(f"{event.seq:>6} {event.type} {event.text or ''}")

        def flush(self) -> None:
            if self.lines:
                batch, self.lines = self.lines, []
                self.query_one(Log).write_lines(batch)
                probe.drawn(len(batch))

        def action_key(self) -> None:
            probe.say("key")

    LogApp().run()


def main() -> None:
    mode, api_base, task_id, probe_path = sys.argv[1:5]
    probe = Probe(probe_path)
    {"pane": run_pane, "log": run_log}[mode](api_base, task_id, probe)


if __name__ == "__main__":
    main()
