"""The web console in a real headless Chromium: start ``monstrum-tui --web``, drive Debian's
chromium with Playwright, and read the browser's terminal back as text."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: flags that work on the CI machines (no GPU, no network but the console, no sandbox as root);
#: Playwright's launch() adds --user-data-dir with a new empty profile of its own each time
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SESSION_MODULE = "monstrum_tui.ui.web.session"


def require_chromium() -> str:
    """Debian's chromium, or a skip (a failure on CI, where scripts/test.sh installs it)."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    reason = (
        f"{CHROMIUM} is missing: Debian's chromium package is needed for the browser tests "
        "(scripts/test.sh installs it with apt-get when run as root)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason + "; on CI they must run")
    pytest.skip(reason)


@dataclass
class WebConsoleProcess:
    """``monstrum-tui --web --port 0`` in a child process; its output is kept line by line."""

    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    url: str = ""
    token: str = ""

    def start(self, timeout: float = 90.0) -> WebConsoleProcess:
        cmd = [sys.executable, "-m", "monstrum_tui.ui.launcher", "--web", "--port", "0", *self.args]
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env={**inherited_env(), **self.env},
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(r"web console: (http://\S+)", line):
                    self.url = match.group(1)
                if match := re.search(r"token: (\S+)$", line):
                    self.token = match.group(1)
            if self.url and any("Ctrl+C stops it" in line for line in self.lines):
                return self
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader catch the last lines
                raise RuntimeError(f"the web console exited early:\n{self.output()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the web console did not start within {timeout}s:\n{self.output()}")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_output(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the console's output:\n{self.output()}")
            time.sleep(0.05)

    def sessions_started(self) -> int:
        """How many app sessions the console has said it started."""
        return sum(1 for line in self.lines if line.startswith("session ") and "started" in line)

    def session_pids(self) -> list[int]:
        """The browser-session app processes this console has running now."""
        assert self.process is not None
        return [pid for pid in descendants(self.process.pid) if SESSION_MODULE in cmdline(pid)]

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout)


def isolated_env(home: Path) -> dict[str, str]:
    """A module-scoped console cannot use the per-test isolation fixture: isolate it here."""
    return {
        "HOME": str(home),
        "MONSTRUM_CONFIG": str(home / ".monstrum" / "config.toml"),
        "MONSTRUM_DATA_DIR": str(home / "data"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }


def inherited_env() -> dict[str, str]:
    """This process's environment without a developer's own platform or model settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("MONSTRUM_", "OPENAI_"))}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(root: int) -> list[int]:
    """Every living process below ``root`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces; the ppid follows the state
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    pending = [root]
    while pending:
        parent = pending.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.extend(children)
        pending.extend(children)
    return found


class TerminalView:
    """What the page's terminal shows, rebuilt with pyte from the frames the page received.

    xterm.js draws on a canvas, so the text is not in the DOM; the page's own websocket
    frames are what it drew from. Keys are typed into the real xterm.js in the page.
    """

    def __init__(self, page: Any) -> None:
        import pyte

        self.page = page
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.websockets: list[Any] = []
        self.received: list[bytes] = []
        page.on("websocket", self._opened)

    def _opened(self, websocket: Any) -> None:
        self.websockets.append(websocket)
        query = parse_qs(urlsplit(websocket.url).query)
        self.screen.resize(int(query["height"][0]), int(query["width"][0]))
        websocket.on("framereceived", self._received)
        websocket.on("framesent", self._sent)

    def _received(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            self.received.append(payload)
            self.stream.feed(payload)

    def _sent(self, payload: bytes | str) -> None:
        if isinstance(payload, str) and payload.startswith('["resize"'):
            size = json.loads(payload)[1]
            self.screen.resize(size["height"], size["width"])

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, condition: str | Callable[[str], bool], timeout: float = 45.0) -> str:
        """Pump the page until the screen shows ``condition`` (a string, or a test of the text)."""
        test = condition if callable(condition) else (lambda text: condition in text)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if test(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the browser's terminal never showed {condition!r}:\n{text}")
            self.page.wait_for_timeout(100)

    def clipboard(self, condition: Callable[[str], bool], timeout: float = 15.0) -> str:
        """The browser's clipboard once it holds what ``condition`` accepts."""
        deadline = time.monotonic() + timeout
        while True:
            text = str(self.page.evaluate("navigator.clipboard.readText()"))
            if condition(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the browser's clipboard holds {text!r}")
            self.page.wait_for_timeout(100)

    def focus(self) -> None:
        """Put the keyboard in the terminal without clicking (a click would reach the app)."""
        self.page.focus("textarea.xterm-helper-textarea")

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)
            self.page.wait_for_timeout(60)
