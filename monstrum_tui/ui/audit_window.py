"""The rows the Audit table can show, without holding them all: a window of server pages.

Row ``i`` (newest first) is either one of the live-tail arrivals (``head``, on top)
or row ``i - len(head)`` of the paged listing, which lives on page
``(i - len(head)) // page_size``. Only a few pages are kept (an LRU); any page can
be fetched again from its start cursor, and every page's start cursor is kept
(one short string per page) so scrolling back never walks from the top.

Page 0 (listing from no cursor) is pinned: once live-tail entries arrive above
it, fetching "the first page" again would return them too and shift every row.
Keyset cursors of the later pages are not disturbed by new entries.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ..client.models import AuditEntry

PAGE_SIZE = 100
#: pages kept in memory (page 0 included): a screenful plus neighbours, a few times over
MAX_PAGES = 8
#: live-tail arrivals kept above page 0; beyond this the view restarts from the newest
HEAD_LIMIT = 1_000


@dataclass(frozen=True)
class PageRequest:
    """A page the view needs: its number, its start cursor, and the view generation."""

    generation: int
    index: int
    cursor: str | None


class AuditWindow:
    """Which audit rows exist (as far as known), which are in memory, what to fetch next."""

    def __init__(
        self, *, page_size: int = PAGE_SIZE, max_pages: int = MAX_PAGES,
        head_limit: int = HEAD_LIMIT,
    ) -> None:
        if max_pages < 2:
            raise ValueError("max_pages must be at least 2 (page 0 is pinned)")
        self.page_size = page_size
        self.max_pages = max_pages
        self.head_limit = head_limit
        self.generation = 0
        self.reset()

    def reset(self) -> None:
        """Forget every row (a new filter, a reload); results of older requests are ignored."""
        self.generation += 1
        self.head: list[AuditEntry] = []
        self.cursors: list[str | None] = [None]
        self.pages: OrderedDict[int, list[AuditEntry]] = OrderedDict()
        self.pending: set[int] = set()
        self.complete = False
        self.last_len = 0
        self.first_loaded = False

    # --- what is there ---------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows the view can scroll over: loaded or known to exist (placeholders)."""
        if not self.first_loaded:
            return len(self.head)
        if self.complete:
            listed = (len(self.cursors) - 1) * self.page_size + self.last_len
        else:
            listed = len(self.cursors) * self.page_size
        return len(self.head) + listed

    @property
    def loaded_rows(self) -> int:
        """Entries held in memory (the bound the window keeps)."""
        return len(self.head) + sum(len(p) for p in self.pages.values())

    def entry(self, row: int) -> AuditEntry | None:
        """The entry on ``row``, or None while its page is not in memory."""
        if row < 0:
            return None
        if row < len(self.head):
            return self.head[row]
        index, offset = divmod(row - len(self.head), self.page_size)
        page = self.pages.get(index)
        if page is None:
            return None
        self.pages.move_to_end(index)
        return page[offset] if offset < len(page) else None

    def page_of(self, row: int) -> int | None:
        """The page holding ``row`` (None for live-tail rows)."""
        if row < len(self.head):
            return None
        return (row - len(self.head)) // self.page_size

    @property
    def newest(self) -> AuditEntry | None:
        """The newest entry shown: where a live tail continues from."""
        if self.head:
            return self.head[0]
        first = self.pages.get(0)
        return first[0] if first else None

    # --- what to fetch ---------------------------------------------------------

    def wanted(self, first_row: int, last_row: int, *, margin: int = 1) -> list[PageRequest]:
        """Pages covering rows ``first_row..last_row`` (plus ``margin`` pages either side)
        that are neither in memory nor on their way; marks them pending."""
        if not self.first_loaded:
            pages = [0]
        else:
            low = self.page_of(max(first_row, len(self.head))) or 0
            high = self.page_of(max(last_row, len(self.head))) or 0
            pages = list(range(max(0, low - margin), high + margin + 1))
        requests = []
        for index in pages:
            if index >= len(self.cursors) or index in self.pages or index in self.pending:
                continue
            self.pending.add(index)
            requests.append(PageRequest(self.generation, index, self.cursors[index]))
        return requests

    # --- what arrived ----------------------------------------------------------

    def store_page(
        self, request: PageRequest, entries: list[AuditEntry], next_cursor: str | None,
        *, visible: set[int] | None = None,
    ) -> bool:
        """Keep a fetched page; False if it belongs to an older generation (ignored)."""
        if request.generation != self.generation:
            return False
        index = request.index
        self.pending.discard(index)
        self.pages[index] = entries
        self.pages.move_to_end(index)
        if index == 0:
            self.first_loaded = True
        if next_cursor and entries:
            if len(self.cursors) == index + 1:
                self.cursors.append(next_cursor)
        else:
            self.complete = True
            self.last_len = len(entries)
            del self.cursors[index + 1:]
        self._evict(visible or set())
        return True

    def page_failed(self, request: PageRequest) -> None:
        """A fetch failed: the page may be asked for again."""
        if request.generation == self.generation:
            self.pending.discard(request.index)

    def _evict(self, visible: set[int]) -> None:
        """Drop least recently used pages beyond the bound; never page 0 or a visible page."""
        for index in list(self.pages):
            if len(self.pages) <= self.max_pages:
                break
            if index != 0 and index not in visible:
                del self.pages[index]

    def prepend(self, entries: list[AuditEntry]) -> bool:
        """Put live-tail arrivals (newest first) on top; False when the head would grow past
        its bound (the caller restarts the view from the newest instead)."""
        known = {e.id for e in self.head[:len(entries)]}
        fresh = [e for e in entries if e.id not in known]
        if len(self.head) + len(fresh) > self.head_limit:
            return False
        self.head[:0] = fresh
        return True
