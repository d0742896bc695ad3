"""MCP bench: what governing an MCP server costs, both ways, against the real platform.

    .venv/bin/python bench/mcp_calls.py [--calls 200]

Starts ``monstrum serve`` and the shipped notes MCP server over Streamable HTTP, then
times ``read_note`` calls, each with the official SDK's client, in the same minute:

- ``direct``: the client talks to the notes server itself (the reference);
- ``governed``: the client talks to ``/v1/bots/{id}/mcp``; each call is decided,
  audited write-ahead, run through the platform's MCP executor on the notes server,
  and completed in the audit log.

Prints p50/p95 for each and the ratio governed/direct, then a final JSON line.
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

import httpx2  # noqa: E402
import yaml  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

import monstrum  # noqa: E402
from tests.mcp_servers import NotesHttpServer  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1e3, 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1e3, 2),
            "per_s": round(len(ordered) / sum(ordered), 1)}


async def timed_calls(url: str, headers: dict[str, str], calls: int) -> list[float]:
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers))
    out = []
    async with Client(transport, mode="legacy", cache=None) as mcp:
        await mcp.list_tools()
        for _ in range(5):  # warm: sessions, pools, caches
            await mcp.call_tool("read_note", {"title": "release-2.4.1"})
        for _ in range(calls):
            t = time.perf_counter()
            result = await mcp.call_tool("read_note", {"title": "release-2.4.1"})
            out.append(time.perf_counter() - t)
            assert not result.is_error, result
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    notes = NotesHttpServer().start()
    with tempfile.TemporaryDirectory(prefix="monstrum-bench-mcp-") as tmp:
        server = ServerProcess(data_dir=Path(tmp) / "data",
                               extra_args=["--rate-limit", "0"]).start()
        try:
            with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
                proposal = c.integrations.import_mcp(name="bench-notes",
                                                     server={"url": notes.url})
                data = yaml.safe_load(proposal.manifest)
                data["tools"] = [t for t in data["tools"] if t["name"] == "read_note"]
                data["mcp"]["listing_ttl_s"] = 5
                data["scope_dimensions"] = [{"key": "titles", "param_paths": ["title"]}]
                c.integrations.upload(manifest=yaml.safe_dump(data))
                res = c.resources.create(type="bench_notes", name="bench notes")
                bot = c.bots.create(name="bench", allowed_operations=["bench_notes.read"],
                                    resource_bindings=[{"resource_id": res.id,
                                                        "allowed_tools": ["read_note"],
                                                        "scope_constraints": {"titles": ["*"]}}])
                key = c.api_keys.create(name="bench", scopes=[f"mcp:call:{bot.id}"])
            governed_url = f"{server.url}/v1/bots/{bot.id}/mcp"
            auth = {"Authorization": f"Bearer {key.secret}"}
            direct = asyncio.run(timed_calls(notes.url, {}, args.calls))
            governed = asyncio.run(timed_calls(governed_url, auth, args.calls))
        finally:
            server.stop()
            notes.stop()
    d, g = figures(direct), figures(governed)
    ratio = round(g["p50_ms"] / d["p50_ms"], 2) if d["p50_ms"] else None
    print(f"direct   read_note: p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms, {d['per_s']}/s")
    print(f"governed read_note: p50 {g['p50_ms']} ms, p95 {g['p95_ms']} ms, {g['per_s']}/s")
    print(f"governed / direct (p50): {ratio}x")
    print(json.dumps({"bench": "mcp", "calls": args.calls, "direct": d, "governed": g,
                      "ratio_p50": ratio}))


if __name__ == "__main__":
    main()
