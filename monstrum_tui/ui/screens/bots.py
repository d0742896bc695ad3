"""The Bots screen: every bot in a table, loaded page by page; filter, sort, open, change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Input, Label

from ...client.errors import APIConnectionError, MonstrumError
from ...client.models import Bot
from ..connection import ConnectionStatus
from ..data_changes import DataChange
from ..widgets.keyed_table import KeyedTable
from .bot_actions import BOT_ACTION_BINDINGS, BotActionsScreen
from .bot_detail import BotDetailScreen
from .bot_form import BotFormScreen

NAME_WIDTH = 24
MODEL_WIDTH = 14
#: bots per request: big pages load 1,000 bots in a few requests, and the first paints at once
PAGE_SIZE = 200


class BotsLoaded(Message):
    """A page of bots arrived; ``first`` replaces what was shown, ``complete`` ends the load."""

    def __init__(self, bots: list[Bot], *, first: bool, complete: bool) -> None:
        super().__init__()
        self.bots = bots
        self.first = first
        self.complete = complete


class BotsLoadFailed(Message):
    """Loading stopped; ``error`` says why in words a user can act on."""

    def __init__(self, error: str, *, connection: bool) -> None:
        super().__init__()
        self.error = error
        self.connection = connection


@dataclass(frozen=True)
class SortOrder:
    column: str
    label: str
    key: Callable[[Bot], Any]


SORT_ORDERS: tuple[SortOrder, ...] = (
    SortOrder("created", "created", lambda b: (b.created_at, b.id)),
    SortOrder("name", "name", lambda b: (b.name.lower(), b.id)),
    SortOrder("model", "model", lambda b: (b.model.lower(), b.name.lower())),
    SortOrder("status", "status", lambda b: (b.status, b.name.lower())),
    SortOrder("bindings", "bindings", lambda b: (len(b.resource_bindings), b.name.lower())),
)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("id", "id"),
    ("model", "model"),
    ("status", "status"),
    ("bindings", "binds"),
    ("created", "created"),
)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def bot_cells(bot: Bot) -> tuple[Any, ...]:
    """One table row: name, id, model, status, bindings count, creation date."""
    status = Text(bot.status, style="green" if bot.status == "active" else "yellow")
    # user text goes in as Text: a plain str cell is parsed as markup, so a bot named
    # "[red]x" would be drawn red (or an unbalanced "[/" would break the row)
    return (
        Text(clip(bot.name, NAME_WIDTH)),
        bot.id,
        Text(clip(bot.model, MODEL_WIDTH)),
        status,
        Text(str(len(bot.resource_bindings)), justify="right"),
        bot.created_at.astimezone().strftime("%Y-%m-%d"),
    )


def bot_matches(bot: Bot, needle: str) -> bool:
    """Whether the filter text (case-insensitive) is in the bot's name, id, model or status."""
    if not needle:
        return True
    needle = needle.lower()
    return any(
        needle in field.lower()
        for field in (bot.name, bot.id, bot.model, bot.status, bot.description)
    )


