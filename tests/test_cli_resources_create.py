"""``monstrum resources create/update`` and connection flags after the subcommand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, stdin: str = "", env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args],
        input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_create_reads_a_credential_from_stdin_and_never_prints_it(server, tmp_path: Path) -> None:
    secret = "canary-cli-7f3a9b"
    done = run_cli(
        "resources", "create", "--type", "filesystem",
        "--name", "cli files", "--config", f"root={tmp_path}",
        "--api-base", server.url, "--api-key", server.admin_key,
    )
    assert done.returncode == 0, done.stderr
    assert "created res_" in done.stdout

    done = run_cli(
        "integrations", "upload", "integrations/jira.yaml",
        "--api-base", server.url, "--api-key", server.admin_key,
    )
    assert done.returncode == 0, done.stderr
    done = run_cli(
        "resources", "create", "--type", "jira", "--name", "cli jira", "--id", "res_cli_jira",
        "--config", "api_base=https://jira.example.com",
        "--credential", "api_token=-", "--credential", "email=ops@example.com",
        "--api-base", server.url, "--api-key", server.admin_key,
        stdin=secret + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert "credentials set: api_token, email" in done.stdout
    assert secret not in done.stdout + done.stderr

    done = run_cli(
        "resources", "get", "res_cli_jira", "--json",
        "--api-base", server.url, "--api-key", server.admin_key,
    )
    assert done.returncode == 0 and secret not in done.stdout
    assert '"api_base": "https://jira.example.com"' in done.stdout


def test_bad_values_are_named(server) -> None:
    done = run_cli(
        "resources", "create", "--type", "filesystem", "--name", "x", "--config", "root",
        "--api-base", server.url, "--api-key", server.admin_key,
    )
    assert done.returncode == 1
    assert "--config 'root': expected KEY=VALUE" in done.stderr
    done = run_cli(
        "resources", "create", "--type", "no-such-type", "--name", "x",
        "--api-base", server.url, "--api-key", server.admin_key,
    )
    assert done.returncode == 1
    assert "no resource type 'no-such-type'" in done.stderr


def test_connection_flags_work_before_and_after_the_subcommand(server) -> None:
    before = run_cli("--api-base", server.url, "--api-key", server.admin_key, "whoami")
    after = run_cli("whoami", "--api-base", server.url, "--api-key", server.admin_key)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout
    assert "scopes: admin" in after.stdout


def test_serve_with_a_malformed_secret_key_says_so_without_a_traceback(tmp_path: Path) -> None:
    done = run_cli(
        "serve", "--port", "1", "--data-dir", str(tmp_path / "d"),
        env={"MONSTRUM_SECRET_KEY": "not-a-fernet-key"},
    )
    assert done.returncode == 1
    assert "MONSTRUM_SECRET_KEY is not a Fernet key" in done.stderr
    assert "Traceback" not in done.stderr


async def test_sdk_resource_errors_are_typed_422s_naming_the_field(aclient) -> None:
    import pytest

    from monstrum.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        await aclient.resources.create(type="filesystem", name="", config={"root": "/tmp"})
    assert err.value.status_code == 422
    assert any(f["field"] == "name" for f in err.value.fields)
