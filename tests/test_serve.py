"""``monstrum serve``: the admin key on first start, private data files, no secret in logs."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import httpx

from tests.serverproc import ServerProcess


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_creates_prints_and_saves_the_admin_key_once(tmp_path: Path) -> None:
    proc = ServerProcess(data_dir=tmp_path / "data")
    proc.start()
    try:
        key = proc.admin_key
        assert key.startswith("mst_")
        assert mode(proc.data_dir / "admin.key") == 0o600
        first_log = proc.log()
        assert first_log.count(key) == 1  # printed once, to the operator
        r = httpx.get(f"{proc.url}/v1/whoami", headers={"Authorization": f"Bearer {key}"})
        assert r.json()["scopes"] == ["admin"]
    finally:
        proc.stop()
    proc.start()  # same data dir: the key exists, so nothing is printed
    try:
        second_log = proc.log()[len(first_log):]
        assert key not in second_log
        assert "Created the admin API key" not in second_log
        assert proc.admin_key == key
        r = httpx.get(f"{proc.url}/v1/whoami", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200
    finally:
        proc.stop()


def test_data_dir_is_0700_and_every_file_in_it_0600(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = ServerProcess(data_dir=data, extra_args=["--demo"]).start()
    try:
        headers = {"Authorization": f"Bearer {proc.admin_key}"}
        httpx.post(f"{proc.url}/v1/bots", json={"name": "perm"}, headers=headers)
        httpx.post(f"{proc.url}/v1/api-keys", json={"name": "k", "scopes": ["admin"]},
                   headers=headers)
        assert mode(data) == 0o700
        files = [p for p in data.rglob("*") if p.is_file()]
        expected = {"admin.key"} if proc.on_postgresql else {"admin.key", "monstrum.db"}
        assert expected <= {p.name for p in files}
        loose = {str(p.relative_to(data)): oct(mode(p)) for p in files if mode(p) != 0o600}
        assert loose == {}
        dirs = {str(p.relative_to(data)): oct(mode(p)) for p in data.rglob("*") if p.is_dir()}
        assert all(m == oct(0o700) for m in dirs.values()), dirs
    finally:
        proc.stop()


def test_a_data_dir_made_by_someone_else_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    proc = ServerProcess(data_dir=data).start()
    try:
        assert mode(data) == 0o700
    finally:
        proc.stop()


def test_no_api_key_reaches_the_log(tmp_path: Path) -> None:
    proc = ServerProcess(data_dir=tmp_path / "data", extra_args=["--log-level", "debug"]).start()
    try:
        admin = proc.admin_key
        h = {"Authorization": f"Bearer {admin}"}
        made = httpx.post(f"{proc.url}/v1/api-keys", json={"name": "x", "scopes": ["bots:read"]},
                          headers=h).json()["secret"]
        wrong = "mst_" + "W" * 43
        for key in (made, wrong, "not-a-key-but-secret-anyway"):
            auth = {"Authorization": f"Bearer {key}"}
            httpx.get(f"{proc.url}/v1/bots", headers=auth)
            httpx.post(f"{proc.url}/v1/bots", content=b"{broken", headers=auth)
            httpx.get(f"{proc.url}/v1/bots/bot_x", headers=auth)
            httpx.get(f"{proc.url}/v1/no-such-route", headers=auth)
        # a request uvicorn itself rejects, with a key in a malformed header
        with socket.create_connection(("127.0.0.1", proc.port), timeout=5) as s:
            s.sendall(
                f"GET /v1/bots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {wrong}\x01\r\n"
                f"Bad Header {made}\r\n\r\n".encode()
            )
            s.recv(4096)
    finally:
        proc.stop()
    log = proc.log()
    assert log.count(admin) == 1  # the first-start announcement, and nothing else
    assert made not in log
    assert wrong not in log
    assert "not-a-key-but-secret-anyway" not in log


def test_the_log_filter_masks_keys_in_messages_and_tracebacks() -> None:
    import io
    import logging

    from monstrum_tui.server.log_redaction import SecretRedactingFilter, redact

    key = "mst_" + "Q" * 43
    assert redact(f"got {key}!") == "got mst_***!"
    assert redact("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer ***"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretRedactingFilter())
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    try:
        log.error("presented %s", key)
        try:
            raise ValueError(f"bad header Bearer {key}")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert key not in text and "Q" * 10 not in text
    assert "presented mst_***" in text and "ValueError: bad header Bearer ***" in text
