"""The reference for bench/stream.py: a bare FastAPI app streaming SSE frames.

    .venv/bin/python bench/stream_reference.py --port PORT --events FILE.jsonl

Loads ``TaskEvent``s (one JSON per line, as the real server sent them) and serves
``GET /events``: ``retry``, then each event framed by the real server's own
``EventFrame.of`` (server/event_frames.py: the same pydantic model JSON, ``exclude_none``,
dumped per read), in chunks of
the real server's ``REPLAY_BATCH``. No auth, no store, no platform: the floor the real
runner -> SSE path is measured against. Run in a child process by bench/stream.py,
under uvicorn with the real server's settings (server/serve.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, StreamingResponse

from monstrum_tui.client.models import TaskEvent
from monstrum_tui.server.event_frames import EventFrame
from monstrum_tui.server.services.events import REPLAY_BATCH


def make_app(events: list[TaskEvent]) -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/events")
    async def stream() -> StreamingResponse:
        async def frames() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            for i in range(0, len(events), REPLAY_BATCH):
                yield "".join([EventFrame.of(e).text for e in events[i:i + REPLAY_BATCH]])

        return StreamingResponse(frames(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--events", type=Path, required=True)
    args = parser.parse_args()
    events = [TaskEvent.model_validate_json(line)
              for line in args.events.read_text().splitlines() if line]
    config = uvicorn.Config(make_app(events), host="127.0.0.1", port=args.port,
                            log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
