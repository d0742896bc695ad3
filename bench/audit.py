"""Audit log bench: seed a million chained entries, then time filtered and deep pages.

    .venv/bin/python bench/audit.py [--entries 1000000] [--data-dir DIR] [--reuse]

Prints the insert rate (record_many, with the hash chain and the full-text index),
the single-entry ``record`` latency, then p50/p95 over HTTP (a real server on the
seeded data dir) of filtered first pages (each filter and combinations) and of deep
pages (following cursors to page 1000), and a final JSON line.

Hook for the dashboard: ``--dashboard`` imports ``bench/audit_dashboard.py`` (when it
exists) and calls its ``measure(url=..., api_key=..., data_dir=...) -> dict``; the
returned figures (e.g. the time to show a filtered page) are printed and merged into
the JSON line under "dashboard".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
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

from monstrum_tui.server.audit import AuditLog  # noqa: E402
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


def generate(n: int, ws: dict[str, Any], rng: random.Random, days: float = 30.0
             ) -> Iterator[dict[str, Any]]:
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
            "task_id": f"tsk_bench{task_no:07d}",
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


def seed(db_url: str, n: int, rng: random.Random, ws: dict[str, Any]) -> dict[str, float]:
    audit = AuditLog.open(db_url)
    t0 = time.perf_counter()
    total = audit.record_many(generate(n, ws, rng), batch_size=20_000)
    seconds = time.perf_counter() - t0
    # the hot path the runner uses: one entry, one transaction
    t0 = time.perf_counter()
    singles = 2_000
    for _ in range(singles):
        audit.record(bot_id=ws["bots"][0], task_id="tsk_live", resource_id=ws["resources"][0],
                     tool_name="tool_000_0", operation="tool.read", params={"k": "v"},
                     status="success", reason="allowed", decision=None, duration_ms=1.0,
                     result_size=10)
    single_ms = (time.perf_counter() - t0) * 1000 / singles
    audit.close()
    return {"entries": total, "seed_s": round(seconds, 1),
            "insert_rate_per_s": round(total / seconds), "record_ms": round(single_ms, 3)}


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed_get(http: httpx.Client, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    resp = http.get("/v1/audit", params=params)
    ms = (time.perf_counter() - t0) * 1000
    resp.raise_for_status()
    return ms, resp.json()


def first_page_cases(ws: dict[str, Any], rng: random.Random, now: datetime
                     ) -> dict[str, Any]:
    """Name -> a function giving fresh params for one sample."""
    iso = lambda d: d.isoformat().replace("+00:00", "Z")  # noqa: E731

    def bot() -> str:
        return rng.choice(ws["bots"])

    def res() -> str:
        return rng.choice(ws["resources"])

    def tool() -> str:
        return rng.choice(ws["tools"][res()])

    def day_window() -> dict[str, str]:
        start = now - timedelta(days=rng.uniform(1, 29))
        return {"start_time": iso(start), "end_time": iso(start + timedelta(hours=1))}

    def unused_resource(b: str) -> str:
        return rng.choice([r for r in ws["resources"] if r not in ws["bindings"][b]])

    def task() -> str:
        return f"tsk_bench{rng.randrange(1, 100_000):07d}"

    return {
        "none": lambda: {},
        "bot": lambda: {"bot_id": bot()},
        "resource": lambda: {"resource_id": res()},
        "tool": lambda: {"tool_name": tool()},
        "status=denied": lambda: {"status": "denied"},
        "status=error": lambda: {"status": "error"},
        "task": lambda: {"task_id": task()},
        "time 1h window": day_window,
        "last 24h": lambda: {"start_time": iso(now - timedelta(hours=24))},
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
        "bot+last 24h": lambda: {"bot_id": bot(), "start_time": iso(now - timedelta(days=1))},
        "bot+1h window": lambda: {"bot_id": bot(), **day_window()},
        "bot+q": lambda: {"bot_id": bot(), "q": "prod-1"},
        "status=denied+q": lambda: {"status": "denied", "q": "staging-2"},
        "task+status": lambda: {"task_id": task(), "status": "success"},
    }


def bench_pages(url: str, key: str, ws: dict[str, Any], samples: int, deep_pages: int
                ) -> dict[str, Any]:
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    headers = {"Authorization": f"Bearer {key}"}
    results: dict[str, Any] = {"first_pages": {}, "deep_pages": {}}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        for _ in range(20):  # warm the server and the page cache
            timed_get(http, {"limit": PAGE, "bot_id": rng.choice(ws["bots"])})
        print(f"\nfirst pages (limit {PAGE}), ms over HTTP:")
        print(f"  {'filter':28} {'p50':>7} {'p95':>7} {'rows':>6}")
        for name, make in first_page_cases(ws, rng, now).items():
            times, rows = [], 0
            for _ in range(samples):
                ms, body = timed_get(http, {"limit": PAGE, **make()})
                times.append(ms)
                rows += len(body["data"])
            fig = {"p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2),
                   "avg_rows": round(rows / samples, 1)}
            results["first_pages"][name] = fig
            print(f"  {name:28} {fig['p50_ms']:7.2f} {fig['p95_ms']:7.2f} {fig['avg_rows']:6}")
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
        verify = http.get("/v1/audit/verify").json()
        results["verify_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        results["verify_ok"] = verify["ok"]
        print(f"\nverify from the last checkpoint: {results['verify_ms']} ms, ok={verify['ok']}")
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
    parser.add_argument("--entries", type=int, default=1_000_000)
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
    if not args.reuse:
        print(f"seeding {args.entries:,} entries into {data_dir} ...", flush=True)
        seeded = seed(f"sqlite:///{data_dir / 'monstrum.db'}", args.entries,
                      random.Random(2), ws)
        figures.update(seeded)
        print(f"insert rate with the chain: {seeded['insert_rate_per_s']:,} entries/s "
              f"({seeded['entries']:,} in {seeded['seed_s']} s); single record(): "
              f"{seeded['record_ms']} ms")
    db = data_dir / "monstrum.db"
    figures["db_mb"] = round(sum(p.stat().st_size for p in data_dir.glob("monstrum.db*"))
                             / 1e6)
    server = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start(120)
    try:
        figures.update(bench_pages(server.url, server.admin_key, ws, args.samples,
                                   args.deep_pages))
        if args.dashboard:
            figures["dashboard"] = dashboard_figures(server.url, server.admin_key, data_dir)
    finally:
        server.stop()
    worst = max(f["p95_ms"] for f in figures["first_pages"].values())
    figures["worst_first_page_p95_ms"] = worst
    figures["worst_deep_page_p95_ms"] = max(
        (f["p95_ms"] or 0) for f in figures["deep_pages"].values())
    print(f"\ndatabase: {figures['db_mb']} MB ({db})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
