"""How fast a task pane absorbs events while the keyboard still answers, and its memory.

    .venv/bin/python bench/pane.py [--seconds 2] [--rates 1000,2000,5000,...] [--million N]

A headless Textual app (80x24) hosts one real ``TaskPane`` (stream worker off). A
producer coroutine in the app's loop feeds events into the pane's buffer at a target
rate, exactly as the stream worker does; the pane's 50 ms timer flushes them into the
event log, which redraws. Meanwhile the pilot presses a key (``j``: select next, a
no-op at the bottom) over and over and times each round trip (key posted -> handled
-> app idle). For each rate it reports the events/s the pane drew, what was left in
the buffer, and keypress latency (p50/p95/max). Then it pushes a million events
through and samples the process RSS (memory must stay flat: each pane keeps at most
5,000 entries). The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402

from monstrum_tui.client.models import TaskEvent  # noqa: E402
from monstrum_tui.ui.widgets.event_log import EventLog  # noqa: E402
from monstrum_tui.ui.widgets.task_pane import TaskPane  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
TICK = 0.01
KEY_BUDGET_MS = 100.0


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class EventSource:
    """Realistic events in a fixed cycle: calls with results, a denial, model text.

    Building a pydantic model costs more than the pane spends on it, so a pool is built
    once and reused with fresh seq numbers (a pane keeps far fewer than the pool holds,
    so no kept entry ever sees its event change).
    """

    POOL = 64_000

    def __init__(self) -> None:
        self.seq = 0
        self._pool = self._build(self.POOL)

    def make(self, count: int) -> list[TaskEvent]:
        out = []
        pool = self._pool
        for _ in range(count):
            self.seq += 1
            event = pool[self.seq % self.POOL]
            event.__dict__["seq"] = self.seq
            out.append(event)
        return out

    @staticmethod
    def _build(count: int) -> list[TaskEvent]:
        out = []
        for seq in range(count):
            phase = seq % 8
            fields: dict[str, Any] = {
                "seq": seq, "task_id": "task_bench", "timestamp": T0 + timedelta(
                    microseconds=seq * 200),
                "tool_name": None, "resource_id": None, "call_id": None, "params": None,
                "data": None, "text": None, "reason": None, "error": None, "output": None,
                "duration_ms": None, "status": None,
            }
            call_id = f"c{seq // 8}-{phase // 2}"
            if phase in (0, 2, 4):
                fields.update(type="tool_call", tool_name="read_file", call_id=call_id,
                              resource_id="res_fs", params={"path": f"docs/file{seq}.md"})
            elif phase in (1, 3, 5):
                fields.update(type="result", call_id=f"c{seq // 8}-{(phase - 1) // 2}",
                              duration_ms=2.5, data={"path": f"docs/file{seq}.md", "size": 120,
                                                     "content": "lorem ipsum " * 8})
            elif phase == 6:
                fields.update(type="denied", tool_name="read_file", params={"path": "secret"},
                              reason={"check": "scope", "message": "path secret is outside"})
            else:
                fields.update(type="message", text=f"thinking about step {seq} ")
            out.append(TaskEvent.model_construct(**fields))
        return out


class PaneBench(App[None]):
    CSS_PATH: ClassVar[str] = str(ROOT / "monstrum_tui" / "ui" / "screens" / "tasks.tcss")

    def compose(self) -> ComposeResult:
        yield TaskPane("task_bench", bot_name="bench", stream=False)

    def on_mount(self) -> None:
        self.query_one(TaskPane).event_log.focus()


#: when the pane's ``select`` action last ran (the bench wraps it to find out)
HANDLED: list[float] = []


def watch_key_handling() -> None:
    """Record the moment the event log's key action runs (the end of a key's round trip)."""
    original = EventLog.action_select

    def timed(self: EventLog, step: int) -> None:
        original(self, step)
        HANDLED.append(time.perf_counter())

    EventLog.action_select = timed  # type: ignore[method-assign]


async def key_round_trip(app: PaneBench, key: str = "j") -> float:
    """Milliseconds from a key arriving at the app to the pane's action having run."""
    seen = len(HANDLED)
    sent = time.perf_counter()
    app.post_message(events.Key(key, key))
    while len(HANDLED) == seen:
        await asyncio.sleep(0.0005)
        if time.perf_counter() - sent > 30:
            raise RuntimeError("the key was never handled")
    return (HANDLED[-1] - sent) * 1000


