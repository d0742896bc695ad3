"""Time from launching the dashboard to the Bots table painted, with 1,000 bots on the server.

    .venv/bin/python bench/startup.py [--bots 1000] [--runs 5]

Two measurements, median of ``--runs`` each:

* ``cold``: the real ``monstrum-tui`` command started in a pseudo-terminal
  (80x24), pointed at the server through MONSTRUM_API_BASE/MONSTRUM_API_KEY;
  the clock runs from ``exec`` until the terminal output contains the first
  row (a bot's name), and until the status line reads ``1000 bots`` with no
  ``loading…`` (every page loaded). This includes interpreter start-up,
  imports, Textual's set-up and the HTTP calls: what a user waits for.
* ``warm``: ``MonstrumApp`` constructed and run headless with ``run_test`` in
  this process (imports already done), until the table holds its first rows
  and then all of them.

Prints the figures, then one JSON line.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import monstrum  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

NAME_PREFIX = "startup-bench-"


def seed(server: ServerProcess, count: int) -> None:
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as client:
        def make(i: int) -> None:
            client.bots.create(name=f"{NAME_PREFIX}{i:04d}", model="scripted",
                               allowed_operations=["files.read"])

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(make, range(count)))


def cold_run(server: ServerProcess, count: int, home: Path) -> tuple[float, float]:
    """Seconds until the first row, and until every bot is loaded, in a real terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {
        **os.environ, "HOME": str(home), "TERM": "xterm-256color",
        "MONSTRUM_CONFIG": str(home / "none.toml"),
        "MONSTRUM_API_BASE": server.url, "MONSTRUM_API_KEY": server.admin_key,
    }
    env.pop("NO_COLOR", None)
    exe = str(Path(sys.executable).parent / "monstrum-tui")
    started = time.perf_counter()
    proc = subprocess.Popen([exe], stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    output = b""
    first = done = None
    # the status line once every page is in: the total, not followed by "· loading…"
    done_marker = re.compile(f"{count} bots(?! · loading)".encode())
    deadline = started + 60
    try:
        while time.perf_counter() < deadline and done is None:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                break
            output += chunk
            now = time.perf_counter()
            if first is None and NAME_PREFIX.encode() in output:
                first = now - started
            # the status line is rewritten as pages arrive; done once it shows the total
            tail = output[-4096:]
            if first is not None and done_marker.search(tail):
                done = now - started
    finally:
        os.write(master, b"q")
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(master)
    if first is None or done is None:
        raise RuntimeError("the dashboard did not paint the bots within 60s")
    return first, done


async def warm_run(server: ServerProcess, count: int) -> tuple[float, float]:
    from textual.widgets import DataTable

    from monstrum_tui.ui.app import MonstrumApp

    started = time.perf_counter()
    app = MonstrumApp(api_base=server.url, api_key=server.admin_key, watch_terminal=False)
    first = done = None
    async with app.run_test(size=(80, 24)) as pilot:
        while done is None:
            table = app.screen.query_one(DataTable)
            now = time.perf_counter()
            if first is None and table.row_count:
                first = now - started
            if table.row_count >= count:
                done = now - started
            await pilot.pause(0.005)
            if now - started > 60:
                raise RuntimeError("headless run did not load the bots within 60s")
    return first, done  # type: ignore[return-value]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="dashboard start-up time with many bots")
    parser.add_argument("--bots", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="monstrum-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["MONSTRUM_CONFIG"] = str(home / "none.toml")
        server = ServerProcess(data_dir=Path(tmp) / "data", extra_args=["--rate-limit", "0"])
        server.start()
        try:
            t0 = time.perf_counter()
            seed(server, args.bots)
            print(f"seeded {args.bots} bots in {time.perf_counter() - t0:.1f}s")
            cold_first, cold_all, warm_first, warm_all = [], [], [], []
            cold_run(server, args.bots, home)  # warm the OS file cache once, not counted
            for i in range(args.runs):
                first, done = cold_run(server, args.bots, home)
                cold_first.append(first)
                cold_all.append(done)
                wfirst, wdone = asyncio.run(warm_run(server, args.bots))
                warm_first.append(wfirst)
                warm_all.append(wdone)
                print(f"run {i + 1}: cold first rows {first:.3f}s, all {done:.3f}s | "
                      f"warm first rows {wfirst:.3f}s, all {wdone:.3f}s")
        finally:
            server.stop()
    result = {
        "bench": "startup",
        "bots": args.bots,
        "runs": args.runs,
        "cold_first_rows_s": round(statistics.median(cold_first), 3),
        "cold_all_loaded_s": round(statistics.median(cold_all), 3),
        "warm_first_rows_s": round(statistics.median(warm_first), 3),
        "warm_all_loaded_s": round(statistics.median(warm_all), 3),
        "target_s": 1.0,
    }
    print(f"median: launch -> first rows painted {result['cold_first_rows_s']:.3f}s "
          f"(all {args.bots} loaded {result['cold_all_loaded_s']:.3f}s); in-process "
          f"{result['warm_first_rows_s']:.3f}s / {result['warm_all_loaded_s']:.3f}s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
