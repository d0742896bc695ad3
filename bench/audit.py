"""Audit log bench: seed chained entries the runner's way, then time filtered and deep pages.

    .venv/bin/python bench/audit.py [--entries 20000] [--data-dir DIR] [--reuse]
    .venv/bin/python bench/audit.py --entries 1000000 --fast-seed   # the 1M figure

Seeding writes each call as ``ToolCalls`` does (server/calls.py): a denial is one
``AuditLog.record``; an allowed call is ``begin`` (the write-ahead intent, status
``pending``) and then ``complete`` (its outcome), each in its own ``asyncio.to_thread``
hop, one call after another. The per-call cost printed is measured that way. With
``--fast-seed`` the bulk goes through ``record_many`` (batched transactions; fine for
a million entries) and then ``--runner-calls`` calls are timed the runner's way.

Pages: p50/p95 over HTTP (a real server on the seeded data dir) of filtered first pages
(each filter and combinations) beside a reference in the same run: the very SQL the
server's ``AuditLog.list`` runs for that page (captured from SQLAlchemy's cursor, probes
included), replayed in bare ``sqlite3`` on the same file; the ratio server / bare is
printed per filter. Then deep pages (following cursors to page 1000), and a final JSON
line.

Hook for the dashboard: ``--dashboard`` imports ``bench/audit_dashboard.py`` (when it
exists) and calls its ``measure(url=..., api_key=..., data_dir=...) -> dict``; the
returned figures (e.g. the time to show a filtered page) are printed and merged into
the JSON line under "dashboard".
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import event  # noqa: E402

from monstrum_tui.server.audit import AuditLog  # noqa: E402
from monstrum_tui.server.audit.log import datetime_to_micros  # noqa: E402
from monstrum_tui.server.audit.query import AuditFilter, parse_time  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

N_BOTS = 50
N_RESOURCES = 40
TOOLS_PER_RESOURCE = 4
CALLS_PER_TASK = 8
PAGE = 100


def workspace(rng: random.Random) -> dict[str, Any]:
    bots = [f"bot_bench{i:03d}" for i in range(N_BOTS)]
    resources = [f"res_bench{i:03d}" for i in range(N_RESOURCES)]
    tools = {r: [f"tool_{i:03d}_{j}" for j in range(TOOLS_PER_RESOURCE)]
             for i, r in enumerate(resources)}
    # each bot uses a handful of resources, so many (bot, resource) pairs are empty
    bindings = {b: rng.sample(resources, 4) for b in bots}
    return {"bots": bots, "resources": resources, "tools": tools, "bindings": bindings}


def generate(n: int, ws: dict[str, Any], rng: random.Random, days: float = 30.0,
             task_prefix: str = "tsk_bench") -> Iterator[dict[str, Any]]:
    """``n`` entries over the last ``days``, oldest first, in tasks of a few calls."""
    start = datetime.now(timezone.utc) - timedelta(days=days)
    step = timedelta(days=days) / n
    task_no = 0
    bot = ws["bots"][0]
    for i in range(n):
        if i % CALLS_PER_TASK == 0:
            task_no += 1
            bot = rng.choice(ws["bots"])
        resource = rng.choice(ws["bindings"][bot])
        tool = rng.choice(ws["tools"][resource])
        roll = rng.random()
        status = "success" if roll < 0.85 else ("error" if roll < 0.95 else "denied")
        cluster = rng.choice(["staging-1", "staging-2", "prod-1", "prod-2", "dev"])
        issue = f"PROJ-{rng.randrange(100_000)}"
        reason = {
            "success": "allowed",
            "error": "tool failed: upstream returned 502",
            "denied": f"cluster '{cluster}' is not in the allowed clusters",
        }[status]
        yield {
            "timestamp": start + step * i,
            "bot_id": bot,
            "task_id": f"{task_prefix}{task_no:07d}",
            "resource_id": resource,
            "tool_name": tool,
            "operation": f"{tool.split('_')[0]}.read",
            "params": {"cluster": cluster, "region": "us-west-2", "issue_key": issue,
                       "summary": f"deploy build {i % 977} to {cluster}"},
            "status": status,
            "reason": reason,
            "decision": {"allowed": status != "denied", "check": None if status != "denied"
                         else "scope", "message": reason},
            "duration_ms": round(rng.uniform(1, 400), 3),
            "result_size": rng.randrange(20_000),
        }


def _runner_fields(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in ("bot_id", "task_id", "resource_id", "tool_name",
                                 "operation", "params", "decision")}


async def runner_calls(audit: AuditLog, specs: Iterator[dict[str, Any]]) -> list[float]:
    """Write each call as ToolCalls does; returns each call's audit cost in ms."""
    times: list[float] = []
    for spec in specs:
        t0 = time.perf_counter()
        if spec["status"] == "denied":
            await asyncio.to_thread(audit.record, status="denied", reason=spec["reason"],
                                    **_runner_fields(spec))
        else:
            pending = await asyncio.to_thread(audit.begin, **_runner_fields(spec))
            await asyncio.to_thread(audit.complete, pending, status=spec["status"],
                                    reason=spec["reason"], duration_ms=spec["duration_ms"],
                                    result_size=spec["result_size"])
        times.append((time.perf_counter() - t0) * 1000)
    return times


