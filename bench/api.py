"""API bench: ``GET /v1/bots`` at a fixed concurrency, beside a minimal FastAPI hello.

    .venv/bin/python bench/api.py [--bots 100] [--concurrency 8] [--seconds 5]

Both servers run as real uvicorn processes on this machine, measured in the same run,
one after the other, by the same httpx client: the platform (``monstrum serve``,
SQLite data dir, ``--bots`` bots, rate limit off, a real API key) answering
``GET /v1/bots?limit=100``, and a FastAPI app with one ``async def`` route returning a
small JSON object. The figure is the ratio of the two request rates (aim: >= 0.4x).
The machine may be shared: only the ratio within one run means much.

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
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


async def _load(url: str, path: str, headers: dict[str, str], concurrency: int,
                seconds: float) -> dict[str, Any]:
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

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    samples.sort()
    return {"requests": len(samples), "req_per_s": round(len(samples) / elapsed),
            "p50_ms": round(samples[len(samples) // 2], 2),
            "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2)}


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
    parser.add_argument("--seconds", type=float, default=5.0, help="per server")
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
        bots = asyncio.run(_load(server.url, "/v1/bots?limit=100", headers,
                                 args.concurrency, args.seconds))
        ref = asyncio.run(_load(hello_url, "/hello", {}, args.concurrency, args.seconds))
    finally:
        server.stop()
        if hello is not None:
            hello.terminate()
            hello.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    ratio = round(bots["req_per_s"] / ref["req_per_s"], 3)
    print(f"concurrency {args.concurrency}, {args.seconds:g} s each, {args.bots} bots "
          f"(a page of {min(args.bots, 100)})")
    print(f"{'endpoint':26} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}")
    print(f"{'GET /v1/bots':26} {bots['req_per_s']:>7} {bots['p50_ms']:>7} {bots['p99_ms']:>7}")
    print(f"{'FastAPI hello (reference)':26} {ref['req_per_s']:>7} {ref['p50_ms']:>7} "
          f"{ref['p99_ms']:>7}")
    print(f"ratio bots / hello: {ratio} (aim >= 0.4)")
    print(json.dumps({"concurrency": args.concurrency, "bots": args.bots, "v1_bots": bots,
                      "hello": ref, "ratio": ratio, "aim_ratio": 0.4,
                      "meets_aim": ratio >= 0.4}))


if __name__ == "__main__":
    main()
