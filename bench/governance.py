"""Governance bench: the pure decision, and the full cost of a governed call in a real task.

    .venv/bin/python bench/governance.py [--decisions 200000] [--calls 300]

1. ``decide`` on a realistic bot (5 bindings, each resource with 6 tools, scope
   dimensions including an array path) for a mix of calls: allowed, denied at each
   check, qualified names; p50/p95 per decision. Aim: p50 under 20 µs.
2. The full server time per tool call in a real task on the default store (SQLite in a
   data dir): a scripted task of ``--calls`` filesystem reads, and one of denied calls,
   run by the real task runner; each ``platform.calls.call`` is timed (policy read,
   decide, write-ahead audit entry, executor, outcome, events), p50/p99. Beside it, in
   the same process: an audit-like SQLite INSERT + COMMIT on a bare ``sqlite3``
   connection, as the reference the ratio is taken against. Also the process's CPU
   time per call over the whole task (all threads): on a shared machine it moves far
   less with the load than the latency does.
3. Where an allowed call's time goes: p50 of its stages (the thread hop that reads the
   policy, decides and writes the entry; the executor; the outcome's hop), and the SQL
   statements and commits per call over the whole task (every thread's, the runner's
   own included), counted by SQLite's trace callback.

Prints tables, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monstrum_tui.client.models import Bot, Tool
from monstrum_tui.server.governance import ResourceTool, decide

NOW = datetime.now(timezone.utc)
FIRST_TOOLS = ["list_issues", "get_issue", "comment", "assign", "transition", "bulk"]


def workspace() -> tuple[Bot, dict[str, list[ResourceTool]]]:
    offered: dict[str, list[ResourceTool]] = {}
    bindings = []
    for r in range(5):
        rid = f"res_jira_{r}"
        tools = []
        for t in range(6):
            tools.append(ResourceTool(rid, Tool.model_validate({
                "name": f"jira_{FIRST_TOOLS[t]}" if r == 0 else f"jira_tool_{t}",
                "operation": "issue.write" if t in (2, 3, 4) else "issue.read",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "project": {"type": "string"},
                        "status": {"type": "string"},
                        "keys": {"type": "array", "items": {"type": "string"}},
                        "max_results": {"type": "integer", "default": 50},
                    },
                    "required": ["project"],
                },
                "scope_dimensions": [
                    {"key": "projects", "param_paths": ["project"], "match_mode": "pattern",
                     "error_template": "项目 {value} 不在授权范围内"},
                    # the bulk tool also names issues: every one must be in scope
                    *([{"key": "issue_keys", "param_paths": ["keys[*]"],
                        "match_mode": "prefix",
                        "error_template": "issue {value} is out of scope"}] if t == 5 else []),
                ],
            })))
        offered[rid] = tools
        bindings.append({
            "resource_id": rid,
            "allowed_tools": ["jira_list_*", "jira_get_*", "jira_comment", "jira_bulk",
                              "jira_tool_*"],
            "scope_constraints": {"projects": ["OPS", "ENG-*", "PLAT-??"],
                                  "issue_keys": ["OPS-", "ENG-"]},
        })
    bot = Bot(id="bot_bench", name="bench", created_at=NOW, updated_at=NOW,
              allowed_operations=["issue.read", "issue.comment*", "issue.write"],
              resource_bindings=bindings)
    return bot, offered


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "allowed": ("jira_list_issues", {"project": "ENG-42", "status": "open"}),
    "allowed_array": ("jira_bulk", {"project": "OPS", "keys": ["OPS-1", "OPS-2", "ENG-3"]}),
    "allowed_qualified": ("res_jira_2/jira_tool_1", {"project": "PLAT-01"}),
    "denied_binding": ("jira_delete", {"project": "OPS"}),
    "denied_allowed_tools": ("jira_assign", {"project": "OPS"}),
    "denied_schema": ("jira_list_issues", {"project": 7}),
    "denied_scope": ("jira_list_issues", {"project": "SEC"}),
    "denied_scope_array": ("jira_bulk", {"project": "OPS", "keys": ["OPS-1", "SEC-9"]}),
}


def measure(bot: Bot, offered: dict[str, Any], name: str, params: dict[str, Any],
            n: int) -> dict[str, float]:
    for _ in range(min(1000, n)):  # warm the caches (compiled schemas and patterns)
        decide(bot, offered, name, params)
    samples = []
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(n):
        t0 = clock()
        decide(bot, offered, name, params)
        samples.append(clock() - t0)
    total_s = (clock() - start) / 1e9
    samples.sort()
    return {
        "decisions_per_s": round(n / total_s),
        "p50_us": round(samples[len(samples) // 2] / 1000, 2),
        "p95_us": round(samples[int(len(samples) * 0.95)] / 1000, 2),
        "mean_us": round(statistics.fmean(samples) / 1000, 2),
    }


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def bare_sqlite_insert_ms(folder: Path, n: int = 500) -> float:
    """p50 of one INSERT + COMMIT of an audit-sized row on a bare sqlite3 connection (WAL,
    synchronous=NORMAL, as the store runs)."""
    import sqlite3

    conn = sqlite3.connect(folder / "reference.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT, params TEXT, h TEXT)")
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?, ?, ?)",
                     (i, f"aud_{i:020d}", '{"path":"README.md"}', "0" * 64))
        conn.execute("COMMIT")
        samples.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return _pct(samples, 0.5)


async def _task_calls(calls: int) -> dict[str, Any]:
    import asyncio
    import tempfile

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from monstrum_tui.client.models import BotCreate
    from monstrum_tui.server.platform import Platform
    from monstrum_tui.server.resource_values import with_defaults
    from monstrum_tui.server.settings import ServerSettings

    statements: dict[str, int] = {"all": 0, "commits": 0}

    def traced(sql: str) -> None:
        statements["all"] += 1
        if sql.lstrip().upper().startswith("COMMIT"):
            statements["commits"] += 1

    def trace_connection(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(traced)

    event.listen(Engine, "connect", trace_connection)
    folder = Path(tempfile.mkdtemp(prefix="monstrum-bench-"))
    root = folder / "files"
    root.mkdir()
    (root / "README.md").write_text("# bench\n" * 20)
    platform = Platform.open(ServerSettings(data_dir=folder / "data", max_steps=calls + 10))
    compiled = platform.store.integrations.for_type("filesystem")
    assert compiled is not None
    platform.store.resources.create(
        "res_bench", "filesystem", "bench", with_defaults(compiled.manifest, {"root": str(root)}),
        platform.cipher.encrypt({}), [],
    )
    bot = platform.store.bots.create(BotCreate.model_validate({
        "name": "bench", "allowed_operations": ["files.read"],
        "resource_bindings": [{"resource_id": "res_bench", "allowed_tools": ["read_file"],
                               "scope_constraints": {"paths": ["*.md", "docs/*"]}}],
    }))
    timings: list[float] = []
    real_call = platform.calls.call

    async def timed_call(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await real_call(*args, **kwargs)
        finally:
            timings.append((time.perf_counter() - t0) * 1000)

    platform.calls.call = timed_call  # type: ignore[method-assign]
    stages: dict[str, list[float]] = {}

    def timed_stage(label: str, real: Any) -> Any:
        if asyncio.iscoroutinefunction(real):
            async def stage_async(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await real(*args, **kwargs)
                finally:
                    stages.setdefault(label, []).append((time.perf_counter() - t0) * 1000)
            return stage_async

        def stage(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                stages.setdefault(label, []).append((time.perf_counter() - t0) * 1000)
        return stage

    governed = platform.calls
    governed._decide_and_write = timed_stage(  # type: ignore[method-assign]
        "policy, decide, entry: work in the thread", governed._decide_and_write)
    platform.catalog.execute = timed_stage(  # type: ignore[method-assign]
        "executor (catalog.execute, its hop included)", platform.catalog.execute)
    governed._complete = timed_stage(  # type: ignore[method-assign]
        "outcome (its hop included)", governed._complete)
    await platform.start()
    out: dict[str, Any] = {}
    try:
        for case, line in (("allowed", 'call read_file {"path": "README.md"}'),
                           ("denied", 'call read_file {"path": "secret/key.txt"}')):
            timings.clear()
            stages.clear()
            statements.update(all=0, commits=0)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            task = await platform.runner.submit(bot.id, "\n".join([line] * calls), {})
            while True:
                current = await asyncio.to_thread(platform.store.tasks.get, task.id)
                assert current is not None
                if current.status in ("completed", "failed", "cancelled"):
                    break
                await asyncio.sleep(0.02)
            assert current.status == "completed", current.error
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            steady = timings[min(20, len(timings) // 10):]  # past the first, cold calls
            # CPU per call (all threads of the process; the task's whole run over its
            # calls): on a machine shared with other work it moves far less than p50
            out[case] = {"calls": len(timings), "p50_ms": round(_pct(steady, 0.5), 3),
                         "p99_ms": round(_pct(steady, 0.99), 3),
                         "cpu_ms_per_call": round(cpu * 1000 / len(timings), 3),
                         "wall_ms_per_call": round(wall * 1000 / len(timings), 3),
                         "statements_per_call": round(statements["all"] / len(timings), 1),
                         "commits_per_call": round(statements["commits"] / len(timings), 2),
                         "stages_p50_ms": {k: round(_pct(v[min(20, len(v) // 10):], 0.5), 3)
                                           for k, v in stages.items()}}
        out["reference_sqlite_insert_commit_ms"] = round(bare_sqlite_insert_ms(folder), 3)
    finally:
        await platform.stop()
        platform.close()
        event.remove(Engine, "connect", trace_connection)
    return out


def full_calls(calls: int) -> dict[str, Any]:
    import asyncio

    figures = asyncio.run(_task_calls(calls))
    ref = figures["reference_sqlite_insert_commit_ms"]
    print(f"\nfull server time per tool call in a task ({calls} calls, SQLite data dir)")
    print(f"{'case':12} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/call':>12} "
          f"{'p50 / bare INSERT+COMMIT':>26}")
    for case in ("allowed", "denied"):
        f = figures[case]
        f["p50_ratio_to_reference"] = round(f["p50_ms"] / ref, 1) if ref else None
        print(f"{case:12} {f['p50_ms']:>8} {f['p99_ms']:>8} {f['cpu_ms_per_call']:>12} "
              f"{f['p50_ratio_to_reference']:>26}")
    print(f"{'reference':12} {ref:>8}   (bare sqlite3 INSERT + COMMIT, same process)")
    print(f"\n{'where the time goes (p50 ms)':48} {'allowed':>8} {'denied':>8}")
    labels = dict.fromkeys([*figures["allowed"]["stages_p50_ms"],
                            *figures["denied"]["stages_p50_ms"]])
    for label in labels:
        row = [figures[c]["stages_p50_ms"].get(label) for c in ("allowed", "denied")]
        print(f"{label:48} " + " ".join(f"{'-' if v is None else v:>8}" for v in row))
    for key in ("statements_per_call", "commits_per_call"):
        print(f"{key.replace('_', ' '):48} {figures['allowed'][key]:>8} "
              f"{figures['denied'][key]:>8}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200_000, help="in total, over all cases")
    parser.add_argument("--calls", type=int, default=300, help="tool calls per bench task")
    args = parser.parse_args()
    bot, offered = workspace()
    per_case = max(1000, args.decisions // len(CASES))
    figures: dict[str, Any] = {"cases": {}}
    print(f"{'case':24} {'decisions/s':>12} {'p50 µs':>8} {'p95 µs':>8}")
    for case, (name, params) in CASES.items():
        decision = decide(bot, offered, name, params)
        expect_allowed = case.startswith("allowed")
        assert decision.allowed == expect_allowed, (case, decision)
        f = measure(bot, offered, name, params, per_case)
        figures["cases"][case] = f
        print(f"{case:24} {f['decisions_per_s']:>12,} {f['p50_us']:>8} {f['p95_us']:>8}")
    mixed: list[int] = []
    clock = time.perf_counter_ns
    calls = list(CASES.values())
    start = clock()
    for i in range(per_case * len(CASES)):
        name, params = calls[i % len(calls)]
        t0 = clock()
        decide(bot, offered, name, params)
        mixed.append(clock() - t0)
    total_s = (clock() - start) / 1e9
    mixed.sort()
    figures["mixed"] = {
        "decisions_per_s": round(len(mixed) / total_s),
        "p50_us": round(mixed[len(mixed) // 2] / 1000, 2),
        "p95_us": round(mixed[int(len(mixed) * 0.95)] / 1000, 2),
    }
    m = figures["mixed"]
    print(f"{'mixed':24} {m['decisions_per_s']:>12,} {m['p50_us']:>8} {m['p95_us']:>8}")
    figures["aim_p50_us"] = 20
    figures["meets_aim"] = m["p50_us"] < 20
    figures["full_call"] = full_calls(args.calls)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
