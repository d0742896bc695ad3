"""Noticing that the terminal went away (SSH dropped, tmux pane killed), so we exit.

Two signs, either is enough: a SIGHUP, or the terminal's file descriptor
reporting a hang-up or error. Without this a dashboard whose terminal vanished
could keep running (and its input thread spin on a dead descriptor).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable

_DEAD = select.POLLHUP | select.POLLERR | select.POLLNVAL


class HangupWatch:
    """Calls ``on_hangup`` once, on the event loop, when the terminal goes away."""

    def __init__(self, on_hangup: Callable[[], None], fd: int | None = None) -> None:
        self._on_hangup = on_hangup
        self._fd = sys.__stdin__.fileno() if fd is None and sys.__stdin__ else fd
        self._fired = False
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Install the SIGHUP handler and start watching the terminal's descriptor."""
        self._loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            self._loop.add_signal_handler(signal.SIGHUP, self._fire)
        if self._fd is not None:
            threading.Thread(target=self._watch_fd, name="hangup-watch", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._loop is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.remove_signal_handler(signal.SIGHUP)

    def _fire(self) -> None:
        if not self._fired:
            self._fired = True
            self._on_hangup()

    def _watch_fd(self) -> None:
        poller = select.poll()
        assert self._fd is not None
        poller.register(self._fd, _DEAD)
        while not self._stop.is_set():
            try:
                events = poller.poll(500)
            except OSError:
                events = [(self._fd, select.POLLERR)]
            if any(mask & _DEAD for _fd, mask in events) or not _is_open(self._fd):
                if self._loop is not None and not self._loop.is_closed():
                    with contextlib.suppress(RuntimeError):
                        self._loop.call_soon_threadsafe(self._fire)
                return


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
