"""One browser session's app process: ``python -m monstrum_tui.ui.web.session``.

The console starts it (through textual-serve, which sets Textual's web driver) and
hands it what to connect to in one environment variable, never on the command line:
the API key stays out of ``ps`` and, since the process only ever writes the
terminal stream to the console, out of the browser.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path

from ...client.config import ClientSettings
from ..connection import EMBEDDED_PROFILE, ConnectionTarget

SPEC_ENV = "MONSTRUM_WEB_SESSION"


@dataclass(frozen=True)
class SessionSpec:
    """What every browser session of one console runs with: the console's own target."""

    target: ConnectionTarget
    theme: str | None = None
    screen: str | None = None

    def to_env(self) -> dict[str, str]:
        settings = self.target.settings
        data = {
            "settings": asdict(settings) if settings is not None else None,
            "profile": self.target.profile,
            "data_dir": str(self.target.data_dir) if self.target.data_dir else None,
            "theme": self.theme,
            "screen": self.screen,
        }
        return {SPEC_ENV: json.dumps(data)}

    @classmethod
    def pop_from_env(cls, environ: MutableMapping[str, str]) -> SessionSpec:
        """Read the spec and remove it, so nothing this process starts inherits the key."""
        raw = environ.pop(SPEC_ENV, None)
        if raw is None:
            raise ValueError(f"{SPEC_ENV} is not set: sessions are started by `monstrum-tui --web`")
        data = json.loads(raw)
        settings = ClientSettings(**data["settings"]) if data["settings"] else None
        target = ConnectionTarget(
            settings=settings,
            profile=data.get("profile") or EMBEDDED_PROFILE,
            data_dir=Path(data["data_dir"]) if data.get("data_dir") else None,
        )
        return cls(target=target, theme=data.get("theme"), screen=data.get("screen"))


def command() -> list[str]:
    """The command line of a session process (no secrets on it)."""
    return [sys.executable, "-m", __name__]


def main() -> int:
    try:
        spec = SessionSpec.pop_from_env(os.environ)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"monstrum-tui web session: {exc}", file=sys.stderr)
        return 2
    from ..app import MonstrumApp  # after the spec check: a bad start fails fast

    app = MonstrumApp(
        target=spec.target, theme=spec.theme, initial_screen=spec.screen, watch_terminal=False
    )
    try:
        app.run()
    finally:
        app.detach_embedded()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