async def feed_at(pane: TaskPane, source: EventSource, rate: float, stop: asyncio.Event) -> int:
    """Feed ``rate`` events per second until ``stop``; returns how many were fed."""
    fed = 0
    start = time.perf_counter()
    while not stop.is_set():
        due = int(rate * (time.perf_counter() - start)) - fed
        if due > 0:
            pane.feed(source.make(due))
            fed += due
        await asyncio.sleep(TICK)
    return fed


async def measure_rate(app: PaneBench, pilot: Any, source: EventSource, rate: float,
                       seconds: float) -> dict[str, Any]:
    pane = app.query_one(TaskPane)
    entries = pane.event_log.entries
    drawn_before = entries.total_events
    stop = asyncio.Event()
    feeder = asyncio.create_task(feed_at(pane, source, rate, stop))
    latencies: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        latencies.append(await key_round_trip(app))
        await asyncio.sleep(0.02)
    stop.set()
    fed = await feeder
    elapsed = time.perf_counter() - start
    drawn = entries.total_events - drawn_before
    backlog = len(pane.buffer)
    # let the pane catch up before the next rate
    while pane.buffer:
        await asyncio.sleep(0.05)
    latencies.sort()
    return {
        "target_rate": rate,
        "fed": fed,
        "drawn_per_s": round(drawn / elapsed),
        "backlog": backlog,
        "key_p50_ms": round(statistics.median(latencies), 2),
        "key_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "key_max_ms": round(latencies[-1], 2),
        "presses": len(latencies),
    }


async def measure_memory(app: PaneBench, source: EventSource, total: int) -> list[dict[str, Any]]:
    pane = app.query_one(TaskPane)
    entries = pane.event_log.entries
    samples = []
    checkpoints = sorted({total // 10, total // 4, total // 2, total})
    fed = 0
    start = time.perf_counter()
    while fed < total:
        if len(pane.buffer) < 20_000:
            batch = min(5_000, total - fed)
            pane.feed(source.make(batch))
            fed += batch
        await asyncio.sleep(0)
        if checkpoints and fed >= checkpoints[0]:
            while pane.buffer:
                await asyncio.sleep(0.01)
            gc.collect()
            samples.append({"events": entries.total_events, "rss_mb": round(rss_mb(), 1),
                            "entries_kept": len(entries),
                            "dropped": entries.dropped_events,
                            "seconds": round(time.perf_counter() - start, 1)})
            print(f"  after {entries.total_events:>9,} events: RSS {samples[-1]['rss_mb']:7.1f} MB"
                  f", entries kept {len(entries):,}, dropped {entries.dropped_events:,}",
                  flush=True)
            checkpoints.pop(0)
    return samples


async def run(args: argparse.Namespace) -> dict[str, Any]:
    watch_key_handling()
    app = PaneBench()
    source = EventSource()
    results: list[dict[str, Any]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        print(f"{'rate/s':>8} {'drawn/s':>8} {'backlog':>8} {'key p50':>8} {'key p95':>8} "
              f"{'key max':>8}")
        for rate in args.rates:
            r = await measure_rate(app, pilot, source, rate, args.seconds)
            results.append(r)
            print(f"{rate:>8,.0f} {r['drawn_per_s']:>8,} {r['backlog']:>8,} "
                  f"{r['key_p50_ms']:>6.1f}ms {r['key_p95_ms']:>6.1f}ms {r['key_max_ms']:>6.1f}ms",
                  flush=True)
        print(f"memory over {args.million:,} events:")
        memory = await measure_memory(app, source, args.million)
    ok = [r for r in results if r["key_p95_ms"] < KEY_BUDGET_MS
          and r["drawn_per_s"] >= 0.95 * r["target_rate"] and r["backlog"] < r["target_rate"]]
    best = max((r["target_rate"] for r in ok), default=0)
    growth = memory[-1]["rss_mb"] - memory[0]["rss_mb"] if len(memory) > 1 else 0.0
    return {
        "bench": "pane",
        "max_rate_with_key_p95_under_100ms": best,
        "rates": results,
        "memory": memory,
        "rss_growth_mb_after_first_sample": round(growth, 1),
        "aim_met": best >= 5_000 and growth < 20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rates", default="1000,2000,5000,10000,20000,40000")
    parser.add_argument("--million", type=int, default=1_000_000)
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    result = asyncio.run(run(args))
    print(f"max rate with keypress p95 < {KEY_BUDGET_MS:.0f} ms: "
          f"{result['max_rate_with_key_p95_under_100ms']:,.0f} events/s; "
          f"RSS growth {result['rss_growth_mb_after_first_sample']} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
