"""Governance bench: decisions per second of the pure policy function, p50/p95 per decision.

    .venv/bin/python bench/governance.py [--decisions 200000]

Runs ``decide`` on a realistic bot (5 bindings, each resource with 6 tools, scope
dimensions including an array path) for a mix of calls: allowed, denied at each check,
and qualified names. Prints figures per case and overall, then a final JSON line.
Aim: p50 under 20 µs per decision.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200_000, help="in total, over all cases")
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
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
