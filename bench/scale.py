"""Scale-out bench: tool calls/s and ``/v1/bots`` latency under load, by store and processes.

    .venv/bin/python bench/scale.py [--tasks 50] [--calls 50] [--watchers 20]
                                    [--procs 1,2,4] [--no-postgres] [--no-sqlite]

For each configuration (SQLite with one process; PostgreSQL with 1, 2 and 4 server
processes on one database, started by ``scripts/pg.sh``), real ``monstrum serve``
processes are started and:

- ``--tasks`` scripted tasks of ``--calls`` allowed filesystem reads each are submitted
  at once, spread over the processes (any process may claim any task);
- ``--watchers`` SSE clients follow tasks to their end, each through a process other
  than the one it submitted the task to (events cross processes);
- one client asks ``GET /v1/bots`` back to back, and another pages the audit log
  (``GET /v1/audit?limit=50``), spread over the processes, until every task ended.

Reported: allowed tool calls per second (calls over the time from the first submit to
the last task's end, every task checked ``completed`` with all its calls audited as
``success``), the ``/v1/bots`` and audit-page p50/p99 under that load, and events the
watchers received. The machine may be shared: compare rows of one run, not runs.

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.databases import fresh_postgres_database  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

TERMINAL = ("completed", "failed", "cancelled")


def pct(samples: list[float], q: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2)


def start_cluster(folder: Path, url: str | None, procs: int, tasks: int) -> list[ServerProcess]:
    """``procs`` servers on one database (one data dir: they share its keys)."""
    data_dir = folder / "data"
    args = ["--rate-limit", "0", "--max-running-tasks", str(tasks),
            "--max-running-per-bot", str(tasks)]
    servers = [ServerProcess(data_dir=data_dir, database_url=url, extra_args=list(args))
               for _ in range(procs)]
    servers[0].start(timeout=90)  # the first makes the schema and the keys
    for s in servers[1:]:
        s.start(timeout=90)
    return servers


def make_workspace(server: ServerProcess, folder: Path) -> str:
    """A filesystem resource on a folder with one file, and a bot allowed to read it."""
    files = folder / "files"
    files.mkdir(exist_ok=True)
    (files / "README.md").write_text("# bench\n" * 20)
    with httpx.Client(base_url=server.url, timeout=30,
                      headers={"Authorization": f"Bearer {server.admin_key}"}) as c:
        r = c.post("/v1/resources", json={"type": "filesystem", "name": "bench files",
                                          "config": {"root": str(files)}})
        r.raise_for_status()
        resource_id = r.json()["id"]
        r = c.post("/v1/bots", json={
            "name": "scale-bench", "model": "scripted", "allowed_operations": ["files.read"],
            "resource_bindings": [{"resource_id": resource_id, "allowed_tools": ["read_file"],
                                   "scope_constraints": {"paths": ["*.md"]}}],
        })
        r.raise_for_status()
        return str(r.json()["id"])


async def _watch(client: httpx.AsyncClient, task_id: str) -> int:
    """Follow one task's events to its end; how many arrived."""
    seen = 0
    async with client.stream("GET", f"/v1/tasks/{task_id}/events",
                             timeout=httpx.Timeout(600, read=600)) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                seen += 1
                if json.loads(line[6:]).get("status") in TERMINAL:
                    break
    return seen


async def _probe(clients: list[httpx.AsyncClient], path: str, stop: asyncio.Event
                 ) -> list[float]:
    """``path`` asked back to back, round-robin over the servers, until ``stop``."""
    samples: list[float] = []
    i = 0
    while not stop.is_set():
        t0 = time.perf_counter()
        r = await clients[i % len(clients)].get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        i += 1
    return samples


