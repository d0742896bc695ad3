"""What a user waits for: ``monstrum-tui`` launched to its Bots table painted, 1,000 bots.

    .venv/bin/python bench/startup.py [--bots 1000] [--runs 3] [--size 120x36]

The real ``monstrum-tui`` command, on its default path (nothing configured: the local
platform of a data dir), runs in a real terminal: a tmux window of ``--size``. The clock
runs from asking tmux for the window until the terminal shows the first bot row, and
until the status line reads ``1000 bots`` with nothing loading. Two cases:

* ``warm``: the local platform is already running (the bench holds it up);
* ``cold``: it is not, so the dashboard starts it (the bench lets it stop between runs).

Beside them, in the same run and the same terminal, the reference: a minimal Textual app
whose DataTable gets 1,000 rows on mount. It prints the medians, the ratios to the
reference, and the RSS of the UI process once painted (the platform's own process is
not counted), then one JSON line. The machine's other load moves all the figures
together; read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monstrum_tui.client.sync_client import Client  # noqa: E402
from monstrum_tui.server.embedded import (  # noqa: E402
    EmbeddedPlatform,
    pid_alive,
    read_presence,
    start_embedded_platform,
)

NAME_PREFIX = "startup-bench-"
TMUX_SOCKET = f"monstrum-bench-{os.getpid()}"

MINIMAL_APP = '''
from textual.app import App
from textual.widgets import DataTable, Footer, Header, Label

class Minimal(App):
    def compose(self):
        yield Header()
        yield Label("", id="status")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        for label in ("name", "id", "model", "status", "binds", "created"):
            table.add_column(label)
        table.add_rows((f"minimal-row-{i:04d}", f"bot_{i:020d}", "scripted", "active", 1,
                        "2025-01-01") for i in range(1000))
        self.query_one("#status", Label).update(f"{table.row_count} rows")

Minimal().run()
'''


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", TMUX_SOCKET, *args], check=True,
                          capture_output=True, text=True).stdout


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def launch(command: list[str], env: dict[str, str], first: Callable[[str], bool],
           done: Callable[[str], bool], size: tuple[int, int]) -> tuple[float, float, float]:
    """Seconds to ``first`` and to ``done`` on the terminal, and the process's RSS then."""
    envs = [f"{k}={v}" for k, v in env.items()]
    started = time.perf_counter()
    pane_pid = int(tmux("new-window", "-d", "-P", "-F", "#{pane_pid}", "env", *envs,
                        *command).strip())
    t_first = t_done = None
    deadline = started + 60
    try:
        while time.perf_counter() < deadline:
            screen = tmux("capture-pane", "-p", "-t", f"%{_pane_of(pane_pid)}")
            now = time.perf_counter()
            if t_first is None and first(screen):
                t_first = now - started
            if t_first is not None and done(screen):
                t_done = now - started
                break
            time.sleep(0.01)
        if t_first is None or t_done is None:
            raise RuntimeError(f"{command[0]} did not paint within 60s:\n{screen}")
        time.sleep(0.3)  # let it settle before reading its memory
        rss = rss_mb(pane_pid)
    finally:
        _quit(pane_pid)
    return t_first, t_done, rss


_PANES: dict[int, str] = {}


def _pane_of(pane_pid: int) -> str:
    if pane_pid not in _PANES:
        for line in tmux("list-panes", "-a", "-F", "#{pane_pid} #{pane_id}").splitlines():
            pid, pane = line.split()
            _PANES[int(pid)] = pane.lstrip("%")
    return _PANES[pane_pid]


def _quit(pane_pid: int) -> None:
    target = f"%{_pane_of(pane_pid)}"
    for key in ("q", "q", "C-c"):
        if not pid_alive(pane_pid):
            break
        subprocess.run(["tmux", "-L", TMUX_SOCKET, "send-keys", "-t", target, key],
                       capture_output=True)
        for _ in range(30):
            if not pid_alive(pane_pid):
                break
            time.sleep(0.05)
    if pid_alive(pane_pid):
        os.kill(pane_pid, 9)


def seed(platform: EmbeddedPlatform, count: int) -> None:
    with Client(settings=platform.client_settings()) as client:
        have = {b.name for b in client.bots.list(page_size=200)}

        def make(i: int) -> None:
            name = f"{NAME_PREFIX}{i:04d}"
            if name not in have:
                client.bots.create(name=name, model="scripted",
                                   allowed_operations=["files.read"])

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(make, range(count - len(have))))


