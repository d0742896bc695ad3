"""The OpenAI-compatible provider against a local server that speaks chat completions."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import monstrum

API_KEY = "sk-test-" + "k3y" * 6


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _tool_delta(index: int, call_id: str | None, name: str | None, args: str) -> dict[str, Any]:
    part: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if call_id:
        part.update(id=call_id, type="function")
        part["function"]["name"] = name
    return {"tool_calls": [part]}


class FakeChatServer:
    """Answers POST /v1/chat/completions with scripted streamed turns; records requests."""

    def __init__(self, turns: list[Any]) -> None:
        self.turns = turns
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append({"headers": dict(self.headers), "body": body})
                turn = fake.turns[min(len(fake.requests), len(fake.turns)) - 1]
                if isinstance(turn, tuple):
                    status, payload = turn
                    data = json.dumps(payload).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in [*turn, "[DONE]"]:
                    text = chunk if isinstance(chunk, str) else json.dumps(chunk)
                    frame = f"data: {text}\n\n".encode()
                    self.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
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


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("alpha\n")
    (root / "secret.txt").write_text("top secret\n")
    return root


def test_streamed_tokens_tool_calls_and_denials_fed_back(new_server, files) -> None:
    turns = [
        [
            _chunk({"role": "assistant", "content": "Let me "}),
            _chunk({"content": "look."}),
            _chunk(_tool_delta(0, "call_a", "read_file", '{"pa')),
            _chunk(_tool_delta(0, None, None, 'th": "secret.txt"}')),
            _chunk(_tool_delta(1, "call_b", "list_files", '{"path": "docs"}')),
            _chunk({}, "tool_calls"),
        ],
        [_chunk({"content": "Done: docs has a.txt"}), _chunk({}, "stop")],
    ]
    fake = FakeChatServer(turns)
    try:
        srv = new_server(OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=fake.base_url)
        with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
            res = c.resources.create(type="filesystem", name="fs", config={"root": str(files)})
            bot = c.bots.create(
                name="llm-bot", model="gpt-4o-mini", allowed_operations=["files.read"],
                resource_bindings=[{"resource_id": res.id, "allowed_tools": ["list_*", "read_*"],
                                    "scope_constraints": {"paths": ["docs", "docs/*"]}}],
            )
            events = list(c.tasks.stream(bot_id=bot.id, input="what is in docs?"))
        types = [e.type for e in events]
        assert types == ["started", "message", "message", "denied", "tool_call", "result",
                         "message", "complete"]
        assert [(e.text, e.turn) for e in events if e.type == "message"] == [
            ("Let me ", 1), ("look.", 1), ("Done: docs has a.txt", 2)]  # chunks of one turn
        assert events[3].tool_name == "read_file" and events[3].params == {"path": "secret.txt"}
        assert events[4].params == {"path": "docs"}
        assert events[-1].output == "Done: docs has a.txt"

        first, second = fake.requests
        assert first["headers"]["Authorization"] == f"Bearer {API_KEY}"
        assert first["body"]["model"] == "gpt-4o-mini" and first["body"]["stream"] is True
        offered = {t["function"]["name"] for t in first["body"]["tools"]}
        assert offered == {"list_files", "read_file"}  # the tools its binding allows
        messages = second["body"]["messages"]
        assert messages[2]["role"] == "assistant"
        assert [c["id"] for c in messages[2]["tool_calls"]] == ["call_a", "call_b"]
        denial = json.loads(messages[3]["content"])
        assert messages[3]["tool_call_id"] == "call_a"
        assert denial["denied"] is True and denial["check"] == "scope"
        assert "secret.txt" in denial["reason"]
        result = json.loads(messages[4]["content"])
        assert result["ok"] is True and "a.txt" in json.dumps(result["data"])
    finally:
        fake.stop()


def test_provider_errors_fail_the_task_without_leaking_the_key(new_server) -> None:
    fake = FakeChatServer([(401, {"error": {"message": f"Incorrect API key {API_KEY}"}})])
    try:
        srv = new_server(OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=fake.base_url)
        with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
            bot = c.bots.create(name="bad-key-bot", model="gpt-4o")
            task = c.tasks.run(bot_id=bot.id, input="hi")
            events = list(c.tasks.events(task_id=task.id))
        assert task.status == "failed" and "401" in task.error
        assert API_KEY not in task.error and "***" in task.error
        assert not [e for e in events if API_KEY in e.model_dump_json()]
    finally:
        fake.stop()


def test_a_model_without_a_provider_says_what_to_set(new_server) -> None:
    srv = new_server()
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        bot = c.bots.create(name="no-provider-bot", model="gpt-4o")
        task = c.tasks.run(bot_id=bot.id, input="hi")
    assert task.status == "failed"
    assert "OPENAI_API_KEY" in task.error and "OPENAI_BASE_URL" in task.error
