"""The Bots screen: every bot in a table, loaded page by page; filter, sort, open, change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from ...client.async_client import AsyncClient
from ...client.models import Bot
from ..cells import BOT_STATUS_STYLES, cell
from ..data_changes import DataChange
from ..query import QueryKey, QuerySyntax
from ..write_access import refuse
from .bot_actions import BOT_ACTION_BINDINGS, BOT_WRITE_ACTIONS, BotActions
from .list_screen import Column, ListScreen, SortOrder

#: bots per request, the most the server gives: 1,000 bots in three requests, so three
#: table updates and repaints (each page re-renders the rows on screen), not six
PAGE_SIZE = 500

COLUMNS: tuple[Column[Bot], ...] = (
    Column("name", "name", 18, lambda b, w: cell(b.name, w), flex=1),
    Column("id", "id", 22, lambda b, w: cell(b.id, w)),
    Column("model", "model", 10, lambda b, w: cell(b.model, w)),
    Column("status", "status", 6,
           lambda b, w: cell(b.status, w, style=BOT_STATUS_STYLES.get(b.status, ""))),
    Column("bindings", "binds", 5, lambda b, w: cell(len(b.resource_bindings), w, right=True)),
    Column("created", "created", 10,
           lambda b, w: cell(b.created_at.astimezone().strftime("%Y-%m-%d"), w),
           min_table_width=100),
)

SORT_ORDERS: tuple[SortOrder[Bot], ...] = (
    SortOrder("created", lambda b: (b.created_at, b.id)),
    SortOrder("name", lambda b: (b.name.lower(), b.id)),
    SortOrder("model", lambda b: (b.model.lower(), b.name.lower())),
    SortOrder("status", lambda b: (b.status, b.name.lower())),
    SortOrder("bindings", lambda b: (len(b.resource_bindings), b.name.lower())),
)

BOT_QUERY = QuerySyntax(
    keys=(
        QueryKey("status", "active or paused", choices=("active", "paused")),
        QueryKey("model", "the bot's model"),
    ),
    text_help="name, id, model, description",
)


class BotsScreen(BotActions, ListScreen[Bot]):
    """The list of bots."""

    SCREEN_TITLE = "Bots"
    CELLS_FOLLOW_ITEM = True
    CSS_PATH = "bots.tcss"
    LIST_ID = "bots"
    NOUN = "bot"
    QUERY = BOT_QUERY
    EMPTY_TEXT = "no bots yet: n creates one"
    WRITE_ACTIONS: ClassVar[dict[str, str]] = BOT_WRITE_ACTIONS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_bot", "Open", id="bots.open"),
        Binding("n", "create_bot", "New", id="bots.create"),
        *BOT_ACTION_BINDINGS,
    ]

    # --- the list ---------------------------------------------------------------

    def columns(self) -> Sequence[Column[Bot]]:
        return COLUMNS

    def sort_orders(self) -> Sequence[SortOrder[Bot]]:
        return SORT_ORDERS

    def key_of(self, item: Bot) -> str:
        return item.id

    def search_fields(self, item: Bot) -> Iterable[str]:
        return (item.name, item.id, item.model, item.status, item.description)

    def matches_term(self, item: Bot, key: str, value: str) -> bool:
        if key == "status":
            return item.status == value
        if key == "model":
            return value.casefold() in item.model.casefold()
        return True

    def values_of(self, key: QueryKey) -> Sequence[tuple[str, str]]:
        if key.name == "model":
            models = sorted({b.model for b in self.items.values()})
            return [(m, m) for m in models]
        return ()

    async def fetch(self, client: AsyncClient) -> AsyncIterator[list[Bot]]:
        async for page in client.bots.list(page_size=PAGE_SIZE).pages():
            yield page.data

    def current_bot(self) -> Bot | None:
        return self.current_item()

    def on_data_change(self, change: DataChange) -> None:
        if change.kind != "bot":
            return
        if change.deleted:
            self.items.pop(change.id, None)
        elif isinstance(change.value, Bot):
            self.items[change.id] = change.value
        self.render_rows(focus=change.id if not change.deleted else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = self.bot_action_allowed(action)
        if allowed is not True:
            return allowed
        return super().check_action(action, parameters)

    # --- actions ----------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table is self.table:
            self.action_open_bot()

    def action_open_bot(self) -> None:
        bot = self.current_item()
        if bot is not None:
            from .bot_detail import BotDetailScreen  # loaded on first use, not before paint

            self.app.push_screen(BotDetailScreen(bot))

    def action_create_bot(self) -> None:
        if not refuse(self, "create_bot", "creating a bot"):
            from .bot_form import BotFormScreen  # loaded on first use, not before paint

            self.app.push_screen(BotFormScreen(None), self._bot_saved)