def wait_stopped(data_dir: Path, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        presence = read_presence(data_dir)
        if presence is None or not pid_alive(presence["pid"]):
            return
        time.sleep(0.05)
    raise RuntimeError("the local platform did not stop after the dashboard quit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="120x36")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench/startup.py needs tmux (apt-get install tmux)")
    cols, rows = (int(n) for n in args.size.split("x"))
    exe = str(Path(sys.executable).parent / "monstrum-tui")
    status = re.compile(rf"^\s*{args.bots} bots\s*$", re.M)  # no "· loading…" after it
    results: dict[str, list[tuple[float, float, float]]] = {"minimal": [], "warm": [],
                                                           "cold": []}
    with tempfile.TemporaryDirectory(prefix="monstrum-bench-") as tmp:
        home, data_dir = Path(tmp) / "home", Path(tmp) / "data"
        home.mkdir()
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL_APP)
        env = {"HOME": str(home), "TERM": "xterm-256color", "MONSTRUM_DATA_DIR": str(data_dir),
               "MONSTRUM_LOCAL_IDLE_EXIT": "0.5", "PATH": os.environ.get("PATH", "")}
        for name in ("MONSTRUM_API_BASE", "MONSTRUM_API_KEY", "MONSTRUM_PROFILE",
                     "MONSTRUM_CONFIG", "NO_COLOR"):
            os.environ.pop(name, None)
        os.environ.update(HOME=str(home), MONSTRUM_LOCAL_IDLE_EXIT="0.5")
        tmux("new-session", "-d", "-s", "bench", "-x", str(cols), "-y", str(rows))
        try:
            t0 = time.perf_counter()
            platform = start_embedded_platform(data_dir)
            seed(platform, args.bots + 5)  # the demo's 5 bots and ours
            print(f"seeded {args.bots} bots in {time.perf_counter() - t0:.1f}s")
            total = args.bots + 5
            status = re.compile(rf"^\s*{total} bots\s*$", re.M)

            def ours_first(s: str) -> bool:
                return NAME_PREFIX in s or "release-notes" in s

            def ours_done(s: str) -> bool:
                return bool(status.search(s)) and ours_first(s)

            def minimal_first(s: str) -> bool:
                return "minimal-row-0000" in s

            def minimal_done(s: str) -> bool:
                return "1000 rows" in s and minimal_first(s)

            # once each, not counted: the OS file cache
            launch([sys.executable, str(minimal)], env, minimal_first, minimal_done,
                   (cols, rows))
            launch([exe], env, ours_first, ours_done, (cols, rows))
            for i in range(args.runs):
                results["minimal"].append(launch([sys.executable, str(minimal)], env,
                                                 minimal_first, minimal_done, (cols, rows)))
                results["warm"].append(launch([exe], env, ours_first, ours_done,
                                              (cols, rows)))
                platform.detach()
                wait_stopped(data_dir)
                results["cold"].append(launch([exe], env, ours_first, ours_done,
                                              (cols, rows)))
                wait_stopped(data_dir)
                platform = start_embedded_platform(data_dir)
                line = " | ".join(f"{k} {v[-1][1]:.2f}s" for k, v in results.items())
                print(f"run {i + 1}: {line}", flush=True)
            platform.detach()
            wait_stopped(data_dir)  # a platform whose data dir is deleted never leaves
        finally:
            subprocess.run(["tmux", "-L", TMUX_SOCKET, "kill-server"], capture_output=True)

    def med(case: str, index: int) -> float:
        return round(statistics.median(r[index] for r in results[case]), 3)

    ref = med("minimal", 1)
    result = {
        "bench": "startup", "bots": args.bots, "runs": args.runs, "terminal": args.size,
        "minimal_painted_s": ref, "minimal_rss_mb": round(med("minimal", 2), 1),
        "warm_first_rows_s": med("warm", 0), "warm_painted_s": med("warm", 1),
        "cold_first_rows_s": med("cold", 0), "cold_painted_s": med("cold", 1),
        "ui_rss_mb": round(med("warm", 2), 1),
        "warm_ratio": round(med("warm", 1) / ref, 2),
        "cold_ratio": round(med("cold", 1) / ref, 2),
        "aim": {"warm_ratio": 1.2, "cold_ratio": 2.0, "ui_rss_mb": 55},
    }
    print(f"{'case':<10} {'first rows':>11} {'painted':>9} {'ratio':>7} {'RSS MB':>8}")
    print(f"{'minimal':<10} {'':>11} {ref:>8.3f}s {1:>7.2f} {result['minimal_rss_mb']:>8.1f}")
    for case in ("warm", "cold"):
        print(f"{case:<10} {med(case, 0):>10.3f}s {med(case, 1):>8.3f}s "
              f"{med(case, 1) / ref:>7.2f} {med(case, 2):>8.1f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
