"""A hostile upstream on loopback for the attack tests: it records every request it is sent
(any method, the raw request target as it came off the socket) and answers whatever the
test scripts, so a test can make it echo a credential back in any encoding or answer with
an error body of any length.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class SeenRequest:
    """One request exactly as the upstream received it."""

    method: str
    #: the raw request target (path and query, still percent-encoded)
    target: str
    headers: dict[str, str]
    body: str

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "target": self.target, "headers": self.headers,
                "body": self.body}


#: (request) -> (status, content type, body)
Responder = Callable[[SeenRequest], tuple[int, str, bytes]]


def echo_json(seen: SeenRequest) -> tuple[int, str, bytes]:
    """200 with the request echoed back as JSON (headers, query and body included)."""
    return 200, "application/json", json.dumps({"echo": seen.as_dict()}).encode("utf-8")


@dataclass
class HostileUpstream:
    """Records what it is sent; ``respond`` decides each answer (echo by default)."""

    respond: Responder = echo_json
    requests: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        upstream = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                seen = SeenRequest(
                    method=self.command, target=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=raw.decode("utf-8", errors="replace"),
                )
                with lock:
                    upstream.requests.append(seen)
                status, content_type, payload = upstream.respond(seen)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
