"""A new API key's secret, shown this once: copy it (OSC 52) or show it, then it is gone.

The secret is masked until ``r`` shows it, so a screenshot or a look over the shoulder
does not carry it; ``c`` copies it without keeping it in the app's own clipboard
(``MonstrumApp.copy_secret_to_clipboard``). Nothing else holds it: no notification, no
log, no data change; closing the dialog clears the text it drew and drops the secret.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from ...client.models import ApiKey
from .base import MonstrumModal

#: shown in place of the secret's characters while it is hidden
MASK = "•"
NOT_AGAIN = ("You will not see this secret again: the server keeps only its hash. "
             "Copy it now and store it where your scripts read it (MONSTRUM_API_KEY).")
NOT_COPIED = "Not copied or shown yet: esc again closes the dialog and the secret is gone."


def masked(secret: str, prefix: str) -> str:
    """The key's public prefix, then one mask character per hidden character."""
    shown = prefix if secret.startswith(prefix) else ""
    return shown + MASK * (len(secret) - len(shown))


class KeySecretScreen(MonstrumModal):
    """Dismisses with None; the secret is not kept past it."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["dialogs.tcss", "api_keys.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_secret", "Copy secret", id="keys.secret.copy"),
        Binding("r", "reveal", "Show/hide", id="keys.secret.reveal"),
        Binding("escape", "close", "Done", id="keys.secret.close"),
    ]

    def __init__(self, key: ApiKey, secret: str) -> None:
        super().__init__()
        self.key = key
        self._secret = secret
        self.revealed = False
        self.copied = False
        self._warned = False

    def compose_dialog(self) -> ComposeResult:
        key = self.key
        with Vertical(id="key-secret-dialog", classes="dialog"):
            yield Label(f"API key {key.name} created", id="key-secret-title", markup=False)
            yield Label(f"scopes: {', '.join(key.scopes)} · id {key.id}", id="key-secret-facts",
                        markup=False)
            yield Static("", id="key-secret-value")
            yield Label(NOT_AGAIN, id="key-secret-warning", markup=False)
            yield Label("", id="key-secret-state", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy (c)", variant="primary", id="key-secret-copy", compact=True)
                yield Button("Show (r)", id="key-secret-reveal", compact=True)
                yield Button("Done (esc)", id="key-secret-done", compact=True)

    def on_mount(self) -> None:
        self.show_secret()
        self.query_one("#key-secret-copy", Button).focus()

    def show_secret(self) -> None:
        text = self._secret if self.revealed else masked(self._secret, self.key.prefix)
        self.query_one("#key-secret-value", Static).update(Text(text, style="bold"))
        self.query_one("#key-secret-reveal", Button).label = (
            "Hide (r)" if self.revealed else "Show (r)")

    def say(self, text: str) -> None:
        self.query_one("#key-secret-state", Label).update(text)

    @on(Button.Pressed, "#key-secret-copy")
    def action_copy_secret(self) -> None:
        if not self._secret:
            return
        self.monstrum.copy_secret_to_clipboard(self._secret)
        self.copied = True
        self.say("Copied to the clipboard (OSC 52: the terminal must allow it; "
                 "r shows the secret to copy by hand).")

    @on(Button.Pressed, "#key-secret-reveal")
    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self.show_secret()

    @on(Button.Pressed, "#key-secret-done")
    def action_close(self) -> None:
        if not (self.copied or self.revealed or self._warned):
            self._warned = True
            self.say(NOT_COPIED)
            return
        self.forget()
        self.dismiss(None)

    def forget(self) -> None:
        """Drop the secret and the text drawn from it."""
        self._secret = ""
        self.revealed = False
        self.query_one("#key-secret-value", Static).update("")
