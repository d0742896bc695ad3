"""The ``monstrum`` command line against the real server, run as a user would (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from monstrum_tui.client.config import config_path
from tests.serverproc import free_port


def monstrum(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def as_admin(server) -> dict[str, str]:
    return {"MONSTRUM_API_KEY": server.admin_key, "MONSTRUM_API_BASE": server.url}


def test_the_installed_entry_point_runs() -> None:
    script = Path(sys.executable).parent / "monstrum"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("monstrum ")
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    for command in ("serve", "bots", "keys", "whoami"):
        assert command in helped.stdout


def test_whoami_from_the_environment(as_admin, server) -> None:
    out = monstrum("whoami", env=as_admin)
    assert out.returncode == 0, out.stderr
    assert "admin" in out.stdout and server.url in out.stdout
    assert out.stderr == ""


def test_whoami_from_flags(server) -> None:
    out = monstrum("--api-key", server.admin_key, "--api-base", server.url, "whoami")
    assert out.returncode == 0, out.stderr
    assert "scopes: admin" in out.stdout


def test_whoami_from_a_config_profile(server) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[team]\napi_key = "{server.admin_key}"\napi_base = "{server.url}"\n', encoding="utf-8"
    )
    assert monstrum("--profile", "team", "whoami").returncode == 0
    assert monstrum("whoami", env={"MONSTRUM_PROFILE": "team"}).returncode == 0
    out = monstrum("--profile", "nope", "whoami")
    assert out.returncode == 1 and "'nope' is not in" in out.stderr and "team" in out.stderr


def test_bots_list_json(as_admin, client) -> None:
    bot = client.bots.create(name=f"cli-{uuid.uuid4().hex[:6]}", model="gpt-4o")
    out = monstrum("bots", "list", "--json", env=as_admin)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    mine = [b for b in listed if b["id"] == bot.id]
    assert mine and mine[0]["name"] == bot.name and mine[0]["model"] == "gpt-4o"
    table = monstrum("bots", "list", env=as_admin)
    assert table.stdout.splitlines()[0].split()[:3] == ["ID", "NAME", "MODEL"]
    assert bot.id in table.stdout
    client.bots.delete(bot_id=bot.id)


def test_bots_get_and_delete(as_admin, client) -> None:
    bot = client.bots.create(name=f"cli-{uuid.uuid4().hex[:6]}")
    got = monstrum("bots", "get", bot.id, env=as_admin)
    assert got.returncode == 0 and json.loads(got.stdout)["id"] == bot.id
    assert monstrum("bots", "delete", bot.id, env=as_admin).returncode == 0
    gone = monstrum("bots", "get", bot.id, env=as_admin)
    assert gone.returncode == 1
    assert gone.stdout == ""
    assert gone.stderr.startswith("monstrum: error: 404 not_found")
    assert "request req_" in gone.stderr  # the request id, for a bug report
    assert "Traceback" not in gone.stderr


def test_keys_create_prints_the_secret_once_and_it_works(as_admin, server) -> None:
    out = monstrum("keys", "create", "ci-reader", "--scope", "bots:read", env=as_admin)
    assert out.returncode == 0, out.stderr
    secret = out.stdout.strip().splitlines()[-1]
    assert secret.startswith("mst_")
    who = monstrum("whoami", env={**as_admin, "MONSTRUM_API_KEY": secret})
    assert who.returncode == 0 and "scopes: bots:read" in who.stdout
    listed = monstrum("keys", "list", "--json", env=as_admin)
    assert "ci-reader" in listed.stdout and secret not in listed.stdout
    # the new key cannot write
    denied = monstrum("keys", "list", env={**as_admin, "MONSTRUM_API_KEY": secret})
    assert denied.returncode == 1 and "permission_error" in denied.stderr
    assert "'admin' scope" in denied.stderr


def test_keys_create_with_an_unknown_scope_names_it(as_admin) -> None:
    out = monstrum("keys", "create", "x", "--scope", "bots:reed", env=as_admin)
    assert out.returncode == 1
    assert out.stdout == ""
    assert "bots:reed" in out.stderr and "validation_error" in out.stderr


def test_a_bad_key_is_an_error_on_stderr(server) -> None:
    out = monstrum("whoami", env={"MONSTRUM_API_KEY": "mst_nope", "MONSTRUM_API_BASE": server.url})
    assert out.returncode == 1
    assert out.stdout == ""
    assert "authentication_error" in out.stderr and "invalid API key" in out.stderr


def test_a_missing_key_says_the_three_ways(server) -> None:
    out = monstrum("bots", "list", env={"MONSTRUM_API_BASE": server.url})
    assert out.returncode == 1
    assert out.stdout == ""
    assert "--api-key" in out.stderr
    assert "MONSTRUM_API_KEY" in out.stderr
    assert str(config_path()) in out.stderr
    assert "Traceback" not in out.stderr


def test_an_unreachable_server_is_one_clear_line() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    out = monstrum(
        "whoami", env={"MONSTRUM_API_KEY": "mst_x", "MONSTRUM_API_BASE": base,
                       "MONSTRUM_MAX_RETRIES": "0"},
    )
    assert out.returncode == 1
    assert out.stderr.startswith(f"monstrum: error: cannot reach {base}")
    assert "Traceback" not in out.stderr


def test_usage_errors_exit_2() -> None:
    assert monstrum().returncode == 2
    bad = monstrum("bots", "frobnicate")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_serve_refuses_a_negative_rate_limit(tmp_path) -> None:
    out = monstrum("serve", "--data-dir", str(tmp_path / "d"), "--rate-limit", "-1")
    assert out.returncode == 1 and "--rate-limit" in out.stderr
    assert not (tmp_path / "d").exists()