async def _load(servers: list[ServerProcess], bot_id: str, tasks: int, calls: int,
                watchers: int) -> dict[str, Any]:
    key = servers[0].admin_key
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    clients = [httpx.AsyncClient(base_url=s.url, headers=headers, timeout=120, limits=limits)
               for s in servers]
    script = "\n".join(['call read_file {"path": "README.md"}'] * calls)
    try:
        # warm each server's path once (imports, the first connection)
        for c in clients:
            (await c.get("/v1/bots")).raise_for_status()
        stop = asyncio.Event()
        probes = [asyncio.create_task(_probe(clients, "/v1/bots?limit=100", stop)),
                  asyncio.create_task(_probe(clients, "/v1/audit?limit=50", stop))]
        t0 = time.perf_counter()
        created = await asyncio.gather(*(
            clients[i % len(clients)].post("/v1/tasks", json={"bot_id": bot_id,
                                                              "input": script})
            for i in range(tasks)
        ))
        ids = []
        for r in created:
            r.raise_for_status()
            ids.append(r.json()["id"])
        watching = [asyncio.create_task(_watch(clients[(i + 1) % len(clients)], ids[i]))
                    for i in range(min(watchers, tasks))]
        finished: dict[str, dict[str, Any]] = {}
        while len(finished) < len(ids):
            for task_id in ids:
                if task_id in finished:
                    continue
                r = await clients[0].get(f"/v1/tasks/{task_id}")
                body = r.json()
                if body["status"] in TERMINAL:
                    finished[task_id] = body
            if len(finished) < len(ids):
                await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - t0
        stop.set()
        bots_ms, audit_ms = await asyncio.gather(*probes)
        events = await asyncio.gather(*watching)
        bad = {t: b["status"] for t, b in finished.items() if b["status"] != "completed"}
        if bad:
            raise RuntimeError(f"tasks did not complete: {bad}")
        # every call audited as an allowed, successful read
        audited = 0
        for task_id in ids:
            cursor: str | None = None
            while True:
                params: dict[str, Any] = {"task_id": task_id, "limit": 500}
                if cursor:
                    params["cursor"] = cursor
                page = (await clients[0].get("/v1/audit", params=params)).json()
                audited += sum(1 for e in page["data"] if e["status"] == "success")
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        if audited != tasks * calls:
            raise RuntimeError(f"{audited} successful audit entries, expected {tasks * calls}")
        return {
            "calls": tasks * calls, "seconds": round(elapsed, 2),
            "calls_per_s": round(tasks * calls / elapsed, 1),
            "bots_requests": len(bots_ms), "bots_p50_ms": pct(bots_ms, 0.5),
            "bots_p99_ms": pct(bots_ms, 0.99),
            "audit_requests": len(audit_ms), "audit_p50_ms": pct(audit_ms, 0.5),
            "audit_p99_ms": pct(audit_ms, 0.99),
            "watched_events": sum(events), "watchers": len(events),
        }
    finally:
        for c in clients:
            await c.aclose()


def run_config(store: str, url: str | None, procs: int, args: argparse.Namespace
               ) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"monstrum-scale-{store}{procs}-"))
    servers: list[ServerProcess] = []
    try:
        servers = start_cluster(folder, url, procs, args.tasks)
        bot_id = make_workspace(servers[0], folder)
        figures = asyncio.run(_load(servers, bot_id, args.tasks, args.calls, args.watchers))
        return {"store": store, "processes": procs, **figures}
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(folder, ignore_errors=True)


def start_postgres(folder: Path) -> str | None:
    r = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start", str(folder)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"no PostgreSQL ({r.stderr.strip()}): PostgreSQL rows skipped", file=sys.stderr)
        return None
    return r.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50, help="concurrent tasks")
    parser.add_argument("--calls", type=int, default=50, help="allowed tool calls per task")
    parser.add_argument("--watchers", type=int, default=20, help="SSE clients following tasks")
    parser.add_argument("--procs", default="1,2,4", help="PostgreSQL server process counts")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if args.calls > 100:
        parser.error("--calls is at most 100 (the servers' default step limit)")
    rows: list[dict[str, Any]] = []
    if not args.no_sqlite:
        rows.append(run_config("sqlite", None, 1, args))
    if not args.no_postgres:
        pg_dir = Path(tempfile.mkdtemp(prefix="monstrum-scale-pg-"))
        server_url = start_postgres(pg_dir)
        try:
            if server_url:
                for procs in (int(p) for p in args.procs.split(",") if p.strip()):
                    rows.append(run_config("postgresql", fresh_postgres_database(server_url),
                                           procs, args))
        finally:
            if server_url:
                subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop", str(pg_dir)],
                               capture_output=True)
            shutil.rmtree(pg_dir, ignore_errors=True)
    print(f"\n{args.tasks} tasks x {args.calls} allowed calls, {args.watchers} SSE watchers, "
          f"/v1/bots and audit pages asked back to back (cpus: {os.cpu_count()})")
    head = (f"{'store':11} {'procs':>5} {'calls/s':>8} {'secs':>6} {'bots p50':>9} "
            f"{'bots p99':>9} {'audit p99':>10} {'events':>7}")
    print(head)
    for r in rows:
        print(f"{r['store']:11} {r['processes']:>5} {r['calls_per_s']:>8} {r['seconds']:>6} "
              f"{r['bots_p50_ms']!s:>9} {r['bots_p99_ms']!s:>9} {r['audit_p99_ms']!s:>10} "
              f"{r['watched_events']:>7}")
    print(json.dumps({"tasks": args.tasks, "calls_per_task": args.calls,
                      "watchers": args.watchers, "aim_calls_per_s": 400,
                      "aim_bots_p99_ms": 150, "rows": rows}))


if __name__ == "__main__":
    main()
