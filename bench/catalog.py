"""Tool catalog bench: the cost of ``tools_of`` (governance's lookup), of checking a
manifest, and of running the built-in filesystem and shell executors.

    .venv/bin/python bench/catalog.py [--calls 5000]

Runs in-process on a real SQLite file in a temporary data dir. Prints p50/p95 per
operation, then a final JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monstrum_tui.server.manifests import check_manifest_text  # noqa: E402
from monstrum_tui.server.platform import Platform  # noqa: E402
from monstrum_tui.server.resource_values import with_defaults  # noqa: E402
from monstrum_tui.server.settings import ServerSettings  # noqa: E402


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_us": round(statistics.median(ordered) * 1e6, 1),
        "p95_us": round(ordered[int(len(ordered) * 0.95) - 1] * 1e6, 1),
        "per_s": round(len(ordered) / sum(ordered)),
    }


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


async def timed_async(make, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        result = await make()
        out.append(time.perf_counter() - t)
        assert result.ok, result.error
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        platform = Platform.open(ServerSettings(data_dir=data))
        root = Path(tmp) / "root"
        (root / "docs").mkdir(parents=True)
        (root / "docs" / "a.md").write_text("hello\n" * 200)
        for rid, type_id, config in (
            ("res_fs", "filesystem", {"root": str(root)}),
            ("res_sh", "shell", {"allowed_commands": ["echo"], "working_dir": str(root)}),
        ):
            manifest = platform.store.integrations.for_type(type_id).manifest
            platform.store.resources.create(
                rid, type_id, rid, with_defaults(manifest, config), platform.cipher.encrypt({}), []
            )
        platform.catalog.tools_of("res_fs")  # warm the compiled-manifest cache
        results["tools_of"] = figures(timed(lambda: platform.catalog.tools_of("res_fs"),
                                            args.calls))
        jira = (ROOT / "integrations" / "jira.yaml").read_text()
        results["check_manifest_jira"] = figures(
            timed(lambda: check_manifest_text(jira), max(50, args.calls // 20)))
        loop = asyncio.new_event_loop()
        cat = platform.catalog
        results["execute_read_file"] = figures(loop.run_until_complete(timed_async(
            lambda: cat.execute("res_fs", "read_file", {"path": "docs/a.md"}), args.calls // 5)))
        results["execute_shell_echo"] = figures(loop.run_until_complete(timed_async(
            lambda: cat.execute("res_sh", "run_command", {"command": "echo", "args": ["hi"]}),
            200)))
        loop.close()
        platform.close()
    for name, fig in results.items():
        print(f"{name:22s} p50 {fig['p50_us']:>9.1f} us   p95 {fig['p95_us']:>9.1f} us   "
              f"{fig['per_s']:>7d}/s")
    print(json.dumps({"bench": "catalog", **results}))


if __name__ == "__main__":
    main()
