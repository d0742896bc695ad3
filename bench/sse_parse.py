"""SSE parsing bench: the spec parser (``client/sse_parser.py``) against a reference.

    .venv/bin/python bench/sse_parse.py [--events 50000] [--chunk 65536]

A body of N task-event frames as the server writes them (``id``, ``event``, ``data`` with
a JSON payload, a blank line) is cut into chunks and parsed by:
- spec: ``aiter_sse`` over the byte chunks (UTF-8 decoding, CR/LF/CRLF only);
- reference: what the client did before, httpx's ``aiter_lines()`` (which also splits at
  U+2028 and the like) and the same field rules, in the same process and minute.
Prints events per second for each, their ratio, and a final JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monstrum_tui.client.sse_parser import SSEDecoder, aiter_sse


def body(n: int) -> bytes:
    frames = []
    for seq in range(1, n + 1):
        payload = {"seq": seq, "task_id": "task_01abc", "type": "message",
                   "timestamp": "2026-02-01T00:00:00Z", "text": f"step {seq} of the run", "turn": 1}
        frames.append(f"id: {seq}\nevent: message\ndata: {json.dumps(payload)}\n\n")
    return "".join(frames).encode()


async def chunks(raw: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(raw), size):
        yield raw[i:i + size]


async def spec(raw: bytes, size: int) -> int:
    return sum([1 async for m in aiter_sse(chunks(raw, size)) if not m.comment])


async def reference(raw: bytes, size: int) -> int:
    response = httpx.Response(200, content=chunks(raw, size))
    decoder, count = SSEDecoder(), 0
    async for line in response.aiter_lines():
        if decoder.line(line) is not None:
            count += 1
    return count


def timed(fn, raw: bytes, size: int, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        count = asyncio.run(fn(raw, size))
        best = min(best, time.perf_counter() - start)
    assert count == raw.count(b"\n\n"), count
    return count / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--chunk", type=int, default=65_536)
    args = parser.parse_args()
    raw = body(args.events)
    ref = timed(reference, raw, args.chunk)
    new = timed(spec, raw, args.chunk)
    print(f"{args.events} events, {len(raw) / 1e6:.1f} MB in {args.chunk}-byte chunks")
    print(f"reference (aiter_lines): {ref:,.0f} events/s")
    print(f"spec parser:             {new:,.0f} events/s  ({new / ref:.2f}x the reference)")
    print(json.dumps({"bench": "sse_parse", "events": args.events, "chunk": args.chunk,
                      "reference_events_per_s": round(ref), "spec_events_per_s": round(new),
                      "ratio": round(new / ref, 3)}))


if __name__ == "__main__":
    main()
