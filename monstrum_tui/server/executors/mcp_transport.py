"""How the platform reaches an MCP server: a stdio child or Streamable HTTP, both bounded.

The SDK's own stdio transport buffers a line of any length and sends the child's
stderr to ours; a server could then exhaust memory with one endless line, or write a
credential into the platform's log. ``bounded_stdio`` is the same protocol with:

- the environment it is given and nothing else (no server variable is inherited);
- messages capped at ``max_message_bytes`` (a longer one ends the session, and
  ``Peer.problem`` says why);
- stderr kept only as a short tail (``Peer.stderr_tail``), for the error a failed start
  shows after redaction, never logged;
- its own process group, stopped with SIGTERM then SIGKILL when the session ends.

Over HTTP the response bodies are capped the same way (``bounded_http_client``), no
redirect leaves the endpoint (the SDK's rule) and no proxy variable is honoured.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp.client._transport import TransportStreams
from mcp.shared.message import SessionMessage

#: bytes of stderr kept for an error message
STDERR_TAIL_BYTES = 2048
#: seconds a stopping server gets after its stdin closes, then after SIGTERM
STOP_GRACE_S = 1.0


class MessageTooLarge(Exception):
    """The MCP server sent more than the platform reads in one message."""


@dataclass
class Peer:
    """What the transport learned about the server that the session reports."""

    problem: str | None = None
    stderr: bytearray = field(default_factory=bytearray)
    #: whether older stderr was dropped
    stderr_cut: bool = False
    pid: int | None = None

    def keep_stderr(self, chunk: bytes) -> None:
        """Add to the kept tail. Past ``STDERR_TAIL_BYTES`` the oldest whole lines go: a
        line is kept whole or not at all, so a cut never leaves the end of a secret the
        redactor could no longer recognise (a line longer than the tail is dropped)."""
        self.stderr += chunk
        if len(self.stderr) > STDERR_TAIL_BYTES:
            del self.stderr[: len(self.stderr) - STDERR_TAIL_BYTES]
            end = self.stderr.find(b"\n")
            del self.stderr[: end + 1 if end >= 0 else len(self.stderr)]
            self.stderr_cut = True

    def stderr_tail(self) -> str:
        return self.stderr.decode("utf-8", errors="replace").strip()


def _parse(line: bytes) -> SessionMessage | Exception:
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:
        return ValueError(f"the MCP server wrote a line that is not JSON-RPC: {exc}")


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@asynccontextmanager
async def bounded_stdio(
    command: str, args: list[str], env: dict[str, str], cwd: str | None,
    max_message_bytes: int, peer: Peer,
) -> AsyncIterator[TransportStreams]:
    """Run ``command`` and speak newline-delimited JSON-RPC over its stdin and stdout."""
    process = await anyio.open_process(
        [command, *args], env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )
    peer.pid = process.pid
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)
    assert process.stdout is not None and process.stdin is not None
    assert process.stderr is not None
    # locals, so the narrowing above holds inside the readers and the writer
    stdout, stdin, stderr = process.stdout, process.stdin, process.stderr

    async def read_stdout() -> None:
        buffer = bytearray()
        async with read_writer:
            with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError,
                                     anyio.BrokenResourceError, OSError):
                while True:
                    chunk = await stdout.receive(65536)
                    buffer += chunk
                    while (end := buffer.find(b"\n")) >= 0:
                        line = bytes(buffer[:end])
                        del buffer[: end + 1]
                        if line.strip():
                            await read_writer.send(_parse(line))
                    if len(buffer) > max_message_bytes:
                        peer.problem = (f"the MCP server sent a message larger than "
                                        f"{max_message_bytes // 1024} KiB; the session was ended")
                        return

    async def read_stderr() -> None:
        with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError,
                                 anyio.BrokenResourceError, OSError):
            while True:
                peer.keep_stderr(await stderr.receive(65536))

    async def write_stdin() -> None:
        async with write_reader:
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError,
                                     OSError):
                async for message in write_reader:
                    text = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await stdin.send((text + "\n").encode("utf-8"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_stdout)
        tg.start_soon(read_stderr)
        tg.start_soon(write_stdin)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                await _stop(process)
            tg.cancel_scope.cancel()


async def _stop(process: Any) -> None:
    """Close stdin, give the server a moment, then end its whole process group."""
    with contextlib.suppress(Exception):
        await process.stdin.aclose()
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            _signal_group(process.pid, sig)
        with anyio.move_on_after(STOP_GRACE_S):
            while process.returncode is None:
                await anyio.sleep(0.02)
        if process.returncode is not None:
            break
    _signal_group(process.pid, signal.SIGKILL)  # children it left behind
    with anyio.move_on_after(STOP_GRACE_S), contextlib.suppress(Exception):
        await process.aclose()  # reaps it and closes the pipes and their transport


class _BoundedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, cap: int) -> None:
        self._inner = inner
        self._cap = cap

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._cap:
                raise MessageTooLarge(
                    f"the MCP server sent a response larger than {self._cap // 1024} KiB"
                )
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _BoundedTransport(httpx2.AsyncBaseTransport):
    """Responses whose bodies stop at ``cap`` bytes (an error past it)."""

    def __init__(self, cap: int) -> None:
        self._inner = httpx2.AsyncHTTPTransport(retries=0)
        self._cap = cap

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        return httpx2.Response(
            response.status_code, headers=response.headers,
            stream=_BoundedStream(response.stream, self._cap), request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def bounded_http_client(
    headers: dict[str, str], timeout: float, max_message_bytes: int
) -> httpx2.AsyncClient:
    """An HTTP client for one MCP endpoint: its headers, bounded bodies, no proxies."""
    return httpx2.AsyncClient(
        headers=headers, timeout=httpx2.Timeout(timeout, connect=min(10.0, timeout)),
        transport=_BoundedTransport(max_message_bytes), follow_redirects=False,
        trust_env=False,
    )
