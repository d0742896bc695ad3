"""The local platform outlives whoever started it while it has work: a dashboard quits (or
a CLI is killed) and the task still completes; a second dashboard attaches to the same
server; once idle with nobody attached, it stops by itself and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monstrum_tui.server.embedded import PRESENCE_FILE, pid_alive
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.confirm import ConfirmScreen
from tests.ui_pilot import screen_text, wait_until

#: long enough for a dashboard to quit and another to attach while it still runs
TASK = "say started\nwait 12\nsay done"


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data dir the isolation fixture set, with a short idle exit for the tests."""
    monkeypatch.setenv("MONSTRUM_LOCAL_IDLE_EXIT", "1")
    return Path(os.environ["MONSTRUM_DATA_DIR"])


def monstrum(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monstrum_tui.cli", *args],
                          capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def presence(data_dir: Path) -> dict[str, object] | None:
    try:
        return json.loads((data_dir / PRESENCE_FILE).read_text())
    except FileNotFoundError:
        return None


def wait_gone(data_dir: Path, pid: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not pid_alive(pid) and presence(data_dir) is None:
            return
        time.sleep(0.1)
    raise AssertionError(f"the local platform {pid} did not stop by itself: {presence(data_dir)}")


def test_the_cli_with_nothing_configured_uses_the_local_platform_which_then_stops(
    data_dir: Path,
) -> None:
    out = monstrum("bots", "list")
    assert out.returncode == 0, out.stderr
    assert "release-notes" in out.stdout  # the demo workspace, seeded on first start
    first = presence(data_dir)
    assert first is not None
    out = monstrum("whoami")  # found again, not started again (unless it already left)
    assert out.returncode == 0 and "unix:" in out.stdout
    wait_gone(data_dir, int(first["pid"]))  # type: ignore[arg-type]
    assert not (data_dir / "monstrum.sock").exists()
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in data_dir.iterdir() if p.is_file()}
    assert all(m == "0o600" for m in modes.values()), modes


async def test_the_dashboard_quits_while_a_cli_task_runs_and_the_task_completes(
    data_dir: Path,
) -> None:
    first = MonstrumApp(watch_terminal=False)
    async with first.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: first.connection.usable, limit=60)
        assert first.embedded is not None and first.embedded.owned
        pid = first.embedded.pid
        # a task started from the CLI, whose watcher then dies (an SSH session dropping)
        cli = subprocess.Popen(
            [sys.executable, "-m", "monstrum_tui.cli", "tasks", "run", "--bot", "ops-runner",
             "--input", TASK],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            stdin=subprocess.DEVNULL,
        )
        assert cli.stderr is not None
        line = cli.stderr.readline()
        assert line.startswith("task "), line + cli.stderr.read()
        task_id = line.split()[1]
        cli.send_signal(signal.SIGKILL)
        cli.wait(10)
        client = await first.wait_for_client()
        assert (await client.tasks.get(task_id)).status in ("queued", "running")
        await pilot.press("q")  # says what will happen before quitting
        await wait_until(pilot, lambda: isinstance(first.screen, ConfirmScreen))
        text = screen_text(first)
        assert "1 task is still queued or running" in text
        assert "keep running in the local platform" in text
        await pilot.press("y")
    assert first.return_code == 0
    found = presence(data_dir)
    assert pid_alive(pid) and found is not None and found["pid"] == pid  # still serving

    second = MonstrumApp(watch_terminal=False)
    async with second.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: second.connection.usable, limit=60)
        assert second.embedded is not None
        assert second.embedded.pid == pid and not second.embedded.owned  # the same one
        client = await second.wait_for_client()
        task = await client.tasks.get(task_id)
        assert task.status in ("queued", "running"), task  # it survived the first dashboard
        deadline = time.monotonic() + 90
        while task.status in ("queued", "running") and time.monotonic() < deadline:
            await pilot.pause(0.2)
            task = await client.tasks.get(task_id)
        assert task.status == "completed" and task.error is None, task
        events = [e.type async for e in client.tasks.events(task_id=task_id)]
        assert events[0] == "started" and events[-1] == "complete"
        await pilot.press("q")  # nothing running: quits at once, nothing asked
        await wait_until(pilot, lambda: second.return_code is not None)
    assert second.return_code == 0
    wait_gone(data_dir, pid)



def test_a_local_platform_whose_data_dir_is_deleted_stops(data_dir: Path) -> None:
    """Deleting the data dir takes its socket and presence file: nothing could attach or
    retire it again, so it stops rather than run for ever."""
    import shutil

    out = monstrum("whoami")
    assert out.returncode == 0, out.stderr
    seen = presence(data_dir)
    assert seen is not None
    pid = int(seen["pid"])  # type: ignore[arg-type]
    shutil.rmtree(data_dir)
    deadline = time.monotonic() + 30
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(pid), "the local platform kept running without its data dir"
