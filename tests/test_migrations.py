"""Schema migrations: the tables and the migrations agree, on SQLite and PostgreSQL; a data
dir written before migrations (commit 88ec5db) upgrades in place with nothing lost;
``monstrum db upgrade`` / ``db current``; processes upgrading one database at once."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from monstrum_tui.server.audit import tables as _audit_tables  # noqa: F401 (registers them)
from monstrum_tui.server.credentials import CredentialCipher
from monstrum_tui.server.store import Store
from monstrum_tui.server.store.migrate import (
    SchemaError,
    head_revision,
    include_name,
    schema_state,
    upgrade_schema,
)
from monstrum_tui.server.store.schema import metadata
from tests.databases import fresh_postgres_database, require_postgres
from tests.serverproc import ServerProcess

FIXTURE = Path(__file__).parent / "fixtures" / "datadir-88ec5db"


def monstrum(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args], capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, **env},
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monstrum.db'}"
    return fresh_postgres_database(require_postgres())


def schema_differences(url: str) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": include_name, "compare_type": True}
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_code_uses(empty_url: str) -> None:
    """Fails when a table, column or index is changed without a migration (or wrongly)."""
    store = Store(empty_url)
    assert schema_state(store.engine).up_to_date
    store.close()
    assert schema_differences(empty_url) == []
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        if conn.dialect.name == "postgresql":
            indexes = {ix["name"] for ix in inspect(conn).get_indexes("audit_log")}
            assert {"ix_audit_params_trgm", "ix_audit_reason_trgm"} <= indexes
        else:
            assert "audit_fts" in names
    engine.dispose()
    assert "alembic_version" in names


def test_opening_an_up_to_date_database_changes_nothing(empty_url: str) -> None:
    Store(empty_url).close()
    engine = create_engine(empty_url)
    before = schema_state(engine)
    assert upgrade_schema(engine).up_to_date and before.current == head_revision()
    engine.dispose()


def test_a_database_from_a_newer_version_is_refused_with_a_reason(empty_url: str) -> None:
    Store(empty_url).close()
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match=r"9999.*newer version"):
        upgrade_schema(engine)
    engine.dispose()


def test_a_postgresql_database_made_before_migrations_is_adopted() -> None:
    """What create_all made at 88ec5db is the baseline's schema with no version table."""
    url = fresh_postgres_database(require_postgres())
    Store(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("DROP INDEX ix_audit_params_trgm"))
        conn.execute(text("DROP INDEX ix_audit_reason_trgm"))
        conn.execute(text("DROP INDEX ix_audit_ts"))  # and one index lost on the way
        conn.execute(text("INSERT INTO bots VALUES ('bot_kept', 'kept', '', 'scripted', "
                          "'active', '[]', '[]', 1, 1)"))
    assert schema_state(engine).current is None
    Store(url).close()
    assert schema_differences(url) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM bots")).scalars().all() == ["kept"]
    engine.dispose()


# --- the data dir of 88ec5db ---------------------------------------------------------


