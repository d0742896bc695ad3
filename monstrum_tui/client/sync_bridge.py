"""Runs the async client's coroutines from synchronous code, on a private event loop.

The sync ``Client`` is not a second implementation: every call goes through the
same ``AsyncClient`` code, executed on a loop that lives in a daemon thread.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

from .pagination import AsyncPager

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("this client is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="monstrum-client-loop", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for its result."""
        try:
            if self._thread is not None and threading.current_thread() is self._thread:
                raise RuntimeError("the sync client cannot be called from its own loop")
            loop = self.loop
        except RuntimeError:
            coro.close()  # never scheduled: close it so Python does not warn "never awaited"
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def iterate(self, aiter: AsyncIterator[T]) -> Iterator[T]:
        """Drive an async iterator from sync code, closing it if the caller stops early."""
        try:
            while True:
                try:
                    yield self.run(aiter.__anext__())  # type: ignore[arg-type]
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(aiter, "aclose", None)
            if aclose is not None and self._loop is not None and not self._loop.is_closed():
                try:
                    self.run(aclose())
                except Exception:
                    pass

    def stop(self) -> None:
        """Finish open async generators, stop the loop and its thread; idempotent."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            self._closed = True
        if loop is None:
            return
        if thread is not None and thread is not threading.current_thread():
            try:
                asyncio.run_coroutine_threadsafe(loop.shutdown_asyncgens(), loop).result(5)
            except Exception:
                pass  # best effort: the loop is going away either way
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        loop.close()


class SyncPager(Iterator[T]):
    """The sync face of an ``AsyncPager``: iterate items, or ``first_page()``."""

    def __init__(self, pager: AsyncPager[Any], runner: LoopThread) -> None:
        self._pager = pager
        self._runner = runner
        self._iter: Iterator[T] | None = None

    def __iter__(self) -> Iterator[T]:
        return self._runner.iterate(self._pager.__aiter__())

    def __next__(self) -> T:
        if self._iter is None:
            self._iter = iter(self)
        return next(self._iter)

    def first_page(self) -> Any:
        return self._runner.run(self._pager.page())

    def pages(self) -> Iterator[Any]:
        return self._runner.iterate(self._pager.pages())

    def to_list(self) -> list[T]:
        return list(self)


class SyncProxy:
    """Wraps an async namespace: coroutine results are awaited, async iterators made sync."""

    def __init__(self, target: Any, runner: LoopThread) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name.startswith("_"):
            return attr
        if callable(attr):
            def call(*args: Any, **kwargs: Any) -> Any:
                return self._adapt(attr(*args, **kwargs))

            call.__name__ = name
            call.__doc__ = attr.__doc__
            return call
        if _is_namespace(attr):
            return SyncProxy(attr, self._runner)
        return attr

    def _adapt(self, result: Any) -> Any:
        if inspect.iscoroutine(result):
            return self._adapt(self._runner.run(result))
        if isinstance(result, AsyncPager):
            return SyncPager(result, self._runner)
        if isinstance(result, AsyncIterator):
            return self._runner.iterate(result)
        return result

    def __dir__(self) -> list[str]:
        return [n for n in dir(self._target) if not n.startswith("_")]

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"


def _is_namespace(obj: Any) -> bool:
    from .namespace import Namespace

    return isinstance(obj, Namespace)
