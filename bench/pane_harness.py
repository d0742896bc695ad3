"""The process ``bench/pane.py`` runs in a pseudo-terminal (not a bench of its own).

    pane_harness.py pane|log API_BASE TASK_ID PROBE_FILE     (MONSTRUM_API_KEY in the env)

``pane``: the real dashboard (``MonstrumApp``, real terminal driver) on its Tasks screen,
asked to watch ``TASK_ID`` in a pane, as the audit log's "open task" does. ``log``: the
reference, a minimal Textual app whose ``Log`` gets the same task's events through the
same SDK, one ``write_lines`` per 50 ms tick. Either way, JSON lines go to PROBE_FILE:
``ready``; ``drawn`` per batch drawn (time, batch size, running total); ``key`` each time
the ``j`` key's action ran. Times are ``time.perf_counter()`` (the system's monotonic
clock, the same in the bench's process).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Probe:
    def __init__(self, path: str) -> None:
        self.file = open(path, "a", buffering=1)  # noqa: SIM115 - for the process's life
        self.total = 0

    def say(self, kind: str, **fields: Any) -> None:
        self.file.write(json.dumps({"kind": kind, "t": time.perf_counter(), **fields}) + "\n")

    def drawn(self, count: int) -> None:
        self.total += count
        self.say("drawn", batch=count, total=self.total)


def run_pane(api_base: str, task_id: str, probe: Probe) -> None:
    from monstrum_tui.ui.app import MonstrumApp
    from monstrum_tui.ui.messages import OpenTaskRequested
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

    EventLog.add_events = probed_add  # type: ignore[method-assign]
    EventLog.action_select = probed_select  # type: ignore[method-assign]
    pane_mount = TaskPane.on_mount

    def probed_mount(self: TaskPane) -> None:
        pane_mount(self)
        self.call_after_refresh(probe.say, "ready")

    TaskPane.on_mount = probed_mount  # type: ignore[method-assign]

    class Dashboard(MonstrumApp):
        CSS_PATH = str(ROOT / "monstrum_tui" / "ui" / "app.tcss")

        def on_mount(self) -> None:
            super().on_mount()
            self.open_when_connected()

        async def open_when_connected(self) -> None:
            await self.wait_for_client()
            self.post_message(OpenTaskRequested(task_id))

        open_when_connected = __import__("textual").work(open_when_connected)  # type: ignore[assignment]

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
            self.follow()
            probe.say("ready")

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
