"""A TCP proxy in front of the real server whose connections a test can cut at will."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable


class CuttableProxy:
    """Forwards 127.0.0.1:port to a target port; ``cut()`` drops every open connection.

    ``drop_replies(n)`` loses the next ``n`` answers: the server gets (and handles) the
    request, the client sees its connection drop before any byte of the answer.
    ``target_port`` may be changed between connections (another server behind it).
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.connections = 0
        self.dropped_replies = 0
        self._replies_to_drop = 0
        self._then_target: int | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CuttableProxy:
        self._thread.start()
        self._call(self._start)
        return self

    def cut(self) -> None:
        """Close every connection through the proxy now (new ones are still accepted)."""
        self._call(self._cut)

    def drop_replies(self, count: int = 1, *, then_target: int | None = None) -> None:
        """Swallow the next ``count`` answers from the server, cutting their connections;
        with ``then_target``, connections made after that go to that port."""
        self._then_target = then_target
        self._replies_to_drop = count

    def stop(self) -> None:
        self._call(self._stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _call(self, fn: Callable[[], object]) -> None:
        asyncio.run_coroutine_threadsafe(fn(), self._loop).result(10)  # type: ignore[arg-type]

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _stop(self) -> None:
        await self._cut()
        if self._server is not None:
            self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, up_writer})

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool = False
        ) -> None:
            try:
                while data := await src.read(65536):
                    if upstream and self._replies_to_drop > 0:
                        self._replies_to_drop -= 1
                        self.dropped_replies += 1
                        if self._replies_to_drop == 0 and self._then_target is not None:
                            self.target_port = self._then_target
                        writer.transport.abort()
                        up_writer.transport.abort()
                        return
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer, upstream=True))
        self._writers.difference_update({writer, up_writer})
