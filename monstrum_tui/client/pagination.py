"""Cursor pagination: list calls return pagers that walk ``next_cursor`` on their own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from .models import Page

T = TypeVar("T", bound=BaseModel)

MAX_PAGE_SIZE = 100

FetchPage = Callable[[dict[str, Any]], Awaitable[Any]]


class AsyncPager(Generic[T]):
    """Iterate every item (``async for``), or ``await`` it for the first page.

    ``limit`` caps the number of items yielded in total; ``page_size`` is how many
    are asked for per request.
    """

    def __init__(
        self,
        fetch: FetchPage,
        model: type[T],
        params: dict[str, Any] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
    ) -> None:
        self._fetch = fetch
        self._model = model
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._limit = limit
        self._page_size = page_size or min(limit or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        self._cursor = cursor

    async def page(self, cursor: str | None = None) -> Page[T]:
        """Fetch one page, starting at ``cursor`` (or where this pager started)."""
        params = dict(self._params, limit=self._page_size)
        start = cursor if cursor is not None else self._cursor
        if start:
            params["cursor"] = start
        raw = await self._fetch(params)
        items = [self._model.model_validate(item) for item in raw.get("data", [])]
        return Page[self._model](data=items, next_cursor=raw.get("next_cursor"))  # type: ignore[name-defined]

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Every page, in order."""
        cursor = self._cursor
        while True:
            page = await self.page(cursor)
            yield page
            if not page.next_cursor or not page.data:
                return
            cursor = page.next_cursor

    async def _items(self) -> AsyncIterator[T]:
        count = 0
        async for page in self.pages():
            for item in page.data:
                if self._limit is not None and count >= self._limit:
                    return
                yield item
                count += 1
            if self._limit is not None and count >= self._limit:
                return

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.page().__await__()

    async def to_list(self) -> list[T]:
        """All items, collected."""
        return [item async for item in self]
