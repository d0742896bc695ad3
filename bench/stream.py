"""Event stream bench: events per second from the runner, through SSE, into the SDK.

    .venv/bin/python bench/stream.py [--events 20000] [--watchers 4]

A real server (child process) runs a scripted task of N ``say`` lines: each is one
``message`` event, stored and fanned out live. Measured:
- live: from task creation to the SDK receiving the ``complete`` event, one watcher;
- live_fanout: the same with several watchers following one task at once;
- replay: re-reading a finished task's stream (store -> SSE -> SDK);
- reference, in the same run: the replayed events, framed by the real server's own
  ``EventFrame.of`` (the same ``TaskEvent`` JSON) in a bare FastAPI app in a child process
  under uvicorn (bench/stream_reference.py), read with plain httpx and each ``data``
  line parsed into the same ``TaskEvent`` model; the median of ``--ref-runs`` reads;
- then ``--pairs`` pairs of one reference read and one more live run back to back (on a
  shared machine the load swings between runs minutes apart; within a pair it mostly
  does not): the median of their ratios is the live figure to quote.
Prints a table with the ratios real / reference and a final JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

import monstrum
from monstrum_tui.client.models import TaskEvent
from tests.serverproc import (
    ServerProcess,
    free_port,
)

REFERENCE_APP = Path(__file__).with_name("stream_reference.py")


async def follow(client: monstrum.AsyncClient, task_id: str, after: int | None = None,
                 keep: list[Any] | None = None) -> int:
    count = 0
    async for event in client.tasks.events(task_id=task_id, after=after):
        count += 1
        if keep is not None:
            keep.append(event)
    return count


async def read_reference(url: str) -> tuple[int, float]:
    """Plain httpx: each SSE ``data`` line parsed into a TaskEvent; (events, seconds)."""
    count = 0
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http, \
            http.stream("GET", "/events") as resp:
        resp.raise_for_status()
        async for line in resp.aiter_lines():
            if line.startswith("data: "):
                TaskEvent.model_validate_json(line[6:])
                count += 1
    return count, time.perf_counter() - started


@contextmanager
def reference_app(events: list[Any], tmp: Path) -> Iterator[str]:
    """The reference app serving ``events`` (a child process); yields its URL."""
    path = tmp / "events.jsonl"
    path.write_text("".join(e.model_dump_json() + "\n" for e in events))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    child = subprocess.Popen([sys.executable, str(REFERENCE_APP), "--port", str(port),
                              "--events", str(path)])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError("the reference app did not start")
            time.sleep(0.1)
        yield url
    finally:
        child.terminate()
        child.wait(10)


def reference(url: str, events: int, runs: int) -> dict[str, Any]:
    reads = [asyncio.run(read_reference(url)) for _ in range(runs)]
    assert all(n == events for n, _ in reads), reads
    rates = [n / s for n, s in reads]
    return {"runs": runs, "events": events,
            "events_per_s": round(statistics.median(rates)),
            "events_per_s_all": [round(r) for r in rates]}


async def live_once(url: str, key: str, n: int) -> float:
    """One more live run (a new task of ``n`` lines, one watcher): events/s."""
    async with monstrum.AsyncClient(api_key=key, api_base=url) as c:
        bot = await c.bots.create(name="stream-bench-pair")
        text = "\n".join(f"say {i}" for i in range(n))
        started = time.perf_counter()
        task = await c.tasks.create(bot_id=bot.id, input=text)
        got = await follow(c, task.id, after=0)
        assert got == n + 2, got
        return got / (time.perf_counter() - started)


async def run(url: str, key: str, n: int, watchers: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"events_per_task": n + 2}
    async with monstrum.AsyncClient(api_key=key, api_base=url) as c:
        bot = await c.bots.create(name="stream-bench")
        text = "\n".join(f"say {i}" for i in range(n))  # the input is capped at 200,000

        started = time.perf_counter()
        task = await c.tasks.create(bot_id=bot.id, input=text)
        got = await follow(c, task.id, after=0)
        live_s = time.perf_counter() - started
        assert got == n + 2, got
        figures["live"] = {"seconds": round(live_s, 3), "events_per_s": round(got / live_s)}

        started = time.perf_counter()
        task = await c.tasks.create(bot_id=bot.id, input=text)
        counts = await asyncio.gather(*(follow(c, task.id, after=0) for _ in range(watchers)))
        fan_s = time.perf_counter() - started
        assert all(x == n + 2 for x in counts), counts
        figures["live_fanout"] = {
            "watchers": watchers, "seconds": round(fan_s, 3),
            "events_per_s_per_watcher": round((n + 2) / fan_s),
            "events_per_s_delivered": round(sum(counts) / fan_s),
        }

        started = time.perf_counter()
        replayed: list[Any] = []
        got = await follow(c, task.id, keep=replayed)
        replay_s = time.perf_counter() - started
        figures["replay"] = {"seconds": round(replay_s, 3), "events_per_s": round(got / replay_s)}
    figures["_events"] = replayed
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--watchers", type=int, default=4)
    parser.add_argument("--ref-runs", type=int, default=3,
                        help="reads of the reference stream (the median is taken)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="then this many (reference read, live run) pairs, back to back")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(data_dir=Path(tmp) / "data",
                               extra_args=["--rate-limit", "0"]).start()
        try:
            figures = asyncio.run(run(server.url, server.admin_key, args.events, args.watchers))
            events = figures.pop("_events")
            with reference_app(events, Path(tmp)) as ref_url:
                figures["reference"] = reference(ref_url, len(events), args.ref_runs)
                # on a shared machine the load swings between runs minutes apart: each
                # pair reads the reference and runs live again within seconds
                pairs = []
                for _ in range(args.pairs):
                    ref_rate = reference(ref_url, len(events), 1)["events_per_s"]
                    live_rate = asyncio.run(live_once(server.url, server.admin_key,
                                                      args.events))
                    pairs.append({"reference": ref_rate, "live": round(live_rate),
                                  "ratio": round(live_rate / ref_rate, 3)})
                figures["pairs"] = pairs
        finally:
            server.stop()
    live, fan, replay = figures["live"], figures["live_fanout"], figures["replay"]
    ref = figures["reference"]["events_per_s"]
    figures["ratio_live_over_reference"] = round(live["events_per_s"] / ref, 3)
    figures["ratio_replay_over_reference"] = round(replay["events_per_s"] / ref, 3)
    print(f"{'path':34} {'events/s':>9} {'/ reference':>11}")
    print(f"{'live, 1 watcher':34} {live['events_per_s']:>9,} "
          f"{figures['ratio_live_over_reference']:>10.2f}x   "
          f"({figures['events_per_task']:,} events in {live['seconds']} s)")
    fan_label = f"live, {fan['watchers']} watchers (each)"
    print(f"{fan_label:34} "
          f"{fan['events_per_s_per_watcher']:>9,} "
          f"{fan['events_per_s_per_watcher'] / ref:>10.2f}x   "
          f"({fan['events_per_s_delivered']:,} delivered/s)")
    print(f"{'replay (finished task)':34} {replay['events_per_s']:>9,} "
          f"{figures['ratio_replay_over_reference']:>10.2f}x")
    print(f"{'reference: bare FastAPI + httpx':34} {ref:>9,} {1:>10.2f}x   "
          f"(median of {figures['reference']['runs']}: "
          f"{figures['reference']['events_per_s_all']})")
    if figures["pairs"]:
        ratios = [pair["ratio"] for pair in figures["pairs"]]
        figures["ratio_live_paired_median"] = round(statistics.median(ratios), 3)
        print(f"{'live / reference, read in pairs':34} "
              f"{'':>9} {figures['ratio_live_paired_median']:>10.2f}x   (pairs: "
              + ", ".join(f"{p['live']:,}/{p['reference']:,}" for p in figures["pairs"]) + ")")
    print("aim (issue 11): live >= 0.6x the reference")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