@pytest.fixture
def old_data_dir(tmp_path: Path) -> Path:
    """A copy of the fixture (tests/fixtures/make_datadir_88ec5db.py made it)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    os.chmod(data, 0o700)
    return data


def test_a_data_dir_from_88ec5db_upgrades_in_place_with_nothing_lost(
    old_data_dir: Path,
) -> None:
    expected = json.loads((old_data_dir / "expected.json").read_text())
    db = old_data_dir / "monstrum.db"
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" not in tables and "audit_log" in tables
    proc = ServerProcess(data_dir=old_data_dir, extra_args=["--rate-limit", "0"],
                         database_url=f"sqlite:///{db}").start()
    try:
        http = httpx.Client(base_url=proc.url, timeout=30,
                            headers={"Authorization": f"Bearer {proc.admin_key}"})

        def listed(path: str) -> list[dict[str, Any]]:
            return http.get(path, params={"limit": 500}).json()["data"]

        assert sorted([b["id"], b["name"], b["status"]] for b in listed("/v1/bots")) \
            == expected["bots"]
        assert sorted([r["id"], r["type"], r["name"]] for r in listed("/v1/resources")) \
            == expected["resources"]
        tasks = listed("/v1/tasks")
        assert sorted([t["id"], t["status"], t["tool_calls"], t["denials"]] for t in tasks) \
            == expected["tasks"]
        for task_id, events in expected["events"].items():
            stream = http.get(f"/v1/tasks/{task_id}/events").text
            got = [json.loads(line[5:]) for line in stream.splitlines()
                   if line.startswith("data:")]
            assert [[e["seq"], e["type"]] for e in got] == events
        assert sorted(k["name"] for k in listed("/v1/api-keys")) == expected["api_keys"]
        assert sorted([i["name"], i["version"]] for i in listed("/v1/integrations")) \
            == expected["integrations"]
        assert [[e["id"], e["status"], e["hash"]] for e in listed("/v1/audit")] \
            == expected["audit"]
        verified = http.get("/v1/audit/verify", params={"full": "true"}).json()
        assert verified["ok"] and verified["sealed"], verified
        assert verified["from_anchor"] == expected["audit_from_anchor"]
        # text search works on the adopted full-text table
        found = http.get("/v1/audit", params={"q": "seeded 13"}).json()["data"]
        assert [e["params"]["i"] for e in found] == [13]
        # the same secret key still opens the credentials stored then
        with sqlite3.connect(db) as conn:
            (token,) = conn.execute(
                "SELECT credentials FROM resources WHERE id = 'res_jira'").fetchone()
        cipher = CredentialCipher.for_data_dir(old_data_dir)
        assert cipher.decrypt(token) == expected["credentials"]["res_jira"]
        # and the platform goes on: a new task, audited onto the same chain
        reader = next(b for b in listed("/v1/bots") if b["name"] == "reader")
        # the fixture's folder lies in the data dir, which no resource may reach any more
        refused = http.patch("/v1/resources/res_files",
                             json={"config": {"root": str(old_data_dir / "files")}})
        assert refused.status_code == 422 and "data dir" in refused.text
        root = old_data_dir.parent / "files"
        shutil.copytree(old_data_dir / "files", root)
        assert http.patch("/v1/resources/res_files",
                          json={"config": {"root": str(root)}}).status_code == 200
        task = http.post("/v1/tasks", json={
            "bot_id": reader["id"], "input": 'call read_file {"path": "plan.md"}'}).json()
        for _ in range(600):
            task = http.get(f"/v1/tasks/{task['id']}").json()
            if task["status"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        assert task["status"] == "completed", task
        assert len(listed("/v1/audit")) == len(expected["audit"]) + 1
        assert http.get("/v1/audit/verify", params={"full": "true"}).json()["ok"]
    finally:
        proc.stop()
    out = monstrum("audit", "verify", "--data-dir", str(old_data_dir), "--full")
    assert out.returncode == 0, out.stderr
    assert "seals not checked" not in out.stdout
    out = monstrum("db", "current", "--data-dir", str(old_data_dir))
    assert out.returncode == 0 and f"revision {head_revision()} (the newest)" in out.stdout


def test_db_current_and_upgrade_on_a_data_dir(old_data_dir: Path, tmp_path: Path) -> None:
    out = monstrum("db", "current", "--data-dir", str(old_data_dir))
    assert out.returncode == 0, out.stderr
    assert "no revision (empty, or made before migrations)" in out.stdout
    assert "monstrum db upgrade" in out.stdout
    out = monstrum("db", "upgrade", "--data-dir", str(old_data_dir), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["from"] is None and report["to"] == head_revision() and report["upgraded"]
    out = monstrum("db", "upgrade", "--data-dir", str(old_data_dir))
    assert out.returncode == 0 and "already at revision" in out.stdout
    current = json.loads(
        monstrum("db", "current", "--json", "--data-dir", str(old_data_dir)).stdout)
    assert current["up_to_date"] and current["current"] == head_revision()
    # an empty data dir: current says there is nothing; upgrade creates it, private
    empty = tmp_path / "empty"
    empty.mkdir()
    out = monstrum("db", "current", "--data-dir", str(empty))
    assert out.returncode == 1 and "no database at" in out.stderr
    assert not (empty / "monstrum.db").exists()
    out = monstrum("db", "upgrade", "--data-dir", str(empty))
    assert out.returncode == 0 and "upgraded from no revision" in out.stdout
    assert (empty / "monstrum.db").stat().st_mode & 0o777 == 0o600
    # the environment's URL is used when no flag is given; a bad one is one clear line
    out = monstrum("db", "current", MONSTRUM_DATABASE_URL=f"sqlite:///{empty / 'monstrum.db'}")
    assert out.returncode == 0 and "(the newest)" in out.stdout
    out = monstrum("db", "upgrade", "--database-url", "mysql://root:hunter2@db/x")
    assert out.returncode == 1 and "SQLite or PostgreSQL" in out.stderr
    assert "hunter2" not in out.stderr and "Traceback" not in out.stderr


def test_db_commands_on_postgresql() -> None:
    url = fresh_postgres_database(require_postgres())
    out = monstrum("db", "current", "--database-url", url)
    assert out.returncode == 0 and "no revision" in out.stdout
    out = monstrum("db", "upgrade", "--database-url", url)
    assert out.returncode == 0 and f"to {head_revision()}" in out.stdout, out.stderr
    out = monstrum("db", "current", "--json", MONSTRUM_DATABASE_URL=url)
    assert json.loads(out.stdout)["up_to_date"]


def test_processes_upgrading_one_sqlite_file_at_once_do_it_once(tmp_path: Path) -> None:
    data = tmp_path / "shared"
    data.mkdir()
    procs = [
        subprocess.Popen([sys.executable, "-m", "monstrum_tui.cli", "db", "upgrade",
                          "--data-dir", str(data), "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(r["upgraded"] for r in reports) == 1
    engine = create_engine(f"sqlite:///{data / 'monstrum.db'}")
    assert schema_state(engine).up_to_date
    engine.dispose()
