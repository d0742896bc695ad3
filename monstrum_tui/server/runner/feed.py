"""What other server processes sharing the database did: events stored, tasks queued,
cancels asked.

The store is the truth; this only says *when* to look. On PostgreSQL each such write
also sends a ``NOTIFY`` (``store/tasks.py``) and ``PostgresFeed`` listens on its own
connection, in a thread, handing each payload to the event loop at once. NOTIFY is
best-effort (a notification sent while the listener reconnects is lost), so every
consumer also looks at the store on a short poll (``POLL_S``); on SQLite, where there
is no NOTIFY, that poll is all there is.

Payloads: ``e:TASK_ID`` (events stored for a task), ``q`` (a task queued or handed
back), ``c:TASK_ID`` (a cancel asked for a task).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url

from ..store.tasks import NOTIFY_CHANNEL

log = logging.getLogger("monstrum.runner")

#: seconds between looks at the store when no notification arrives
POLL_S = 0.5

Handler = Callable[[str], None]


class EventFeed:
    """No notifications (SQLite, or a single process): consumers rely on their poll."""

    listening = False

    def start(self, loop: asyncio.AbstractEventLoop, handler: Handler) -> None:
        return None

    def stop(self) -> None:
        return None


class PostgresFeed(EventFeed):
    """``LISTEN`` on a dedicated connection, in a daemon thread; reconnects on failure."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def listening(self) -> bool:  # type: ignore[override]
        return self._thread is not None and self._thread.is_alive()

    def start(self, loop: asyncio.AbstractEventLoop, handler: Handler) -> None:
        self._thread = threading.Thread(
            target=self._listen, args=(loop, handler), name="monstrum notify listener",
            daemon=True,
        )
        self._thread.start()

    def _connect(self) -> Any:
        import psycopg

        parsed = make_url(self._url)
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(dsn, autocommit=True)
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def _listen(self, loop: asyncio.AbstractEventLoop, handler: Handler) -> None:
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:
                log.warning("task feed: cannot LISTEN (%s); polling the store only", exc)
                self._stop.wait(5.0)
                continue
            try:
                while not self._stop.is_set():
                    for note in conn.notifies(timeout=1.0):
                        if loop.is_closed():
                            return
                        loop.call_soon_threadsafe(handler, note.payload)
                        if self._stop.is_set():
                            break
            except Exception as exc:
                if not self._stop.is_set():
                    log.warning("task feed: the LISTEN connection failed (%s); reconnecting",
                                exc)
            finally:
                try:
                    conn.close()
                except Exception:  # pragma: no cover - already broken
                    pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)


def feed_for(url: str) -> EventFeed:
    """The feed a store at ``url`` can give."""
    return PostgresFeed(url) if make_url(url).get_backend_name() == "postgresql" else EventFeed()
