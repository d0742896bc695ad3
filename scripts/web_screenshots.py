"""PNG screenshots of the web console in headless Chromium, for the README.

    .venv/bin/python scripts/web_screenshots.py [--out screenshots]

Starts ``monstrum-tui --web`` on a fresh data dir (so the embedded platform seeds the
demo workspace), logs Debian's chromium (``/usr/bin/chromium``, driven by Playwright)
in with the printed token, runs a scripted task on the demo bot ``ops-runner``, and
saves ``web-login.png`` and ``web-console.png`` (the Tasks screen with the task's pane).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    TerminalView,
    WebConsoleProcess,
    isolated_env,
)

VIEWPORT = {"width": 1200, "height": 720}
TASK_INPUT = 'call run_command {"command": "echo", "args": ["hello, browser"]}'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="monstrum-web-shots-") as home:
        console = WebConsoleProcess(env=isolated_env(Path(home))).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport=VIEWPORT)
                terminal = TerminalView(page)
                page.goto(console.url)
                page.screenshot(path=str(args.out / "web-login.png"))
                page.fill("#token", console.token)
                page.click("#login")
                terminal.wait_for("triage-assistant")
                terminal.focus()
                terminal.wait_for("Run task")
                terminal.press("ArrowDown", "r")
                terminal.wait_for("Run (ctrl+s)")
                page.keyboard.type(TASK_INPUT)
                terminal.wait_for(TASK_INPUT)  # all typed before ctrl+s reads the form
                terminal.press("Control+s")
                terminal.wait_for(lambda t: "hello, browser\\n" in t and "completed" in t)
                page.wait_for_timeout(4000)  # let the "started" notification fade
                page.screenshot(path=str(args.out / "web-console.png"))
                browser.close()
        finally:
            console.stop()
    for name in ("web-login.png", "web-console.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
