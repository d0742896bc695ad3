"""Runs the async client's coroutines from synchronous code, on a private event loop.

The sync ``Client`` is not a second implementation: every call goes through the same
``AsyncClient`` code, executed on a loop that lives in a daemon thread. The
``SyncBridge`` owns that loop and the ``AsyncClient``; everything the sync client hands
out (namespaces, pagers, streams) holds the bridge, so the loop lives exactly as long as
something made from the client is reachable, and stops when the last of them goes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from .models import Page, TaskEvent
from .pagination import AsyncPager

if TYPE_CHECKING:
    from .async_client import AsyncClient
    from .sse import TaskEventStream

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

LOOP_THREAD_NAME = "monstrum-client-loop"
#: how long closing waits for the loop thread to finish its cleanup
JOIN_TIMEOUT_S = 10.0


class LoopThread:
    """An event loop running in a daemon thread until ``stop()``."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        self._closed = False
        self._final: Callable[[], Awaitable[None]] | None = None
        # the thread refers to this object only, never to what uses it, so a client
        # that is no longer reachable can be collected while its loop is running
        self._thread = threading.Thread(target=self._main, name=LOOP_THREAD_NAME, daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for its result."""
        if threading.current_thread() is self._thread:
            coro.close()  # never scheduled: close it so Python does not warn "never awaited"
            raise RuntimeError("the sync client cannot be called from its own event loop")
        with self._lock:
            if self._closed:
                coro.close()
                raise RuntimeError("this client is closed")
            future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            if self._closed:
                raise RuntimeError("this client was closed during the call") from None
            raise
        except BaseException:
            # Ctrl-C (KeyboardInterrupt) or SystemExit in the caller's thread: the request
            # must not go on running (and retrying) on the loop behind the caller's back
            future.cancel()
            raise

    def stop(self, final: Callable[[], Awaitable[None]] | None = None) -> None:
        """Stop the loop (after ``final``, e.g. closing connections) and its thread.

        Idempotent, and safe from any thread, the loop's own included (then it does not
        wait for the thread, which ends right after).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._final = final
            self._loop.call_soon_threadsafe(self._loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(JOIN_TIMEOUT_S)

    def _main(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            # closing: calls still in flight are cancelled (their callers get an error),
            # open streams are finished, then the connections closed
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            if self._final is not None:
                try:
                    loop.run_until_complete(self._final())
                except Exception:
                    pass  # best effort: the loop is going away either way
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


async def _call(factory: Callable[[], T]) -> T:
    return factory()


async def _next(aiter: AsyncIterator[T]) -> T:
    return await aiter.__anext__()


class SyncBridge:
    """An ``AsyncClient`` on its own loop thread, for sync code.

    Closed by ``close()``, or when nothing refers to it any more (then the garbage
    collector, or at the latest the interpreter's exit, stops its thread).
    """

    def __init__(self, factory: Callable[[], AsyncClient]) -> None:
        self._loop = LoopThread()
        try:
            # the httpx client is made on the loop that will use it
            self.client: AsyncClient = self._loop.run(_call(factory))
        except BaseException:
            self._loop.stop()  # no key, bad config...: do not leave the loop thread behind
            raise
        # the callback holds the loop and the async client, never the bridge itself
        self._finalizer = weakref.finalize(self, self._loop.stop, self.client.aclose)

    @property
    def closed(self) -> bool:
        return self._loop.closed

    @property
    def thread(self) -> threading.Thread:
        return self._loop.thread

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coro)

    def iterate(self, aiter: AsyncIterator[T]) -> Generator[T, None, None]:
        """Drive an async iterator from sync code, closing it if the caller stops early."""
        try:
            while True:
                try:
                    item = self._loop.run(_next(aiter))
                except StopAsyncIteration:
                    return
                yield item
        finally:
            aclose = getattr(aiter, "aclose", None)
            if (
                aclose is not None
                and not self._loop.closed
                and threading.current_thread() is not self._loop.thread
            ):
                try:
                    self._loop.run(aclose())
                except Exception:
                    pass

    def close(self) -> None:
        self._finalizer()


class SyncPager(Generic[M]):
    """The sync face of an ``AsyncPager``: iterate every item, or take pages."""

    def __init__(self, bridge: SyncBridge, pager: AsyncPager[M]) -> None:
        self._bridge = bridge
        self._pager = pager
        self._iter: Iterator[M] | None = None

    def __iter__(self) -> Iterator[M]:
        return self._bridge.iterate(self._pager.__aiter__())

    def __next__(self) -> M:
        if self._iter is None:
            self._iter = iter(self)
        return next(self._iter)

    def first_page(self) -> Page[M]:
        """One request: the first page (``data`` and ``next_cursor``)."""
        return self._bridge.run(self._pager.page())

    def page(self, cursor: str | None = None) -> Page[M]:
        """The page starting at ``cursor`` (a ``next_cursor``), or the first."""
        return self._bridge.run(self._pager.page(cursor))

    def pages(self) -> Iterator[Page[M]]:
        """Every page, in order."""
        return self._bridge.iterate(self._pager.pages())

    def to_list(self) -> list[M]:
        """All items, collected."""
        return [*self]


class SyncTaskEventStream:
    """The sync face of a ``TaskEventStream``: iterate a task's events, resuming on drops."""

    def __init__(self, bridge: SyncBridge, stream: TaskEventStream) -> None:
        self._bridge = bridge
        self._stream = stream
        self._iter = bridge.iterate(stream)

    @property
    def task_id(self) -> str:
        return self._stream.task_id

    @property
    def last_seq(self) -> int | None:
        """The seq of the last event yielded."""
        return self._stream.last_seq

    @property
    def finished(self) -> bool:
        """Whether the task's terminal event was seen."""
        return self._stream.finished

    def __iter__(self) -> SyncTaskEventStream:
        return self

    def __next__(self) -> TaskEvent:
        return next(self._iter)

    def close(self) -> None:
        """Stop following and close the connection."""
        self._iter.close()

    def __enter__(self) -> SyncTaskEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