class FilterInput(Input):
    """The ``/`` filter line; ``esc`` clears and closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close filter", id="bots.filter_close")
    ]

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("-shown")
        self.screen.query_one(DataTable).focus()


class BotsScreen(BotActionsScreen):
    """The list of bots."""

    SCREEN_TITLE = "Bots"
    CSS_PATH = "bots.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="bots.filter", key_display="/"),
        Binding("enter", "open_bot", "Open", id="bots.open"),
        Binding("n", "create_bot", "New", id="bots.create"),
        *BOT_ACTION_BINDINGS,
        Binding("s", "cycle_sort", "Sort", id="bots.sort", show=False),
        Binding("S", "reverse_sort", "Reverse sort", id="bots.sort_reverse", show=False),
        Binding("ctrl+r", "reload", "Reload", id="bots.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.bots: dict[str, Bot] = {}
        self.sort_index = 0
        self.sort_reverse = False
        self.is_loading = True
        self.load_error = ""

    def compose_body(self) -> ComposeResult:
        yield FilterInput(placeholder="filter: name, id, model, status…", id="bots-filter",
                          compact=True)
        yield Label("", id="bots-status", markup=False)
        table = KeyedTable(id="bots-table", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        table.focus()
        self.monstrum.data_changed.subscribe(self, self.on_data_change)
        self.watch(self.app, "connection", self.on_connection, init=False)
        self.show_status()
        self.load_bots()

    # --- loading ------------------------------------------------------------

    @work(exclusive=True, group="bots-load")
    async def load_bots(self) -> None:
        """Fetch every bot, one page at a time, posting each page as it arrives."""
        self.is_loading = True
        self.show_status()
        client = await self.monstrum.wait_for_client()
        first = True
        try:
            async for page in client.bots.list(page_size=PAGE_SIZE).pages():
                complete = not page.next_cursor or not page.data
                self.post_message(BotsLoaded(page.data, first=first, complete=complete))
                first = False
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(BotsLoadFailed(exc.message, connection=True))
        except MonstrumError as exc:
            self.post_message(BotsLoadFailed(str(exc), connection=False))

    @on(BotsLoaded)
    def _bots_loaded(self, message: BotsLoaded) -> None:
        if message.first:
            self.bots = {}
        new = [bot for bot in message.bots if bot.id not in self.bots]
        for bot in message.bots:
            self.bots[bot.id] = bot
        self.load_error = ""
        self.is_loading = not message.complete
        if message.first or not self.natural_order():
            self.render_table()
        else:
            self.append_rows(new)
        self.show_status()

    @on(BotsLoadFailed)
    def _bots_load_failed(self, message: BotsLoadFailed) -> None:
        self.is_loading = False
        self.load_error = message.error
        self.show_status()

    def on_connection(self, status: ConnectionStatus) -> None:
        self.show_status()
        # reload once the platform is back if the last load did not finish
        if status.usable and (self.load_error or self.is_loading) and not self.workers_running():
            self.load_bots()

    def workers_running(self) -> bool:
        return any(
            w.node is self and w.group == "bots-load" and w.is_running for w in self.workers
        )

    def on_data_change(self, change: DataChange) -> None:
        if change.kind != "bot":
            return
        if change.deleted:
            self.bots.pop(change.id, None)
        elif isinstance(change.value, Bot):
            self.bots[change.id] = change.value
        self.render_table(focus_id=change.id if not change.deleted else None)
        self.show_status()

    # --- the table ----------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self.query_one(FilterInput).value.strip()

    def natural_order(self) -> bool:
        """Whether rows can simply be appended (server order, no filter)."""
        return self.sort_index == 0 and not self.sort_reverse and not self.filter_text

    def visible_bots(self) -> list[Bot]:
        needle = self.filter_text
        bots = [bot for bot in self.bots.values() if bot_matches(bot, needle)]
        order = SORT_ORDERS[self.sort_index]
        bots.sort(key=order.key, reverse=self.sort_reverse)
        return bots

    def append_rows(self, bots: list[Bot]) -> None:
        table = self.query_one(DataTable)
        for bot in bots:
            table.add_row(*bot_cells(bot), key=bot.id)

    def render_table(self, focus_id: str | None = None) -> None:
        """Redraw every visible row, keeping the cursor on the same bot."""
        self.query_one(KeyedTable).refill(
            ((bot.id, bot_cells(bot)) for bot in self.visible_bots()), focus=focus_id
        )

    def cursor_bot_id(self) -> str | None:
        return self.query_one(KeyedTable).cursor_key()

    def current_bot(self) -> Bot | None:
        bot_id = self.cursor_bot_id()
        return self.bots.get(bot_id) if bot_id else None

    def show_status(self) -> None:
        total = len(self.bots)
        shown = self.query_one(DataTable).row_count
        parts = [f"{total} bot{'s' if total != 1 else ''}"]
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}': {shown} shown")
        order = SORT_ORDERS[self.sort_index]
        parts.append(f"sort: {order.label} {'↓' if self.sort_reverse else '↑'}")
        if self.load_error:
            parts.append(f"load failed: {self.load_error}")
        elif self.is_loading:
            parts.append("loading…" if self.monstrum.connection.usable else
                         "waiting for the platform…")
        label = self.query_one("#bots-status", Label)
        label.update(" · ".join(parts))
        label.set_class(bool(self.load_error), "-error")
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open_bot()

    # --- actions ------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one(FilterInput)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#bots-filter")
    def _filter_changed(self) -> None:
        self.render_table()
        self.show_status()

    @on(Input.Submitted, "#bots-filter")
    def _filter_submitted(self) -> None:
        if not self.filter_text:
            self.query_one(FilterInput).remove_class("-shown")
        self.query_one(DataTable).focus()

    def action_cycle_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORT_ORDERS)
        self.render_table()
        self.show_status()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.render_table()
        self.show_status()

    def action_reload(self) -> None:
        self.load_bots()

    def action_open_bot(self) -> None:
        bot = self.current_bot()
        if bot is not None:
            self.app.push_screen(BotDetailScreen(bot))

    def action_create_bot(self) -> None:
        self.app.push_screen(BotFormScreen(None), self._bot_saved)
