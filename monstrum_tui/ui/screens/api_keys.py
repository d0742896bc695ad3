"""The API keys screen: the keys that reach the platform; create one, revoke one (admin only).

Only an ``admin`` key may list, create or revoke keys. The screen never decides that
itself: it asks, and a key the server refuses sees the server's own answer (its 403)
where the list would be. A new key's secret goes straight from the create dialog to
the one dialog that shows it (``KeySecretScreen``); the list keeps the key without it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from ...client.async_client import AsyncClient
from ...client.errors import MonstrumError
from ...client.errors import PermissionError as ScopeMissing
from ...client.models import ApiKey, ApiKeyCreated
from ..cells import cell
from ..data_changes import DataChange
from ..query import QuerySyntax
from ..write_access import refuse
from .confirm import ConfirmScreen
from .key_create import KeyCreateScreen
from .key_secret import KeySecretScreen
from .list_screen import Column, ListScreen, SortOrder

#: the scope every request of this screen needs (the server checks it; this only words it)
KEYS_SCOPE = "admin"


def when(moment: datetime | None, *, never: str = "never") -> str:
    """A timestamp as local ``YYYY-MM-DD HH:MM``."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else never


COLUMNS: tuple[Column[ApiKey], ...] = (
    Column("name", "name", 12, lambda k, w: cell(k.name, w), flex=1),
    Column("prefix", "prefix", 9, lambda k, w: cell(f"{k.prefix}…", w)),
    Column("scopes", "scopes", 16, lambda k, w: cell(", ".join(k.scopes), w), flex=2),
    Column("created", "created", 16, lambda k, w: cell(when(k.created_at), w)),
    Column("last_used", "last used", 16,
           lambda k, w: cell(when(k.last_used_at), w, style="" if k.last_used_at else "dim")),
)

SORT_ORDERS: tuple[SortOrder[ApiKey], ...] = (
    SortOrder("created", lambda k: (k.created_at, k.id)),
    SortOrder("name", lambda k: (k.name.lower(), k.id)),
    SortOrder("last used", lambda k: (k.last_used_at is not None, k.last_used_at or k.created_at,
                                      k.id)),
)


def without_secret(created: ApiKeyCreated) -> ApiKey:
    """The key as the list keeps it: everything but the secret."""
    return ApiKey.model_validate(created.model_dump(exclude={"secret"}))


class ApiKeysScreen(ListScreen[ApiKey]):
    """Every API key: name, prefix, scopes, when made and last used."""

    SCREEN_TITLE = "API keys"
    LIST_ID = "keys"
    NOUN = "API key"
    QUERY = QuerySyntax(text_help="name, prefix, scope")
    EMPTY_TEXT = "no API keys: n creates one"
    RELOAD_ON = frozenset({"api_key"})
    WRITE_ACTIONS: ClassVar[dict[str, str]] = {"create_key": KEYS_SCOPE,
                                               "revoke_key": KEYS_SCOPE}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create_key", "New key", id="keys.create"),
        Binding("d", "revoke_key", "Revoke", id="keys.revoke"),
    ]

    def columns(self) -> Sequence[Column[ApiKey]]:
        return COLUMNS

    def sort_orders(self) -> Sequence[SortOrder[ApiKey]]:
        return SORT_ORDERS

    def key_of(self, item: ApiKey) -> str:
        return item.id

    def search_fields(self, item: ApiKey) -> Iterable[str]:
        return (item.name, item.id, item.prefix, *item.scopes)

    async def fetch(self, client: AsyncClient) -> AsyncIterator[list[ApiKey]]:
        async for page in client.api_keys.list().pages():
            yield page.data

    def refused_text(self, exc: ScopeMissing) -> str:
        return (f"only a key with the {exc.required_scope or KEYS_SCOPE} scope manages API "
                f"keys; the server refused this one ({exc.status_code}: {exc.message})")

    def on_data_change(self, change: DataChange) -> None:
        if change.kind != "api_key":
            return
        if change.deleted:
            self.items.pop(change.id, None)
        elif isinstance(change.value, ApiKey):
            self.items[change.id] = change.value
        self.render_rows(focus=change.id if not change.deleted else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "revoke_key" and self.current_item() is None:
            return None
        return super().check_action(action, parameters)

    # --- create -------------------------------------------------------------

    def action_create_key(self) -> None:
        if not refuse(self, "create_key", "creating an API key"):
            self.app.push_screen(KeyCreateScreen(), self._created)

    def _created(self, result: object) -> None:
        """The dialog's answer: the new key, its secret only passed on to be shown once."""
        if not isinstance(result, ApiKeyCreated):
            return
        key = without_secret(result)
        self.monstrum.data_changed.publish(DataChange("api_key", key.id, key))
        self.app.push_screen(KeySecretScreen(key, result.secret))

    # --- revoke -------------------------------------------------------------

    def action_revoke_key(self) -> None:
        key = self.current_item()
        if key is None or refuse(self, "revoke_key", "revoking an API key"):
            return

        def answered(yes: object) -> None:
            if yes is True:
                self.revoke(key)

        self.app.push_screen(ConfirmScreen(
            f"Revoke the API key {key.name} ({key.prefix}…)?",
            f"From now on the server refuses every request made with it "
            f"(scopes: {', '.join(key.scopes)}). This cannot be undone.",
            confirm_label="Revoke",
        ), answered)

    @work(group="key-write", exit_on_error=False)
    async def revoke(self, key: ApiKey) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            await client.api_keys.delete(key.id)
        except MonstrumError as exc:
            self.notify(f"could not revoke {key.name}: {exc}", title="not revoked",
                        severity="error", timeout=8)
            return
        self.monstrum.data_changed.publish(DataChange("api_key", key.id, None))
        self.notify(f"revoked {key.name} ({key.prefix}…)", timeout=4)
