"""API bench: ``GET /v1/bots`` at a fixed concurrency, beside a minimal FastAPI hello.

    .venv/bin/python bench/api.py [--bots 100] [--concurrency 8] [--seconds 5]

Both servers run as real uvicorn processes on this machine, measured in the same run,
one after the other, by the same httpx client: the platform (``monstrum serve``,
SQLite data dir, ``--bots`` bots, rate limit off, a real API key) answering
``GET /v1/bots?limit=100``, and a FastAPI app with one ``async def`` route returning a
small JSON object. The figure is the ratio of the two request rates (aim: >= 0.4x).
The machine may be shared: only the ratio within one run means much, so the two are
measured in ``--rounds`` alternating rounds (bots, hello, bots, hello, ...) and the
ratio is the median of the rounds' ratios. Each server's CPU time per request (from
/proc, user + system) is printed too: it moves less than the rates when other work
takes the cores, and says what the page costs the server beside the hello.

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.serverproc import ServerProcess, free_port  # noqa: E402

HELLO_APP = textwrap.dedent('''
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}
''')


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(url: str, path: str, headers: dict[str, str], concurrency: int,
                seconds: float, pid: int | None = None) -> dict[str, Any]:
    samples: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits,
                                 timeout=30) as client:
        for _ in range(20):  # warm: connections, first-request imports
            (await client.get(path)).raise_for_status()
        end = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                r = await client.get(path)
                samples.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()

        cpu0 = cpu_seconds(pid) if pid else 0.0
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(pid) - cpu0 if pid else 0.0
    samples.sort()
    return {"requests": len(samples), "req_per_s": round(len(samples) / elapsed),
            "p50_ms": round(samples[len(samples) // 2], 2),
            "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
            "server_cpu_ms_per_req": round(cpu * 1000 / max(1, len(samples)), 3)}


def _combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one endpoint as one figure: medians of the rounds' figures."""
    out: dict[str, Any] = {"requests": sum(r["requests"] for r in rounds)}
    for name in ("req_per_s", "p50_ms", "p99_ms", "server_cpu_ms_per_req"):
        out[name] = statistics.median(r[name] for r in rounds)
    return out


def hello_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    (folder / "hello_app.py").write_text(HELLO_APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "hello_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], cwd=folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/hello", timeout=0.5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the hello app did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="per server and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="monstrum-api-bench-"))
    server = ServerProcess(data_dir=folder / "data", extra_args=["--rate-limit", "0"],
                           database_url=f"sqlite:///{folder / 'data' / 'monstrum.db'}")
    hello: subprocess.Popen[bytes] | None = None
    try:
        server.start(timeout=60)
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as c:
            for i in range(args.bots):
                c.post("/v1/bots", json={"name": f"bench-{i:04d}"}).raise_for_status()
        hello, hello_url = hello_server(folder)
        assert server.process is not None
        bots_rounds, ref_rounds = [], []
        for _ in range(args.rounds):
            bots_rounds.append(asyncio.run(_load(
                server.url, "/v1/bots?limit=100", headers, args.concurrency, args.seconds,
                server.process.pid)))
            ref_rounds.append(asyncio.run(_load(
                hello_url, "/hello", {}, args.concurrency, args.seconds, hello.pid)))
    finally:
        server.stop()
        if hello is not None:
            hello.terminate()
            hello.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    round_ratios = [round(b["req_per_s"] / r["req_per_s"], 3)
                    for b, r in zip(bots_rounds, ref_rounds, strict=True)]
    ratio = statistics.median(round_ratios)
    bots, ref = _combined(bots_rounds), _combined(ref_rounds)
    cpu_ratio = round(ref["server_cpu_ms_per_req"] / max(bots["server_cpu_ms_per_req"], 1e-9), 3)
    print(f"concurrency {args.concurrency}, {args.rounds} rounds of {args.seconds:g} s each, "
          f"{args.bots} bots (a page of {min(args.bots, 100)}); medians of the rounds")
    print(f"{'endpoint':26} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms/req':>10}")
    for name, fig in (("GET /v1/bots", bots), ("FastAPI hello (reference)", ref)):
        print(f"{name:26} {fig['req_per_s']:>7} {fig['p50_ms']:>7} {fig['p99_ms']:>7} "
              f"{fig['server_cpu_ms_per_req']:>10}")
    print(f"ratio bots / hello: {ratio} (rounds: {round_ratios}; aim >= 0.4); "
          f"server CPU per request, hello / bots: {cpu_ratio}")
    print(json.dumps({"concurrency": args.concurrency, "bots": args.bots, "v1_bots": bots,
                      "hello": ref, "ratio": ratio, "round_ratios": round_ratios,
                      "cpu_ratio": cpu_ratio, "aim_ratio": 0.4, "meets_aim": ratio >= 0.4}))


if __name__ == "__main__":
    main()
