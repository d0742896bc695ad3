"""Actions on one bot, shared by the Bots list and the bot detail view.

Both screens declare the same bindings (same ids), so a remapped key works in
both and the help overlay lists them the same way.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding, BindingType

from ...client.errors import MonstrumError
from ...client.models import Bot
from ..data_changes import DataChange
from ..messages import RunBotRequested
from .base import MonstrumScreen
from .bot_form import BotFormScreen
from .confirm import ConfirmScreen

BOT_ACTION_BINDINGS: list[BindingType] = [
    Binding("e", "edit_bot", "Edit", id="bots.edit"),
    Binding("d", "delete_bot", "Delete", id="bots.delete"),
    Binding("y", "copy_bot_id", "Copy id", id="bots.copy_id", show=False),
    Binding("r", "run_bot", "Run task", id="bots.run"),
]

#: actions that change data, disabled (shown dimmed) for a read-only key
WRITE_ACTIONS = frozenset({"create_bot", "edit_bot", "delete_bot", "run_bot"})
#: actions that need a bot under the cursor
BOT_ACTIONS = frozenset({"edit_bot", "delete_bot", "copy_bot_id", "run_bot", "open_bot"})


class BotActionsScreen(MonstrumScreen):
    """A screen showing (or pointing at) one bot: edit, delete, copy its id, run it."""

    def current_bot(self) -> Bot | None:
        """The bot the actions apply to."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.monstrum.connection.read_only:
            return None
        if action in BOT_ACTIONS and self.current_bot() is None:
            return None
        return True

    def action_edit_bot(self) -> None:
        bot = self.current_bot()
        if bot is not None:
            self.app.push_screen(BotFormScreen(bot), self._bot_saved)

    def _bot_saved(self, bot: object) -> None:
        if isinstance(bot, Bot):
            self.notify(f"saved {bot.name}", timeout=3)

    def action_delete_bot(self) -> None:
        bot = self.current_bot()
        if bot is None:
            return

        def answered(yes: object) -> None:
            if yes is True:
                self.delete_bot(bot)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete bot {bot.name} ({bot.id})?",
                "Its bindings go with it. This cannot be undone.",
                confirm_label="Delete",
            ),
            answered,
        )

    @work(group="bot-write")
    async def delete_bot(self, bot: Bot) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            await client.bots.delete(bot.id)
        except MonstrumError as exc:
            self.notify(f"could not delete {bot.name}: {exc}", severity="error", timeout=8)
            return
        self.monstrum.data_changed.publish(DataChange("bot", bot.id, None))
        self.notify(f"deleted {bot.name}", timeout=3)

    def action_copy_bot_id(self) -> None:
        bot = self.current_bot()
        if bot is not None:
            self.app.copy_to_clipboard(bot.id)
            self.notify(f"copied {bot.id}", timeout=2)

    def action_run_bot(self) -> None:
        bot = self.current_bot()
        if bot is not None:
            self.post_message(RunBotRequested(bot.id, bot.name))
