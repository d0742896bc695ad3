"""Actions on one bot, shared by the Bots list and the bot detail view.

Both screens declare the same bindings (same ids), so a remapped key works in both
and the help overlay lists them the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.binding import Binding, BindingType

from ...client.errors import MonstrumError
from ...client.models import Bot
from ..data_changes import DataChange
from ..messages import RunBotRequested, ShowAuditRequested
from ..write_access import refuse
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from ..app import MonstrumApp

BOT_ACTION_BINDINGS: list[BindingType] = [
    Binding("e", "edit_bot", "Edit", id="bots.edit"),
    Binding("d", "delete_bot", "Delete", id="bots.delete"),
    Binding("r", "run_bot", "Run task", id="bots.run"),
    Binding("A", "bot_audit", "Audit", id="bots.audit", show=False),
]

#: actions that change data, and the scope each needs (hidden for a key without it)
BOT_WRITE_ACTIONS: dict[str, str] = {
    "create_bot": "bots:write",
    "edit_bot": "bots:write",
    "delete_bot": "bots:write",
    "run_bot": "tasks:write",
}
#: actions that need a bot under the cursor
BOT_ACTIONS = frozenset({"edit_bot", "delete_bot", "run_bot", "open_bot", "bot_audit"})


class BotActions:
    """Mixin for a screen showing (or pointing at) one bot: edit, delete, run, its audit."""

    def current_bot(self) -> Bot | None:
        """The bot the actions apply to."""
        raise NotImplementedError

    def bot_action_allowed(self, action: str) -> bool | None:
        """``check_action`` for the bot actions: dimmed without a bot under the cursor."""
        if action in BOT_ACTIONS and self.current_bot() is None:
            return None
        return True

    def action_edit_bot(self) -> None:
        bot = self.current_bot()
        if bot is not None and not refuse(self, "edit_bot", "editing a bot"):  # type: ignore[arg-type]
            from .bot_form import BotFormScreen  # loaded on first use, not before paint

            self._app.push_screen(BotFormScreen(bot), self._bot_saved)

    def _bot_saved(self, bot: object) -> None:
        if isinstance(bot, Bot):
            self._app.notify(f"saved {bot.name}", timeout=3)

    def action_delete_bot(self) -> None:
        bot = self.current_bot()
        if bot is None or refuse(self, "delete_bot", "deleting a bot"):  # type: ignore[arg-type]
            return

        def answered(yes: object) -> None:
            if yes is True:
                self.delete_bot(bot)

        self._app.push_screen(
            ConfirmScreen(
                f"Delete bot {bot.name} ({bot.id})?",
                "Its bindings go with it. This cannot be undone.",
                confirm_label="Delete",
            ),
            answered,
        )

    @work(group="bot-write")
    async def delete_bot(self, bot: Bot) -> None:
        client = await self._app.wait_for_client()
        try:
            await client.bots.delete(bot.id)
        except MonstrumError as exc:
            self._app.notify(f"could not delete {bot.name}: {exc}", severity="error",
                             timeout=8)
            return
        self._app.data_changed.publish(DataChange("bot", bot.id, None))
        self._app.notify(f"deleted {bot.name}", timeout=3)

    def action_run_bot(self) -> None:
        bot = self.current_bot()
        if bot is not None and not refuse(self, "run_bot", "running a task"):  # type: ignore[arg-type]
            self.post_message(RunBotRequested(bot.id, bot.name))  # type: ignore[attr-defined]

    def action_copy_bot_id(self) -> None:
        bot = self.current_bot()
        if bot is not None:
            self._app.copy_to_clipboard(bot.id)
            self._app.notify(f"copied {bot.id}", timeout=2)

    def action_bot_audit(self) -> None:
        bot = self.current_bot()
        if bot is not None:
            self.post_message(ShowAuditRequested(bot_id=bot.id))  # type: ignore[attr-defined]

    @property
    def _app(self) -> MonstrumApp:
        return cast("MonstrumApp", self.app)  # type: ignore[attr-defined]
