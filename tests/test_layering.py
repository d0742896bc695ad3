"""The layers import only downward: client and SDK never load the UI or the server;
the UI loads nothing of the server but the embedded launcher."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import monstrum_tui

UI_DIR = Path(monstrum_tui.__file__).parent / "ui"
HEAVY = ("textual", "fastapi", "starlette", "uvicorn", "sqlalchemy")


def loaded_after(code: str) -> list[str]:
    """Module names loaded by a fresh interpreter after running ``code``."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_client_layer_loads_neither_ui_nor_server() -> None:
    modules = loaded_after("import monstrum\nimport monstrum_tui.client\n")
    bad = [
        m for m in modules
        if m.split(".")[0] in HEAVY or m.startswith(("monstrum_tui.server", "monstrum_tui.ui"))
    ]
    assert bad == []


def test_dashboard_loads_no_server_module_until_it_starts_the_embedded_one() -> None:
    modules = loaded_after("import monstrum_tui.ui.app\n")
    assert "textual" in modules
    assert [m for m in modules if m.startswith("monstrum_tui.server")] == []
    # what starting the embedded platform pulls in: the launcher and its two small helpers
    modules = loaded_after(
        "import monstrum_tui.ui.app\nimport monstrum_tui.server.embedded\n"
    )
    server = {m for m in modules if m.startswith("monstrum_tui.server")}
    assert server <= {
        "monstrum_tui.server",
        "monstrum_tui.server.embedded",
        "monstrum_tui.server.datadir",
        "monstrum_tui.server.settings",
    }
    assert not [m for m in modules if m.split(".")[0] in HEAVY[1:]]


def test_the_first_screen_loads_only_what_paints_it() -> None:
    """Before the Bots table paints, the dashboard imports neither the screens it opens
    on a key (form, detail, jump prompt, help) nor the YAML the binding editor reads."""
    modules = set(loaded_after("import monstrum_tui.ui.app\nimport monstrum_tui.ui.screens.bots\n"))
    later = {
        "monstrum_tui.ui.screens.bot_form",
        "monstrum_tui.ui.screens.bot_detail",
        "monstrum_tui.ui.screens.jump",
        "monstrum_tui.ui.screens.help",
        "monstrum_tui.ui.widgets.binding_editor",
        "yaml",
    }
    assert modules & later == set()


def test_only_the_connection_module_names_the_server() -> None:
    """Statically: every run-time import of the server package in ui/ is the one lazy
    launcher import (imports under ``if TYPE_CHECKING:`` never run)."""
    offenders = []
    for path in sorted(UI_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for inner in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                target = "." * node.level + (node.module or "")
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                target = ",".join(a.name for a in node.names)
                names = []
            else:
                continue
            if "server" not in target:
                continue
            allowed = (
                path.name == "connection.py"
                and target.endswith("server.embedded")
                and names == ["start_embedded_platform"]
            )
            if not allowed:
                offenders.append(f"{path.relative_to(UI_DIR)}:{node.lineno} {target} {names}")
    assert offenders == []


def test_the_dashboard_leaves_out_httpx_command_line_tool() -> None:
    """``import httpx`` brings its CLI (click, pygments, rich's syntax and progress) when
    click is installed; the dashboard's launcher keeps that import out of its process."""
    modules = set(loaded_after(
        "from monstrum_tui.client.httpx_cli import leave_out_httpx_cli\n"
        "leave_out_httpx_cli()\n"
        "import monstrum_tui.ui.app\nimport monstrum_tui.ui.screens.bots\n"
    ))
    assert "httpx" in modules
    assert modules & {"click", "pygments", "pygments.lexers", "rich.syntax",
                      "rich.progress"} == set()


def test_the_platform_process_leaves_out_httpx_command_line_tool() -> None:
    """``python -m monstrum_tui.server`` imports its server with httpx's CLI left out
    (rich and pygments would come only with it; uvicorn brings click anyway)."""
    modules = set(loaded_after(
        "import runpy\nsys.argv = ['monstrum_tui.server', '--help']\n"
        "try:\n    runpy.run_module('monstrum_tui.server', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
    ))
    assert {"httpx", "monstrum_tui.server.serve"} <= modules
    assert modules & {"pygments", "pygments.lexers", "rich", "rich.syntax"} == set()


def test_a_unix_socket_client_loads_no_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded platform is plain HTTP on a socket: its client builds no trust store
    (certifi's bundle is ~3 MB and tens of ms before the first request)."""
    import ssl

    from monstrum_tui.client.async_client import AsyncClient
    from monstrum_tui.client.config import ClientSettings

    def no_bundle(*args: object, **kwargs: object) -> None:
        raise AssertionError("a CA bundle was loaded for a unix-socket client")

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", no_bundle)
    AsyncClient(settings=ClientSettings(api_key="mst_x", api_base="http://monstrum.local",
                                        profile="embedded", uds="/nonexistent/monstrum.sock"))


def test_the_unix_socket_tls_context_trusts_nobody() -> None:
    """Never used (socket requests are plain HTTP), and fails closed if it ever were."""
    import ssl

    from monstrum_tui.client.transport import unused_tls_context

    context = unused_tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
