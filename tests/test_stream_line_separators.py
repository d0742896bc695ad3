"""U+2028, U+2029, U+0085 and the other line-separator lookalikes, through the real server.

They reach an event in every field a user controls (a say text, tool params, a file's
name and content, an error, the output) and must come out of the SDK's stream unchanged,
sync and async, and out of an OpenAI-compatible provider's stream into the task.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import monstrum
from tests.test_sse_parser import LOOKALIKES

#: every lookalike at once, between ordinary characters
ODD = "a" + "b".join(LOOKALIKES) + "z"


@pytest.fixture
def odd_files(tmp_path: Path) -> Path:
    root = tmp_path / "odd"
    root.mkdir()
    (root / f"note{ODD}.txt").write_text(f"first{ODD}\nsecond {ODD}\n", encoding="utf-8")
    return root


def odd_bot(client, root: Path, model: str = "scripted"):
    res = client.resources.create(type="filesystem", name="odd-fs", config={"root": str(root)})
    return client.bots.create(
        name="odd-bot", model=model, allowed_operations=["files.read"],
        resource_bindings=[{"resource_id": res.id, "allowed_tools": ["read_file"],
                            "scope_constraints": {"paths": ["*"]}}],
    )


def odd_input() -> str:
    name = f"note{ODD}.txt"
    return "\n".join([
        f"say hello {ODD}",
        # the params once as JSON escapes, once as the raw characters
        f"call read_file {json.dumps({'path': name})}",
        f"call read_file {json.dumps({'path': name}, ensure_ascii=False)}",
        f"call read_file {json.dumps({'path': f'missing{ODD}'}, ensure_ascii=False)}",
    ])


def check_events(events: list[Any]) -> None:
    name = f"note{ODD}.txt"
    assert [e.type for e in events] == [
        "started", "message", "tool_call", "result", "tool_call", "result", "tool_call",
        "error", "complete",
    ]
    assert [e.seq for e in events] == list(range(1, 10))
    assert events[1].text == f"hello {ODD}"
    for call, result in ((events[2], events[3]), (events[4], events[5])):
        assert call.params == {"path": name}
        assert result.data["path"] == name
        assert result.data["content"] == f"first{ODD}\nsecond {ODD}\n"
    assert events[6].params == {"path": f"missing{ODD}"}
    assert f"missing{ODD}" in events[7].error
    assert events[-1].status == "completed" and events[-1].is_terminal


def test_the_sync_sdk_stream_carries_them_unchanged(server, client, odd_files) -> None:
    bot = odd_bot(client, odd_files)
    events = list(client.tasks.stream(bot_id=bot.id, input=odd_input(), metadata={"n": ODD}))
    check_events(events)
    task = client.tasks.get(task_id=events[0].task_id)
    assert task.metadata == {"n": ODD} and task.input == odd_input()

    # the premise: on the wire they are raw characters, which splitlines() would cut at
    auth = {"Authorization": f"Bearer {server.admin_key}"}
    raw = httpx.get(f"{server.url}/v1/tasks/{task.id}/events", headers=auth, timeout=30).text
    assert "\u2028" in raw and "\x85" in raw
    data_lines = [ln for ln in raw.splitlines() if ln.startswith("data: {")]
    broken = 0
    for line in data_lines:
        try:
            json.loads(line[6:])
        except ValueError:
            broken += 1
    assert broken > 0  # what aiter_lines() did to the SDK's stream


async def test_the_async_sdk_and_a_resumed_stream_carry_them_unchanged(
    aclient, client, odd_files
) -> None:
    bot = odd_bot(client, odd_files)
    task = await aclient.tasks.run(bot_id=bot.id, input=odd_input())
    assert task.status == "completed" and ODD in task.input
    check_events([e async for e in aclient.tasks.events(task_id=task.id)])
    later = [e async for e in aclient.tasks.events(task_id=task.id, after=3)]
    assert later[0].seq == 4 and later[0].data["content"] == f"first{ODD}\nsecond {ODD}\n"


def test_the_cli_follows_them(server, client, odd_files, capsys) -> None:
    from monstrum_tui.cli import main

    bot = odd_bot(client, odd_files)
    code = main(["--api-key", server.admin_key, "--api-base", server.url, "tasks", "run",
                 "--bot", bot.id, "--input", odd_input(), "--follow", "--json"])
    assert code == 0
    lines = capsys.readouterr().out.strip().split("\n")
    events = [json.loads(line) for line in lines]
    assert events[1]["text"] == f"hello {ODD}"
    assert events[2]["params"] == {"path": f"note{ODD}.txt"}


class RawChatServer:
    """Speaks chat completions, sending each turn as the raw bytes given (SSE framing
    included, cut into the given chunks), so the test controls every line end."""

    def __init__(self, turns: list[list[bytes]]) -> None:
        self.turns = turns
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append(body)
                chunks = fake.turns[min(len(fake.requests), len(fake.turns)) - 1]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in chunks:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _data(payload: dict[str, Any]) -> str:
    return "data: " + json.dumps(payload, ensure_ascii=False)


def _delta(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _cut(text: str, size: int) -> list[bytes]:
    raw = text.encode()
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def test_an_openai_compatible_stream_keeps_them_whatever_its_line_ends(
    new_server, odd_files
) -> None:
    name = f"note{ODD}.txt"
    args = json.dumps({"path": name}, ensure_ascii=False)
    first_turn = "\r\n".join([  # CRLF line ends, a comment, a BOM, data: without a space
        "\ufeff: hello",
        _data(_delta({"role": "assistant", "content": f"Reading {ODD}"})),
        "",
        "data:" + json.dumps(_delta({"tool_calls": [{
            "index": 0, "id": "call_1", "type": "function",
            "function": {"name": "read_file", "arguments": args[:9]},
        }]}), ensure_ascii=False),
        "",
        _data(_delta({"tool_calls": [{"index": 0, "function": {"arguments": args[9:]}}]})),
        "",
        _data(_delta({}, "tool_calls")),
        "",
        "data: [DONE]",
        "",
        "",
    ])
    second_turn = "\r".join([  # CR-only line ends, cut into 7-byte chunks
        _data(_delta({"content": f"Done {ODD}"})),
        "",
        _data(_delta({}, "stop")),
        "",
        "data: [DONE]",
        "",
        "",
    ])
    fake = RawChatServer([_cut(first_turn, 5), _cut(second_turn, 7)])
    try:
        srv = new_server(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.base_url)
        with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
            bot = odd_bot(c, odd_files, model="gpt-4o-mini")
            events = list(c.tasks.stream(bot_id=bot.id, input="read the odd note"))
        assert [e.type for e in events] == [
            "started", "message", "tool_call", "result", "message", "complete"]
        assert events[1].text == f"Reading {ODD}"
        assert events[2].params == {"path": name}
        assert events[3].data["content"] == f"first{ODD}\nsecond {ODD}\n"
        assert events[4].text == f"Done {ODD}" and events[-1].output == f"Done {ODD}"
        tool_message = fake.requests[1]["messages"][-1]
        assert json.loads(tool_message["content"])["data"]["path"] == name
    finally:
        fake.stop()
