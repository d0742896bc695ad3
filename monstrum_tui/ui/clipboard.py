"""Copying through the terminal (OSC 52), so it works over SSH and inside tmux."""

from __future__ import annotations

import base64
from collections.abc import Mapping


def osc52(text: str) -> str:
    """The OSC 52 sequence that puts ``text`` on the terminal's clipboard."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{payload}\x07"


def tmux_passthrough(sequence: str) -> str:
    """Wrap a sequence so tmux hands it to the outer terminal (escapes doubled)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def tmux_copy_sequence(text: str, env: Mapping[str, str]) -> str | None:
    """Inside tmux, the wrapped OSC 52 to send besides the plain one Textual writes.

    tmux takes the plain sequence itself when its ``set-clipboard`` is on; the
    wrapped one reaches the outer terminal when ``allow-passthrough`` is on.
    Setting the clipboard twice to the same text is harmless, and either tmux
    setting alone is then enough. Textual 8.2.8 does not wrap for tmux.
    """
    if not env.get("TMUX"):
        return None
    return tmux_passthrough(osc52(text))