def seed(db_url: str, n: int, rng: random.Random, ws: dict[str, Any], *, fast: bool,
         runner_n: int) -> dict[str, Any]:
    audit = AuditLog.open(db_url)
    figures: dict[str, Any] = {}
    if fast:
        t0 = time.perf_counter()
        total = audit.record_many(generate(n, ws, rng), batch_size=20_000)
        seconds = time.perf_counter() - t0
        figures.update(seeded_by="record_many", record_many_rate_per_s=round(total / seconds),
                       record_many_s=round(seconds, 1))
        times = asyncio.run(runner_calls(audit, generate(runner_n, ws, rng, days=0.001,
                                                         task_prefix="tsk_live")))
    else:
        t0 = time.perf_counter()
        times = asyncio.run(runner_calls(audit, generate(n, ws, rng)))
        seconds = time.perf_counter() - t0
        total = len(times)
        figures.update(seeded_by="runner (record | begin+complete)",
                       runner_seed_s=round(seconds, 1))
    total += len(times) if fast else 0
    audit.close()
    figures.update(
        entries=total, runner_calls=len(times),
        per_call_ms={"p50": round(pct(times, 50), 3), "p95": round(pct(times, 95), 3),
                     "mean": round(statistics.fmean(times), 3)},
        runner_rate_per_s=round(len(times) / (sum(times) / 1000)),
    )
    return figures


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed_get(http: httpx.Client, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    resp = http.get("/v1/audit", params=params)
    ms = (time.perf_counter() - t0) * 1000
    resp.raise_for_status()
    return ms, resp.json()


def first_page_cases(ws: dict[str, Any], rng: random.Random, first: datetime,
                     last: datetime, tasks: int) -> dict[str, Any]:
    """Name -> a function giving fresh params for one sample. Time windows are taken
    within the seeded span (30 days with --fast-seed; the seeding minutes otherwise):
    "1h" is 1/720 of it and "24h" the last 1/30, as in 30 days."""
    iso = lambda d: d.isoformat().replace("+00:00", "Z")  # noqa: E731
    span = last - first

    def bot() -> str:
        return rng.choice(ws["bots"])

    def res() -> str:
        return rng.choice(ws["resources"])

    def tool() -> str:
        return rng.choice(ws["tools"][res()])

    def day_window() -> dict[str, str]:
        start = last - span * rng.uniform(1 / 30, 29 / 30)
        return {"start_time": iso(start), "end_time": iso(start + span / 720)}

    def unused_resource(b: str) -> str:
        return rng.choice([r for r in ws["resources"] if r not in ws["bindings"][b]])

    def task() -> str:
        return f"tsk_bench{rng.randrange(1, tasks + 1):07d}"

    return {
        "none": lambda: {},
        "bot": lambda: {"bot_id": bot()},
        "resource": lambda: {"resource_id": res()},
        "tool": lambda: {"tool_name": tool()},
        "status=denied": lambda: {"status": "denied"},
        "status=error": lambda: {"status": "error"},
        "task": lambda: {"task_id": task()},
        "time 1h window": day_window,
        "last 24h": lambda: {"start_time": iso(last - span / 30)},
        "q common": lambda: {"q": rng.choice(["staging", "prod-2", "upstream"])},
        "q rare": lambda: {"q": f"PROJ-{rng.randrange(100_000)}\""},
        "q short (LIKE)": lambda: {"q": rng.choice(["zz", "P9"])},
        "bot+status=denied": lambda: {"bot_id": bot(), "status": "denied"},
        "bot+resource (used)": lambda: (lambda b: {"bot_id": b, "resource_id": rng.choice(
            ws["bindings"][b])})(bot()),
        "bot+resource (empty)": lambda: (lambda b: {"bot_id": b,
                                                    "resource_id": unused_resource(b)})(bot()),
        "bot+tool": lambda: (lambda b: {"bot_id": b, "tool_name": rng.choice(
            ws["tools"][rng.choice(ws["bindings"][b])])})(bot()),
        "resource+status+1h": lambda: {"resource_id": res(), "status": "error",
                                       **day_window()},
        "bot+last 24h": lambda: {"bot_id": bot(), "start_time": iso(last - span / 30)},
        "bot+1h window": lambda: {"bot_id": bot(), **day_window()},
        "bot+q": lambda: {"bot_id": bot(), "q": "prod-1"},
        "status=denied+q": lambda: {"status": "denied", "q": "staging-2"},
        "task+status": lambda: {"task_id": task(), "status": "success"},
    }


def as_filter(params: dict[str, Any]) -> AuditFilter:
    """What the route (server/api/audit.py) makes of these query params."""
    def micros(name: str) -> int | None:
        return datetime_to_micros(parse_time(params[name])) if name in params else None

    names = ("bot_id", "resource_id", "tool_name", "status", "task_id", "q")
    return AuditFilter(**{n: params.get(n) for n in names},
                       start_us=micros("start_time"), end_us=micros("end_time"))


def capture(db: Path, ws: dict[str, Any], samples: int) -> dict[str, Any]:
    """Per filter: ``samples`` param sets, each with the SQL statements (and their
    parameters) the server's ``AuditLog.list`` runs for that first page, captured from
    SQLAlchemy's cursor; and the in-process time of each page as the route makes it
    (``AuditLog.list_json``, the same SQL)."""
    with sqlite3.connect(db) as conn:
        lo, hi, count = conn.execute("SELECT min(ts), max(ts), count(*) FROM audit_log"
                                     ).fetchone()
    first = datetime.fromtimestamp(lo / 1e6, timezone.utc)
    last = datetime.fromtimestamp(hi / 1e6, timezone.utc)
    rng = random.Random(7)
    audit = AuditLog.open(f"sqlite:///{db}", create_key=False)
    statements: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    plans: dict[str, Any] = {}
    try:
        for _ in range(20):  # warm the page cache
            audit.list(as_filter({"bot_id": rng.choice(ws["bots"])}), PAGE)
        cases = first_page_cases(ws, rng, first, last, max(1, count // CALLS_PER_TASK))
        for name, make in cases.items():
            plans[name] = []
            for _ in range(samples):
                params = make()
                flt = as_filter(params)
                event.listen(audit.engine, "before_cursor_execute", grab)
                statements.clear()
                audit.list(flt, PAGE)
                event.remove(audit.engine, "before_cursor_execute", grab)
                t0 = time.perf_counter()
                audit.list_json(flt, PAGE)
                in_process_ms = (time.perf_counter() - t0) * 1000
                plans[name].append({"params": params, "sql": list(statements),
                                    "list_ms": in_process_ms})
    finally:
        audit.close()
    return plans


def bare_ms(conn: sqlite3.Connection, statements: list[tuple[str, Any]]) -> float:
    t0 = time.perf_counter()
    for sql, parameters in statements:
        conn.execute(sql, parameters).fetchall()
    return (time.perf_counter() - t0) * 1000


def hello_server(folder: Path) -> tuple[Any, str]:
    """bench/api.py's minimal FastAPI hello (a real uvicorn process): the HTTP floor."""
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    started: tuple[Any, str] = module.hello_server(folder)
    return started


def bench_pages(url: str, key: str, ws: dict[str, Any], plans: dict[str, Any], db: Path,
                deep_pages: int, hello_url: str) -> dict[str, Any]:
    rng = random.Random(7)
    headers = {"Authorization": f"Bearer {key}"}
    results: dict[str, Any] = {"first_pages": {}, "deep_pages": {}}
    bare = sqlite3.connect(db)
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http, \
            httpx.Client(base_url=hello_url, timeout=60) as hello:
        for _ in range(20):  # warm the server and the page cache
            timed_get(http, {"limit": PAGE, "bot_id": rng.choice(ws["bots"])})
        print(f"\nfirst pages (limit {PAGE}), p50 ms: over HTTP, AuditLog.list_json in process, "
              "the same SQL in bare sqlite3; floor: GET /v1/whoami on the same server and "
              "client, asked beside each page (a keyed request that reads no audit: HTTP, "
              "middleware, the key check); hello: a minimal FastAPI app's GET, the same way "
              "(HTTP itself)")
        print(f"  {'filter':22} {'http':>7} {'p95':>7} {'list':>7} {'bare':>7} {'p95':>7}"
              f" {'http/bare':>9} {'floor':>6} {'hello':>6} {'(http-floor)/bare':>17} "
              f"{'rows':>6}")
        floors_all: list[float] = []
        hellos_all: list[float] = []
        for name, plan in plans.items():
            times, bares, floors, hellos, rows = [], [], [], [], 0
            for sample in plan:
                t0 = time.perf_counter()
                hello.get("/hello").raise_for_status()
                hellos.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                http.get("/v1/whoami").raise_for_status()
                floors.append((time.perf_counter() - t0) * 1000)
                ms, body = timed_get(http, {"limit": PAGE, **sample["params"]})
                times.append(ms)
                rows += len(body["data"])
                bares.append(bare_ms(bare, sample["sql"]))
            fig = {"p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2),
                   "list_p50_ms": round(pct([s["list_ms"] for s in plan], 50), 2),
                   "bare_p50_ms": round(pct(bares, 50), 3),
                   "bare_p95_ms": round(pct(bares, 95), 3),
                   "avg_rows": round(rows / len(plan), 1)}
            floors_all += floors
            hellos_all += hellos
            fig["floor_p50_ms"] = round(pct(floors, 50), 2)
            fig["hello_p50_ms"] = round(pct(hellos, 50), 2)
            fig["ratio_http_bare"] = round(pct(times, 50) / max(pct(bares, 50), 1e-6), 1)
            fig["ratio_above_floor_bare"] = round(
                max(pct(times, 50) - pct(floors, 50), 0.0) / max(pct(bares, 50), 1e-6), 1)
            fig["ratio_list_bare"] = round(
                pct([s["list_ms"] for s in plan], 50) / max(pct(bares, 50), 1e-6), 1)
            results["first_pages"][name] = fig
            print(f"  {name:22} {fig['p50_ms']:7.2f} {fig['p95_ms']:7.2f} "
                  f"{fig['list_p50_ms']:7.2f} {fig['bare_p50_ms']:7.3f} "
                  f"{fig['bare_p95_ms']:7.3f} {fig['ratio_http_bare']:8.1f}x "
                  f"{fig['floor_p50_ms']:6.2f} {fig['hello_p50_ms']:6.2f} "
                  f"{fig['ratio_above_floor_bare']:16.1f}x "
                  f"{fig['avg_rows']:6}")
        results["whoami_floor_p50_ms"] = round(pct(floors_all, 50), 2)
        results["hello_p50_ms"] = round(pct(hellos_all, 50), 2)
        print(f"\ndeep pages (following cursors to page {deep_pages}), ms over HTTP:")
        for name, params in {
            "none": {},
            "status=success": {"status": "success"},
            "bot": {"bot_id": ws["bots"][3]},
            "q common": {"q": "staging"},
        }.items():
            times, cursor, page_no = [], None, 0
            while page_no < deep_pages:
                ms, body = timed_get(http, {"limit": PAGE, **params,
                                            **({"cursor": cursor} if cursor else {})})
                page_no += 1
                if page_no > 10:
                    times.append(ms)
                cursor = body["next_cursor"]
                if not cursor:
                    break
            fig = {"pages": page_no, "p50_ms": round(pct(times, 50), 2) if times else None,
                   "p95_ms": round(pct(times, 95), 2) if times else None}
            results["deep_pages"][name] = fig
            print(f"  {name:28} {fig['p50_ms']!s:>7} {fig['p95_ms']!s:>7}  ({page_no} pages)")
        t0 = time.perf_counter()
        # the full walk of a million entries takes minutes on a loaded machine
        verify = http.get("/v1/audit/verify", timeout=1800).json()
        results["verify_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        results["verify_ok"] = verify["ok"]
        print(f"\nverify (the full walk): {results['verify_ms']} ms, ok={verify['ok']}")
    bare.close()
    return results


def dashboard_figures(url: str, key: str, data_dir: Path) -> dict[str, Any] | None:
    """The UI helper's measure hook (bench/audit_dashboard.py), if it exists."""
    path = Path(__file__).with_name("audit_dashboard.py")
    if not path.exists():
        print("\ndashboard: bench/audit_dashboard.py not present; skipped")
        return None
    spec = importlib.util.spec_from_file_location("audit_dashboard", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.measure(url=url, api_key=key, data_dir=data_dir)
    print(f"\ndashboard: {figures}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--fast-seed", action="store_true",
                        help="seed the bulk with record_many (for --entries 1000000), then "
                        "time --runner-calls calls the runner's way")
    parser.add_argument("--runner-calls", type=int, default=2_000)
    parser.add_argument("--data-dir", type=Path, help="default: a new temp dir")
    parser.add_argument("--reuse", action="store_true",
                        help="the data dir is already seeded: skip seeding")
    parser.add_argument("--samples", type=int, default=40, help="requests per filter")
    parser.add_argument("--deep-pages", type=int, default=1000)
    parser.add_argument("--dashboard", action="store_true",
                        help="also run bench/audit_dashboard.py's measure()")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="monstrum-bench-audit-")) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    ws = workspace(random.Random(1))
    figures: dict[str, Any] = {"bench": "audit", "data_dir": str(data_dir)}
    db = data_dir / "monstrum.db"
    if not args.reuse:
        how = "record_many, then the runner's way" if args.fast_seed else "the runner's way"
        print(f"seeding {args.entries:,} entries into {data_dir} ({how}) ...", flush=True)
        seeded = seed(f"sqlite:///{db}", args.entries, random.Random(2), ws,
                      fast=args.fast_seed, runner_n=args.runner_calls)
        figures.update(seeded)
        per = seeded["per_call_ms"]
        print(f"\n  {'audit writes per tool call (as ToolCalls)':44} {'p50':>7} {'p95':>7} "
              f"{'mean':>7}")
        print(f"  {'record | begin+complete, to_thread hops, ms':44} {per['p50']:7.3f} "
              f"{per['p95']:7.3f} {per['mean']:7.3f}   ({seeded['runner_calls']:,} calls, "
              f"{seeded['runner_rate_per_s']:,} calls/s)")
        if args.fast_seed:
            print(f"  record_many bulk: {seeded['record_many_rate_per_s']:,} entries/s "
                  f"({seeded['record_many_s']} s)")
    figures["db_mb"] = round(sum(p.stat().st_size for p in data_dir.glob("monstrum.db*"))
                             / 1e6)
    plans = capture(db, ws, args.samples)
    server = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start(120)
    hello, hello_url = hello_server(Path(tempfile.mkdtemp(prefix="monstrum-bench-hello-")))
    try:
        figures.update(bench_pages(server.url, server.admin_key, ws, plans, db,
                                   args.deep_pages, hello_url))
        if args.dashboard:
            figures["dashboard"] = dashboard_figures(server.url, server.admin_key, data_dir)
    finally:
        server.stop()
        hello.terminate()
        hello.wait(10)
    pages = figures["first_pages"].values()
    figures["worst_first_page_p95_ms"] = max(f["p95_ms"] for f in pages)
    figures["first_page_http_over_bare"] = {
        "median": round(statistics.median(f["ratio_http_bare"] for f in pages), 1),
        "worst": max(f["ratio_http_bare"] for f in pages)}
    figures["first_page_list_over_bare"] = {
        "median": round(statistics.median(f["ratio_list_bare"] for f in pages), 1),
        "worst": max(f["ratio_list_bare"] for f in pages)}
    figures["first_page_above_floor_over_bare"] = {
        "median": round(statistics.median(f["ratio_above_floor_bare"] for f in pages), 1),
        "worst": max(f["ratio_above_floor_bare"] for f in pages)}
    figures["worst_deep_page_p95_ms"] = max(
        (f["p95_ms"] or 0) for f in figures["deep_pages"].values())
    ratio = figures["first_page_http_over_bare"]
    print(f"\nfirst page, server over HTTP / the same SQL in bare sqlite3: median "
          f"{ratio['median']}x, worst {ratio['worst']}x (aim <= 3x); in-process "
          f"AuditLog.list_json / bare: median "
          f"{figures['first_page_list_over_bare']['median']}x; the page's time above the "
          f"keyed-request floor ({figures['whoami_floor_p50_ms']} ms p50; a FastAPI hello "
          f"{figures['hello_p50_ms']} ms) / bare: median "
          f"{figures['first_page_above_floor_over_bare']['median']}x")
    print(f"database: {figures['db_mb']} MB ({db})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
