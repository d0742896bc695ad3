"""Event stream bench: events per second from the runner, through SSE, into the SDK.

    .venv/bin/python bench/stream.py [--events 20000] [--watchers 4]

A real server (child process) runs a scripted task of N ``say`` lines: each is one
``message`` event, stored and fanned out live. Measured:
- live: from task creation to the SDK receiving the ``complete`` event, one watcher;
- live_fanout: the same with several watchers following one task at once;
- replay: re-reading a finished task's stream (store -> SSE -> SDK).
Prints figures and a final JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import monstrum
from tests.serverproc import ServerProcess


async def follow(client: monstrum.AsyncClient, task_id: str, after: int | None = None) -> int:
    count = 0
    async for _ in client.tasks.events(task_id=task_id, after=after):
        count += 1
    return count


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
        got = await follow(c, task.id)
        replay_s = time.perf_counter() - started
        figures["replay"] = {"seconds": round(replay_s, 3), "events_per_s": round(got / replay_s)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--watchers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(data_dir=Path(tmp) / "data",
                               extra_args=["--rate-limit", "0"]).start()
        try:
            figures = asyncio.run(run(server.url, server.admin_key, args.events, args.watchers))
        finally:
            server.stop()
    live, fan, replay = figures["live"], figures["live_fanout"], figures["replay"]
    print(f"live (1 watcher):     {live['events_per_s']:>8,} events/s "
          f"({figures['events_per_task']:,} events in {live['seconds']} s)")
    print(f"live ({fan['watchers']} watchers):    {fan['events_per_s_per_watcher']:>8,} "
          f"events/s each, {fan['events_per_s_delivered']:,} delivered/s")
    print(f"replay (finished):    {replay['events_per_s']:>8,} events/s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
