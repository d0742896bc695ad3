"""Dashboard bench: the Audit screen's time to show a filtered page over a million entries.

    .venv/bin/python bench/audit_dashboard.py [--entries 1000000] [--data-dir DIR] [--reuse]
    .venv/bin/python bench/audit.py --dashboard ...   (calls ``measure`` on its own server)

Seeds the store with ``bench/audit.py``'s generator (unless ``--reuse``), starts a real
server on it, and drives the real dashboard headless (Textual pilot, 80x24). For each
filter it applies the filter the way the filter bar does and times until the first
page is in the table and its screenful of lines is drawn (the frame that shows it
follows within 1/60 s); then it times paging in rows far down (``end`` pressed
repeatedly, to ~page 30) and drawing a screenful. Medians (and p95) of several
runs; a final JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monstrum_tui.ui.app import MonstrumApp  # noqa: E402
from monstrum_tui.ui.audit_query import AuditQuery  # noqa: E402
from monstrum_tui.ui.screens.audit import AuditScreen  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def _audit_bench() -> Any:
    """bench/audit.py as a module (its workspace and seeding)."""
    spec = importlib.util.spec_from_file_location("bench_audit", Path(__file__).with_name(
        "audit.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2),
            "runs": len(ordered)}


async def _until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the dashboard did not show the page in time")
        await asyncio.sleep(0.0005)


def paint_screenful(table: Any) -> None:
    """Draw every visible line from scratch (no line cache), as a frame after new data."""
    table._lines.clear()
    for y in range(table.size.height):
        table.render_line(y)


def filter_cases(ws: dict[str, Any], rng: random.Random) -> dict[str, Callable[[], AuditQuery]]:
    def bot() -> str:
        return str(rng.choice(ws["bots"]))

    return {
        "none": lambda: AuditQuery(),
        "bot": lambda: AuditQuery(bot_id=bot()),
        "bot+status=denied": lambda: AuditQuery(bot_id=bot(), status="denied"),
        "status=error+last 24h": lambda: AuditQuery(status="error", time_preset="24h"),
        "resource+tool": lambda: (lambda r: AuditQuery(
            resource_id=r, tool_name=rng.choice(ws["tools"][r])))(rng.choice(ws["resources"])),
        "q (text)": lambda: AuditQuery(q=rng.choice(["staging-2", "prod-1", "upstream"])),
        "bot+last 7d+q": lambda: AuditQuery(bot_id=bot(), time_preset="7d", q="prod"),
    }


async def _drive(url: str, api_key: str, ws: dict[str, Any], runs: int) -> dict[str, Any]:
    rng = random.Random(11)
    app = MonstrumApp(api_base=url, api_key=api_key, watch_terminal=False,
                      initial_screen="audit")
    figures: dict[str, Any] = {"filtered_page": {}, "deep_scroll": {}}
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(lambda: isinstance(app.screen, AuditScreen))
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.table
        await _until(lambda: table.window.first_loaded)
        await pilot.pause(0.5)
        print("\ndashboard: filter applied -> first page in the table and drawn (ms)")
        print(f"  {'filter':24} {'median':>8} {'p95':>8}")
        for name, make in filter_cases(ws, rng).items():
            samples = []
            for _ in range(runs + 2):
                query = make()
                t0 = time.perf_counter()
                screen.filter_bar.set_query(query)
                screen.start_view()
                await _until(lambda: table.window.first_loaded)
                paint_screenful(table)  # what the next frame does with the new rows
                samples.append((time.perf_counter() - t0) * 1000)
                await pilot.pause()  # let the neighbour page and the frame settle
            fig = _stats(samples[2:])  # the first two warm the path
            figures["filtered_page"][name] = fig
            print(f"  {name:24} {fig['median_ms']:8.2f} {fig['p95_ms']:8.2f}")

        # deep scroll: `end` walks page by page; time each page-in (cursor row shown)
        screen.filter_bar.set_query(AuditQuery())
        screen.start_view()
        await _until(lambda: table.window.first_loaded)
        page_ins, most_rows = [], 0
        for _ in range(30):
            t0 = time.perf_counter()
            table.action_last()  # what `end` does (the pilot's key press adds its own waits)
            await _until(lambda: table.current_entry is not None)
            paint_screenful(table)
            page_ins.append((time.perf_counter() - t0) * 1000)
            await pilot.pause()
            most_rows = max(most_rows, table.window.loaded_rows)
        paint = []
        for _ in range(50):
            t0 = time.perf_counter()
            paint_screenful(table)
            paint.append((time.perf_counter() - t0) * 1000)
        figures["deep_scroll"] = {
            "page_in": _stats(page_ins),
            "rows_reached": table.cursor_row + 1,
            "max_rows_in_memory": most_rows,
            "screenful_render": _stats(paint),
        }
        print(f"\ndashboard: `end` page-in to row {table.cursor_row + 1:,}: median "
              f"{figures['deep_scroll']['page_in']['median_ms']} ms, p95 "
              f"{figures['deep_scroll']['page_in']['p95_ms']} ms; at most {most_rows} rows "
              f"in memory; a screenful of lines rendered in "
              f"{figures['deep_scroll']['screenful_render']['median_ms']} ms")
    return figures


def measure(*, url: str, api_key: str, data_dir: Path, runs: int = 15) -> dict[str, Any]:
    """The hook ``bench/audit.py --dashboard`` calls on its seeded server."""
    ws = _audit_bench().workspace(random.Random(1))
    figures = asyncio.run(_drive(url, api_key, ws, runs))
    figures["worst_filtered_page_median_ms"] = max(
        f["median_ms"] for f in figures["filtered_page"].values())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, help="default: a new temp dir")
    parser.add_argument("--reuse", action="store_true",
                        help="the data dir is already seeded (by this or bench/audit.py)")
    parser.add_argument("--runs", type=int, default=15, help="runs per filter")
    args = parser.parse_args()
    bench = _audit_bench()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="monstrum-bench-ui-")) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    ws = bench.workspace(random.Random(1))
    result: dict[str, Any] = {"bench": "audit_dashboard", "data_dir": str(data_dir)}
    if not args.reuse:
        print(f"seeding {args.entries:,} entries into {data_dir} ...", flush=True)
        result.update(bench.seed(f"sqlite:///{data_dir / 'monstrum.db'}", args.entries,
                                 random.Random(2), ws))
        print(f"seeded in {result['seed_s']} s")
    server = ServerProcess(data_dir=data_dir, extra_args=["--rate-limit", "0"]).start(120)
    try:
        result.update(measure(url=server.url, api_key=server.admin_key, data_dir=data_dir,
                              runs=args.runs))
    finally:
        server.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
