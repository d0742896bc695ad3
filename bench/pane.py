"""A task pane in a real terminal, fed by the server's SSE through the SDK's parsing.

    .venv/bin/python bench/pane.py [--events 19000] [--idle 10] [--size 120x36]

A real server (child process) runs scripted tasks. The dashboard (the real
``MonstrumApp``, run by ``bench/pane_harness.py`` with its real terminal driver) runs
in a pseudo-terminal of ``--size``, opens a pane on a task from the Tasks screen, and
the bench reads every byte it writes to the terminal. The harness only adds probes:
it records when a key's action ran and when each batch was drawn.

* absorb: a finished task of ``--events`` ``say`` lines is replayed into the pane as
  fast as server -> SSE -> SDK delivers it; the bench presses ``j`` every 20 ms
  meanwhile and times each key from its byte written to the terminal until the log's
  action ran. Beside it, the reference: the same stream through the same SDK into a
  Textual ``Log``, batched (``write_lines`` per 50 ms tick), in the same terminal.
* idle: bytes per second the dashboard writes while idle on the Tasks screen with that
  pane open (``tail -f`` writes 0).
* streamed: a task that says one line ~15 times a second; bytes written per event, and
  that over the event's text (``tail -f`` writes each line once: 1x). ``--by-widget``
  also prints which widgets' screen regions those bytes went to.

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monstrum_tui.client.sync_client import Client  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

HARNESS = Path(__file__).with_name("pane_harness.py")
KEY_EVERY = 0.02
STREAM_RATE = 15.0
STREAM_EVENTS = 150
STREAM_TEXT = "streamed event number {i:04d} of the bench"


class Terminal:
    """A child in a pseudo-terminal; every byte it writes is counted (and kept a while)."""

    def __init__(self, argv: list[str], size: tuple[int, int], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.total = 0
        self.tail = b""

    def pump(self, seconds: float) -> None:
        """Read what the child writes for ``seconds``."""
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.01))
            if ready:
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:
                    return
                self.total += len(chunk)
                self.tail = (self.tail + chunk)[-65536:]

    def press(self, key: bytes) -> float:
        sent = time.perf_counter()
        os.write(self.master, key)
        return sent

    def close(self) -> None:
        try:
            self.proc.terminate()
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def read_probe(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_probe(term: Terminal, path: Path, kind: str, count: int, limit: float) -> list[Any]:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        term.pump(0.05)
        found = [p for p in read_probe(path) if p["kind"] == kind]
        if len(found) >= count:
            return found
    raise RuntimeError(f"no {kind!r} probe within {limit}s; the terminal shows:\n"
                       f"{term.tail[-3000:].decode(errors='replace')}")


def absorb(mode: str, server: ServerProcess, task_id: str, events: int, tmp: Path,
           size: tuple[int, int], env: dict[str, str], idle_s: float) -> dict[str, Any]:
    probe = tmp / f"probe-{mode}.jsonl"
    probe.unlink(missing_ok=True)
    term = Terminal([sys.executable, str(HARNESS), mode, server.url, task_id, str(probe)],
                    size, {**env, "MONSTRUM_API_KEY": server.admin_key})
    try:
        wait_probe(term, probe, "ready", 1, 60)
        sent: list[float] = []
        start = time.perf_counter()
        done = False
        while time.perf_counter() - start < 120 and not done:
            sent.append(term.press(b"j"))
            term.pump(KEY_EVERY)
            drawn = [p for p in read_probe(probe) if p["kind"] == "drawn"]
            done = bool(drawn) and drawn[-1]["total"] >= events
        term.pump(0.5)
        probes = read_probe(probe)
        drawn = [p for p in probes if p["kind"] == "drawn"]
        keys = [p["t"] for p in probes if p["kind"] == "key"]
        if not drawn or drawn[-1]["total"] < events:
            raise RuntimeError(f"{mode}: only {drawn[-1]['total'] if drawn else 0} drawn")
        first_t, last_t = drawn[0]["t"], drawn[-1]["t"]
        rate = (drawn[-1]["total"] - drawn[0]["batch"]) / max(1e-6, last_t - first_t)
        # the keys pressed while events were drawn, each matched to its handling
        pairs = zip(sent, keys, strict=False)
        latencies = sorted((handled - pressed) * 1000 for pressed, handled in pairs
                           if first_t <= pressed <= last_t)
        result: dict[str, Any] = {
            "events_per_s": round(rate), "events": drawn[-1]["total"],
            "key_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "key_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1)
            if len(latencies) >= 2 else None,
            "keys_timed": len(latencies), "keys_lost": len(sent) - len(keys),
        }
        if mode == "pane":
            term.pump(1.0)  # settle: the table's poll, the pane's last state
            before = term.total
            term.pump(idle_s)
            result["idle_bytes_per_s"] = round((term.total - before) / idle_s)
        return result
    finally:
        term.close()


def streamed(server: ServerProcess, client: Client, bot_id: str, tmp: Path,
             size: tuple[int, int], env: dict[str, str], idle_per_s: float) -> dict[str, Any]:
    lines = []
    for i in range(STREAM_EVENTS):
        lines += [f"say {STREAM_TEXT.format(i=i)}", f"wait {1 / STREAM_RATE:.3f}"]
    probe = tmp / "probe-stream.jsonl"
    # the pane opens on the task before it says anything (the harness opens it once the
    # dashboard has settled): a wait first; bytes count from the first event drawn
    task = client.tasks.create(bot_id=bot_id, input="wait 10\n" + "\n".join(lines))
    term = Terminal([sys.executable, str(HARNESS), "pane", server.url, task.id, str(probe)],
                    size, {**env, "MONSTRUM_API_KEY": server.admin_key})
    try:
        wait_probe(term, probe, "ready", 1, 60)
        wait_probe(term, probe, "drawn", 1, 30)
        term.pump(0.5)  # the frame of what was drawn first (the "started" line) goes out
        drawn = [p for p in read_probe(probe) if p["kind"] == "drawn"]
        start_bytes, start_t = term.total, time.perf_counter()
        drawn_t = drawn[-1]["t"] + 0.5
        first_total = drawn[-1]["total"]
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            term.pump(0.2)
            drawn = [p for p in read_probe(probe) if p["kind"] == "drawn"]
            if drawn[-1]["total"] >= STREAM_EVENTS + 2:
                break
        elapsed = time.perf_counter() - start_t
        written = term.total - start_bytes
        count = drawn[-1]["total"] - first_total
        by_widget: Counter[str] = Counter()
        for p in read_probe(probe):
            if p["kind"] == "writes" and p["t"] >= drawn_t:
                by_widget.update(p["by_widget"])
    finally:
        term.close()
    if count < STREAM_EVENTS // 2:
        raise RuntimeError(f"streamed: only {count} events drawn after the pane settled (the "
                           "dashboard took longer than the task's first wait: a loaded machine)")
    text_len = len(STREAM_TEXT.format(i=0)) + 1
    per_event = written / max(1, count)
    # what the idle screen would have written anyway, over the same time
    beyond_idle = max(0.0, written - idle_per_s * elapsed) / max(1, count)
    return {"events": count, "seconds": round(elapsed, 2),
            "events_per_s": round(count / elapsed, 1),
            "bytes_per_event": round(per_event), "text_bytes": text_len,
            "times_text": round(per_event / text_len, 1),
            "beyond_idle_bytes_per_event": round(beyond_idle),
            "beyond_idle_times_text": round(beyond_idle / text_len, 1),
            "by_widget_bytes_per_event": {name: round(n / max(1, count))
                                          for name, n in by_widget.most_common()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=19_000)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--size", default="120x36")
    parser.add_argument("--by-widget", action="store_true",
                        help="split the streamed bytes by the widget they were drawn for")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.split("x"))
    size = (cols, rows)
    env = {"PATH": os.environ.get("PATH", ""), "TERM": "xterm-256color",
           "MONSTRUM_LOCAL_IDLE_EXIT": "1"}
    if args.by_widget:
        env["PANE_WRITES"] = "1"
    with tempfile.TemporaryDirectory(prefix="monstrum-pane-bench-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "home").mkdir()
        env["HOME"] = str(tmp / "home")
        env["MONSTRUM_CONFIG"] = str(tmp / "home" / "none.toml")
        server = ServerProcess(data_dir=tmp / "data", extra_args=["--rate-limit", "0"]).start()
        try:
            with Client(api_key=server.admin_key, api_base=server.url) as client:
                bot = client.bots.create(name="pane-bench", model="scripted")
                text = "\n".join(f"say {i}" for i in range(args.events - 2))
                task = client.tasks.create(bot_id=bot.id, input=text)
                while client.tasks.get(task.id).status not in ("completed", "failed"):
                    time.sleep(0.2)
                log = absorb("log", server, task.id, args.events, tmp, size, env, 0)
                pane = absorb("pane", server, task.id, args.events, tmp, size, env,
                              args.idle)
                stream = streamed(server, client, bot.id, tmp, size, env,
                                  pane["idle_bytes_per_s"])
        finally:
            server.stop()
    ratio = round(pane["events_per_s"] / log["events_per_s"], 2)
    print(f"{'absorb (replay via SSE+SDK)':<30} {'events/s':>9} {'key p50':>8} {'key p95':>8}")
    for name, r in (("TaskPane", pane), ("Textual Log, batched", log)):
        print(f"{name:<30} {r['events_per_s']:>9,} {r['key_p50_ms']!s:>6}ms "
              f"{r['key_p95_ms']!s:>6}ms")
    print(f"pane / Log: {ratio}x")
    print(f"idle on Tasks with a pane: {pane['idle_bytes_per_s']} B/s (aim <= 200; tail -f 0)")
    print(f"streamed at {stream['events_per_s']}/s: {stream['bytes_per_event']} B/event = "
          f"{stream['times_text']}x the text ({stream['beyond_idle_times_text']}x beyond the "
          f"idle writes; aim <= 8x; tail -f 1x)")
    for name, n in stream["by_widget_bytes_per_event"].items():
        print(f"  {n:>6} B/event to {name}")
    print(json.dumps({"bench": "pane", "terminal": args.size, "absorb_pane": pane,
                      "absorb_log": log, "pane_over_log": ratio, "streamed": stream,
                      "aim": {"idle_bytes_per_s": 200, "times_text": 8, "pane_over_log": 1}}))


if __name__ == "__main__":
    main()
